"""One registration per phone number across all workspaces: 409 PHONE_NUMBER_EXISTS."""
import concurrent.futures as cf

from oiclient import new_number, outbound_body, path_c_body


def test_twice_in_one_workspace(client, agents):
    body = outbound_body(agents["primary"])
    client.register(body)
    r = client.register(outbound_body(agents["primary"], number=body["phone_number"]), expect=None)
    assert r.status == 409 and r.code == "PHONE_NUMBER_EXISTS", r


def test_across_workspaces(client, other, agents):
    number = new_number()
    client.register(outbound_body(agents["primary"], number=number))
    theirs = other.agent()["id"]
    r = other.register(outbound_body(theirs, number=number), expect=None)
    assert r.status == 409 and r.code == "PHONE_NUMBER_EXISTS", r
    assert other.get("/v1/phone-numbers").json == []


def test_ten_concurrent_identical_registers(client, agents):
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    with cf.ThreadPoolExecutor(max_workers=10) as ex:
        results = list(ex.map(lambda _: client.register(dict(body), expect=None), range(10)))
    statuses = sorted(r.status for r in results)
    assert statuses.count(201) == 1, results
    for r in results:
        if r.status != 201:
            assert r.status == 409 and r.code == "PHONE_NUMBER_EXISTS", r
    listed = client.get("/v1/phone-numbers").json
    assert [n["phone_number"] for n in listed] == [body["phone_number"]]


def test_ten_concurrent_across_workspaces(new_workspace):
    number = new_number()
    clients = [new_workspace() for _ in range(5)]
    bodies = [outbound_body(c.agent()["id"], number=number) for c in clients]
    jobs = [(c, b) for c, b in zip(clients, bodies)] * 2
    with cf.ThreadPoolExecutor(max_workers=10) as ex:
        results = list(ex.map(lambda cb: cb[0].register(cb[1], expect=None), jobs))
    assert [r.status for r in results].count(201) == 1, results
    assert all(r.status in (201, 409) for r in results), results


def test_after_delete_the_number_is_free(client, agents):
    body = outbound_body(agents["primary"])
    n = client.register(body).json
    assert client.delete("/v1/phone-numbers/" + n["id"]).status == 204
    again = client.register(outbound_body(agents["primary"], number=body["phone_number"]), expect=None)
    assert again.status == 201, again
    assert again.json["id"] != n["id"]
