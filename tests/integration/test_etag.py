"""ETag on number answers and If-Match on PATCH and DELETE; writes to one number serialized
(concurrent PATCHes lose nothing, a PATCH racing a DELETE leaves no routing behind)."""
import threading
from urllib.parse import quote

import pytest

from oiclient import path_c_body


@pytest.fixture
def number(client, agents):
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"]))


def etag(r):
    return r.headers.get("ETag")


def test_every_number_answer_carries_its_etag(client, number):
    created = etag(number)
    assert created and created.startswith('"') and created.endswith('"'), number.headers
    path = "/v1/phone-numbers/" + number.json["id"]
    assert etag(client.get(path)) == created
    assert etag(client.get(path)) == created  # the gateway's near cache keeps it too
    p = client.patch(path, {"friendly_name": "renamed"})
    assert p.status == 200 and etag(p) not in (None, created)
    assert etag(client.get(path)) == etag(p)


def test_patch_with_the_current_etag_applies(client, number):
    path = "/v1/phone-numbers/" + number.json["id"]
    r = client.patch(path, {"friendly_name": "v2"}, headers={"If-Match": etag(number)})
    assert r.status == 200 and r.json["friendly_name"] == "v2", r


def test_patch_with_a_stale_etag_is_412_and_changes_nothing(client, number):
    path = "/v1/phone-numbers/" + number.json["id"]
    stale = etag(number)
    assert client.patch(path, {"friendly_name": "first"}).status == 200
    r = client.patch(path, {"friendly_name": "second"}, headers={"If-Match": stale})
    assert r.status == 412 and r.code == "PRECONDITION_FAILED", r
    assert client.get(path).json["friendly_name"] == "first"


@pytest.mark.parametrize("value,status", [('W/"1"', 412), ('"x"', 412), ("1", 412), ('"1", "2"', 400), ("*", 200)])
def test_if_match_forms(client, number, value, status):
    path = "/v1/phone-numbers/" + number.json["id"]
    r = client.patch(path, {"friendly_name": "forms"}, headers={"If-Match": value})
    assert r.status == status, r
    if status != 200:
        assert client.get(path).json["friendly_name"] == number.json["friendly_name"]


def test_delete_with_a_stale_etag_is_412_then_the_current_one_deletes(client, number):
    path = "/v1/phone-numbers/" + number.json["id"]
    stale = etag(number)
    now = etag(client.patch(path, {"friendly_name": "moved on"}))
    r = client.delete(path, headers={"If-Match": stale})
    assert r.status == 412 and r.code == "PRECONDITION_FAILED", r
    assert client.get(path).status == 200
    assert client.delete(path, headers={"If-Match": now}).status == 204
    assert client.delete(path, headers={"If-Match": now}).status == 404


def test_if_match_on_another_workspaces_number_is_404(other, number):
    r = other.patch("/v1/phone-numbers/" + number.json["id"], {"friendly_name": "x"},
                    headers={"If-Match": etag(number)})
    assert r.status == 404, r


def run_together(*fns):
    barrier = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def go(i, fn):
        barrier.wait()
        out[i] = fn()

    ts = [threading.Thread(target=go, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def test_concurrent_patches_of_different_fields_lose_nothing(client, number):
    path = "/v1/phone-numbers/" + number.json["id"]
    for i in range(8):
        a, b = run_together(lambda: client.patch(path, {"friendly_name": "name-%d" % i}),
                            lambda: client.patch(path, {"inbound_routing": {"voicemail_message": "vm-%d" % i}}))
        assert a.status == 200 and b.status == 200, (a, b)
        got = client.get(path).json
        assert got["friendly_name"] == "name-%d" % i and got["inbound_routing"]["voicemail_message"] == "vm-%d" % i


def test_concurrent_patches_with_one_etag_let_exactly_one_through(client, number):
    path = "/v1/phone-numbers/" + number.json["id"]
    tag = etag(number)
    rs = run_together(*[lambda i=i: client.patch(path, {"friendly_name": "w%d" % i}, headers={"If-Match": tag})
                        for i in range(6)])
    assert sorted(r.status for r in rs) == [200] + [412] * 5, [r.status for r in rs]
    winner = next(r for r in rs if r.status == 200)
    assert client.get(path).json["friendly_name"] == winner.json["friendly_name"]


def test_a_patch_racing_a_delete_leaves_no_routing_behind(client, agents, internal):
    for _ in range(6):
        n = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
        path = "/v1/phone-numbers/" + n["id"]
        p, d = run_together(lambda: client.patch(path, {"inbound_routing": {"agent_id": agents["fallback"]}}),
                            lambda: client.delete(path))
        assert d.status == 204, d
        assert p.status in (200, 404), p
        assert client.get(path).status == 404
        r = internal.get("/v1/routing/resolve?to=" + quote(n["phone_number"]))
        assert r.status == 404, r
