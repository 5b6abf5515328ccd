"""GET /v1/audit-events: who changed what, per workspace, with the request id of the change."""
import time

from oiclient import path_c_body, quote


def events(client, **filters):
    q = "&".join("%s=%s" % (k, quote(v)) for k, v in filters.items())
    r = client.get("/v1/audit-events" + ("?" + q if q else ""))
    assert r.status == 200, r
    return r.json["data"] if isinstance(r.json, dict) and "data" in r.json else r.json


def test_number_lifecycle_is_recorded_with_actor_request_and_changes(client, agents):
    r = client.post("/v1/phone-numbers", path_c_body(agents["primary"], agents["routing"], agents["fallback"]))
    assert r.status == 201, r
    n = r.json
    created_rid = r.headers.get("X-Request-Id")
    p = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "Support Line"})
    assert p.status == 200, p
    d = client.delete("/v1/phone-numbers/" + n["id"])
    assert d.status == 204, d
    ev = events(client, resource_id=n["id"])
    assert [e["action"] for e in ev] == ["phone_number.deleted", "phone_number.updated", "phone_number.created"], ev
    deleted, updated, created = ev
    key_id = client.key_info["id"]
    for e in ev:
        assert e["resource_type"] == "phone_number" and e["resource_id"] == n["id"]
        assert e["actor"] == {"type": "api_key", "id": key_id}
        assert e["created_at"].endswith("Z")
    assert created["request_id"] == created_rid
    assert updated["request_id"] == p.headers.get("X-Request-Id")
    assert updated["changes"]["friendly_name"] == {"from": "Sales Line", "to": "Support Line"}
    assert "phone_number" not in updated["changes"]
    assert created["changes"]["phone_number"] == {"from": None, "to": n["phone_number"]}
    assert deleted["changes"]["friendly_name"] == {"from": "Support Line", "to": None}


def test_secrets_are_redacted_and_keys_never_appear(client, admin):
    r = client.post("/v1/integrations", {"name": "tw", "provider": "twilio", "api_key": "AUTHTOKEN-audit-secret",
                                          "metadata": {"account_sid": "AC123"}})
    assert r.status == 201, r
    k = client.post("/v1/api-keys", {"name": "second"})
    assert k.status == 201, k
    raw = client.get("/v1/audit-events").text
    assert "AUTHTOKEN-audit-secret" not in raw and k.json["key"] not in raw
    ev = events(client, resource_type="api_key", action="api_key.created")
    assert ev and ev[0]["resource_id"] == k.json["id"]
    assert ev[0]["changes"]["key"] == {"from": None, "to": "[redacted]"}
    assert client.delete("/v1/api-keys/" + k.json["id"]).status == 204
    assert events(client, resource_id=k.json["id"], action="api_key.deleted")


def test_agents_and_integrations_are_recorded(client):
    a = client.agent("audited")
    assert client.patch("/v1/agents/" + a["id"], {"status": "paused"}).status == 200
    assert client.delete("/v1/agents/" + a["id"]).status in (200, 204)
    ev = events(client, resource_type="agent", resource_id=a["id"])
    assert [e["action"] for e in ev] == ["agent.deleted", "agent.updated", "agent.created"]
    assert ev[1]["changes"] == {"status": {"from": "active", "to": "paused"}}
    i = client.post("/v1/integrations", {"name": "tx", "provider": "telnyx", "api_key": "KEY-x"}).json
    assert client.delete("/v1/integrations/" + i["id"]).status == 204
    assert [e["action"] for e in events(client, resource_id=i["id"])] == ["integration.deleted",
                                                                          "integration.created"]


def test_events_belong_to_the_resource_workspace(client, other, agents):
    n = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
    assert events(other, resource_id=n["id"]) == []
    assert events(client, resource_id=n["id"])


def test_failed_changes_are_not_recorded(client, agents):
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    body["phone_number"] = "not-a-number"
    assert client.post("/v1/phone-numbers", body).status == 422
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.patch("/v1/phone-numbers/" + missing, {"friendly_name": "x"}).status == 404
    assert events(client, resource_id=missing) == []


def test_filters_since_and_pagination(client):
    t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    for i in range(3):
        client.agent("page-%d" % i)
    ev = events(client, action="agent.created", since=t0)
    assert len(ev) >= 3
    assert {e["resource_type"] for e in events(client, resource_type="agent")} == {"agent"}
    assert events(client, resource_type="phone_number", action="agent.created") == []  # an action is of its type
    assert events(client, action="agent.nothing") == []
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    assert events(client, since=later) == []
    r = client.get("/v1/audit-events?action=agent.created&limit=2")
    assert r.status == 200, r
    first = r.json["data"] if "data" in r.json else r.json
    assert len(first) == 2
    nxt = r.json.get("next_cursor") if isinstance(r.json, dict) else None
    link = r.headers.get("Link", "")
    assert nxt or "cursor=" in link, (r.json, link)
    cursor = nxt or link.split("cursor=")[1].split("&")[0].split(">")[0]
    r2 = client.get("/v1/audit-events?action=agent.created&limit=2&cursor=" + cursor)
    assert r2.status == 200
    second = r2.json["data"] if "data" in r2.json else r2.json
    assert not {e["id"] for e in first} & {e["id"] for e in second}
    for bad in ("resource_type=planet", "since=yesterday", "cursor=xyz", "limit=0"):
        assert client.get("/v1/audit-events?" + bad).status == 422, bad
    assert client.get("/v1/audit-events", token=None).status == 401


def test_events_past_their_retention_are_purged(client, stack):
    """OI_AUDIT_RETENTION_DAYS (365): an event older than that goes (its UUIDv7 id says when);
    a recent one stays."""
    import subprocess
    import uuid

    def psql(sql):
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(stack["OI_PG_PORT"]), "-U", "postgres", "-d",
                            "oneinbox", "-Atc", sql], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    ws = psql("SELECT workspace_id FROM gateway.api_keys WHERE id = '%s'" % client.key_info["id"])
    old_ms = int((time.time() - 400 * 86400) * 1000)
    old_id = str(uuid.UUID("%012x70008000000000000000" % old_ms))
    psql("INSERT INTO gateway.audit_events (id, workspace_id, action, resource_type, resource_id, actor_type, "
         "actor_id, request_id, created_at) VALUES ('%s', '%s', 'agent.created', 'agent', 'old', 'admin', 'admin', "
         "'r', now() - interval '400 days')" % (old_id, ws))
    recent = client.agent("recent")["id"]
    deadline = time.time() + 15
    while time.time() < deadline and psql("SELECT count(*) FROM gateway.audit_events WHERE id = '%s'" % old_id) != "0":
        time.sleep(0.5)
    assert psql("SELECT count(*) FROM gateway.audit_events WHERE id = '%s'" % old_id) == "0"
    assert events(client, resource_id=recent)


def test_an_event_the_database_held_up_is_written_once_it_can_be(client, agents, stack):
    """The audit table locked past the writer's statement timeout (5 s): the change is answered
    anyway, and its event is kept and written when the lock goes, once."""
    from stackctl import Stack

    r = client.post("/v1/phone-numbers", path_c_body(agents["primary"], agents["routing"], agents["fallback"]))
    assert r.status == 201, r
    n = r.json
    with Stack(stack).table_locked("gateway.audit_events", 8):
        started = time.time()
        p = client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "Held Line"})
        assert p.status == 200, p
        assert time.time() - started < 8, "the answer waited for the lock to go"
    deadline = time.time() + 20
    found = []
    while time.time() < deadline and not found:
        found = [e for e in events(client, resource_id=n["id"]) if e["request_id"] == p.headers.get("X-Request-Id")]
        time.sleep(0.2)
    assert len(found) == 1, events(client, resource_id=n["id"])
    assert found[0]["action"] == "phone_number.updated"
    assert found[0]["changes"]["friendly_name"] == {"from": "Sales Line", "to": "Held Line"}
