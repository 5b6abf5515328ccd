"""Agents: POST/GET /v1/agents, GET/PATCH/DELETE /v1/agents/{id}."""
import uuid

import pytest

from oiclient import is_rfc3339, is_uuid


def test_create_get_list(client):
    r = client.post("/v1/agents", {"name": "Sales"})
    assert r.status == 201, r
    a = r.json
    assert is_uuid(a["id"]) and a["name"] == "Sales" and a["status"] == "active"
    assert is_rfc3339(a["created_at"]) and is_rfc3339(a["updated_at"])
    g = client.get("/v1/agents/" + a["id"])
    assert g.status == 200 and g.json == a
    lst = client.get("/v1/agents")
    assert lst.status == 200 and isinstance(lst.json, list)
    assert [x["id"] for x in lst.json] == [a["id"]]


def test_create_paused(client):
    r = client.post("/v1/agents", {"name": "Night", "status": "paused"})
    assert r.status == 201, r
    assert r.json["status"] == "paused"


def test_patch_status_and_name(client):
    a = client.agent("before")
    r = client.patch("/v1/agents/" + a["id"], {"status": "paused"})
    assert r.status == 200, r
    assert r.json["status"] == "paused" and r.json["name"] == "before"
    r = client.patch("/v1/agents/" + a["id"], {"name": "after", "status": "active"})
    assert r.status == 200, r
    assert r.json["status"] == "active" and r.json["name"] == "after"
    assert r.json["created_at"] == a["created_at"]
    assert client.get("/v1/agents/" + a["id"]).json["name"] == "after"


@pytest.mark.parametrize("body,loc", [
    ({}, ("body", "name")),
    ({"name": ""}, ("body", "name")),
    ({"name": 5}, ("body", "name")),
    ({"name": "x" * 256}, ("body", "name")),
    ({"name": "ok", "status": "deleted"}, ("body", "status")),
])
def test_create_validation(client, body, loc):
    r = client.post("/v1/agents", body)
    assert r.status == 422, r
    assert loc in r.locs(), r
    for e in r.errors:
        assert isinstance(e["loc"], list) and isinstance(e["msg"], str) and isinstance(e["type"], str)


def test_body_must_be_an_object(client):
    for raw in (b"[]", b"\"name\"", b"42", b"null"):
        r = client.request("POST", "/v1/agents", raw=raw)
        assert r.status == 422, (raw, r)
        assert r.errors and r.errors[0]["loc"][0] == "body"


def test_patch_validation(client):
    a = client.agent()
    r = client.patch("/v1/agents/" + a["id"], {"status": "sleeping"})
    assert r.status == 422 and ("body", "status") in r.locs(), r


def test_delete(client):
    a = client.agent()
    d = client.delete("/v1/agents/" + a["id"])
    assert d.status == 204 and d.text == "", d
    g = client.get("/v1/agents/" + a["id"])
    assert g.status == 404 and g.code == "AGENT_NOT_FOUND", g
    assert client.delete("/v1/agents/" + a["id"]).status == 404
    assert a["id"] not in [x["id"] for x in client.get("/v1/agents").json]


def test_unknown_and_malformed_ids(client):
    assert client.get("/v1/agents/" + str(uuid.uuid4())).status == 404
    assert client.get("/v1/agents/not-a-uuid").status in (404, 422)
    assert client.patch("/v1/agents/" + str(uuid.uuid4()), {"name": "x"}).status == 404


def test_other_workspace_agent_is_404(client, other):
    a = client.agent()
    assert other.get("/v1/agents/" + a["id"]).status == 404
    assert other.patch("/v1/agents/" + a["id"], {"name": "stolen"}).status == 404
    assert other.delete("/v1/agents/" + a["id"]).status == 404
    assert other.get("/v1/agents").json == []
    assert client.get("/v1/agents/" + a["id"]).json["name"] == a["name"]


def test_list_pagination(client):
    ids = {client.agent("a%d" % i)["id"] for i in range(5)}
    r = client.get("/v1/agents?limit=2")
    assert r.status == 200 and len(r.json) == 2
    seen = [x["id"] for x in r.json]
    from oiclient import next_link
    url = next_link(r)
    while url:
        r = client.get(url)
        assert r.status == 200, r
        seen += [x["id"] for x in r.json]
        url = next_link(r)
    assert sorted(seen) == sorted(ids)
