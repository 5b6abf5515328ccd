"""DELETE /v1/phone-numbers/{id} and workspace isolation of numbers."""
import uuid

from oiclient import outbound_body, path_c_body, quote


def test_delete_then_404(client, internal, agents):
    n = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
    d = client.delete("/v1/phone-numbers/" + n["id"])
    assert d.status == 204 and d.text == "", d
    g = client.get("/v1/phone-numbers/" + n["id"])
    assert g.status == 404 and g.code == "PHONE_NUMBER_NOT_FOUND", g
    again = client.delete("/v1/phone-numbers/" + n["id"])
    assert again.status == 404, again
    assert client.get("/v1/phone-numbers").json == []
    r = internal.get("/v1/routing/resolve?to=" + quote(n["phone_number"]))
    assert r.status == 404 and r.code == "NO_ROUTE", r


def test_delete_unknown(client):
    r = client.delete("/v1/phone-numbers/" + str(uuid.uuid4()))
    assert r.status == 404 and r.code == "PHONE_NUMBER_NOT_FOUND", r


def test_other_workspace_number_is_404(client, other, agents):
    n = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
    theirs = other.agent()["id"]
    for r in (other.get("/v1/phone-numbers/" + n["id"]),
              other.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "stolen"}),
              other.patch("/v1/phone-numbers/" + n["id"], {"agent_id": theirs}),
              other.delete("/v1/phone-numbers/" + n["id"])):
        assert r.status == 404 and r.code == "PHONE_NUMBER_NOT_FOUND", r
    assert client.get("/v1/phone-numbers/" + n["id"]).json == n


def test_routing_agents_must_be_own(client, other, agents):
    n = client.register(outbound_body(agents["primary"])).json
    theirs = other.agent()["id"]
    for body in ({"agent_id": theirs}, {"inbound_routing": {"agent_id": theirs}}):
        r = client.patch("/v1/phone-numbers/" + n["id"], body)
        assert (r.status == 404 and r.code == "AGENT_NOT_FOUND") or r.status == 422, r
