"""POST/DELETE /v1/api-keys and bearer authentication."""
import time
import uuid

import pytest

from oiclient import is_rfc3339, is_uuid, next_link


def assert_unauthorized(r):
    assert r.status == 401, r
    assert isinstance(r.json, dict) and isinstance(r.json.get("detail"), dict), r
    assert r.json["detail"]["code"] == "UNAUTHORIZED", r
    assert isinstance(r.json["detail"].get("message"), str)


def test_healthz_needs_no_auth(anon):
    assert anon.get("/healthz").status == 200


def test_admin_creates_workspace_key(admin):
    ws = "ws-" + uuid.uuid4().hex
    r = admin.post("/v1/api-keys", {"name": "first", "workspace": ws})
    assert r.status == 201, r
    body = r.json
    assert set(body) >= {"id", "key", "workspace_id", "name", "created_at"}
    assert is_uuid(body["id"]) and is_uuid(body["workspace_id"])
    assert body["key"].startswith("oi_sk_") and len(body["key"]) > 20
    assert body["name"] == "first"
    assert is_rfc3339(body["created_at"])
    # the same workspace name → the same workspace
    r2 = admin.post("/v1/api-keys", {"name": "second", "workspace": ws})
    assert r2.status == 201, r2
    assert r2.json["workspace_id"] == body["workspace_id"]
    assert r2.json["key"] != body["key"]


def test_new_key_authenticates(client):
    r = client.get("/v1/agents")
    assert r.status == 200, r
    assert r.json == []


def test_workspace_key_creates_key_in_its_workspace(client):
    r = client.post("/v1/api-keys", {"name": "ci"})
    assert r.status == 201, r
    assert r.json["workspace_id"] == client.key_info["workspace_id"]
    second = client.with_token(r.json["key"])
    a = client.agent("shared")
    assert second.get("/v1/agents/" + a["id"]).status == 200


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Bearer oi_sk_" + "0" * 48, "Basic dXNlcjpwYXNz",
                                    "bearer-nope", "Bearer " + "x" * 5000])
def test_missing_or_wrong_credentials_are_401(anon, header):
    headers = {"Authorization": header} if header is not None else {}
    assert_unauthorized(anon.get("/v1/agents", headers=headers, token=None))


@pytest.mark.parametrize("path", ["/v1/agents", "/v1/integrations", "/v1/phone-numbers",
                                  "/v1/phone-numbers/" + str(uuid.uuid4())])
def test_every_resource_requires_a_key(anon, path):
    assert_unauthorized(anon.get(path))


def test_api_key_create_without_credentials_is_401(anon):
    assert_unauthorized(anon.post("/v1/api-keys", {"name": "x", "workspace": "y"}))


def test_internal_token_does_not_open_workspace_api(internal):
    assert internal.get("/v1/agents").status in (401, 403)


def test_admin_token_is_not_a_workspace_key(admin):
    assert admin.get("/v1/phone-numbers").status in (401, 403)


def test_admin_create_requires_workspace(admin):
    r = admin.post("/v1/api-keys", {"name": "x"})
    assert r.status == 422, r
    assert ("body", "workspace") in r.locs()


def test_create_requires_name(client):
    r = client.post("/v1/api-keys", {})
    assert r.status == 422, r
    assert ("body", "name") in r.locs()


def test_revoke(client):
    r = client.post("/v1/api-keys", {"name": "temp"})
    assert r.status == 201, r
    temp = client.with_token(r.json["key"])
    assert temp.get("/v1/agents").status == 200
    d = client.delete("/v1/api-keys/" + r.json["id"])
    assert d.status == 204, d
    assert d.text == ""
    # key lookups may be cached briefly per gateway replica: revocation is visible within seconds
    deadline = time.time() + 10
    while True:
        g = temp.get("/v1/agents")
        if g.status == 401 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert_unauthorized(g)
    # the creating key still works; revoking twice is 404
    assert client.get("/v1/agents").status == 200
    again = client.delete("/v1/api-keys/" + r.json["id"])
    assert again.status == 404, again
    assert again.code == "API_KEY_NOT_FOUND"


def test_revoke_other_workspace_key_is_404(client, other):
    r = other.post("/v1/api-keys", {"name": "theirs"})
    assert r.status == 201
    d = client.delete("/v1/api-keys/" + r.json["id"])
    assert d.status == 404, d
    assert other.with_token(r.json["key"]).get("/v1/agents").status == 200


def test_revoke_unknown_key_is_404(client):
    assert client.delete("/v1/api-keys/" + str(uuid.uuid4())).status == 404


def test_a_workspace_lists_its_keys_never_the_secret(admin, new_workspace):
    c = new_workspace()
    made = c.post("/v1/api-keys", {"name": "minted-by-a-key"})
    assert made.status == 201, made
    r = c.get("/v1/api-keys")
    assert r.status == 200, r
    by_id = {k["id"]: k for k in r.json}
    assert set(by_id) == {c.key_info["id"], made.json["id"]}
    mine, minted = by_id[c.key_info["id"]], by_id[made.json["id"]]
    assert mine["created_by"] == "admin" and minted["created_by"] == "api_key:" + c.key_info["id"]
    assert minted["prefix"] == made.json["key"][:10] and minted["name"] == "minted-by-a-key"
    assert mine["last_used_at"] is not None  # this very request used it
    assert minted["last_used_at"] is None
    assert made.json["key"] not in r.text and c.key_info["key"] not in r.text
    assert set(mine) == {"id", "name", "prefix", "created_at", "created_by", "last_used_at"}


def test_listing_pages_and_admin_names_the_workspace(admin, new_workspace):
    c = new_workspace()
    for i in range(4):
        assert c.post("/v1/api-keys", {"name": "k%d" % i}).status == 201
    seen, url = [], "/v1/api-keys?limit=2"
    while url:
        r = c.get(url)
        assert r.status == 200, r
        seen += [k["id"] for k in r.json]
        url = next_link(r)
    assert len(seen) == 5 and len(set(seen)) == 5
    ws = c.key_info["workspace_id"]
    name = admin.get("/v1/api-keys?workspace=nope-" + ws)
    assert name.status == 200 and name.json == []
    assert admin.get("/v1/api-keys").status == 422


def test_revoked_keys_leave_the_list_and_others_see_nothing(new_workspace):
    a, b = new_workspace(), new_workspace()
    extra = a.post("/v1/api-keys", {"name": "temp"}).json
    assert a.delete("/v1/api-keys/" + extra["id"]).status in (200, 204)
    assert [k["id"] for k in a.get("/v1/api-keys").json] == [a.key_info["id"]]
    assert [k["id"] for k in b.get("/v1/api-keys").json] == [b.key_info["id"]]
