"""Idempotency-Key on POST: same key + same body replays; same key + other body is 409."""
import concurrent.futures as cf
import uuid

from oiclient import outbound_body


def test_agent_replay(client):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    a = client.post("/v1/agents", {"name": "idem"}, headers=key)
    b = client.post("/v1/agents", {"name": "idem"}, headers=key)
    assert a.status == 201 and b.status == 201, (a, b)
    assert a.json == b.json
    assert len(client.get("/v1/agents").json) == 1


def test_key_reused_with_other_body(client):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    assert client.post("/v1/agents", {"name": "one"}, headers=key).status == 201
    r = client.post("/v1/agents", {"name": "two"}, headers=key)
    assert r.status == 409 and r.code == "IDEMPOTENCY_KEY_REUSED", r
    assert len(client.get("/v1/agents").json) == 1


def test_register_replay_is_not_a_duplicate(client, agents):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = outbound_body(agents["primary"])
    a = client.post("/v1/phone-numbers", body, headers=key)
    b = client.post("/v1/phone-numbers", body, headers=key)
    assert a.status == 201, a
    assert b.status == 201 and b.json == a.json, b
    other_body = outbound_body(agents["primary"])
    c = client.post("/v1/phone-numbers", other_body, headers=key)
    assert c.status == 409 and c.code == "IDEMPOTENCY_KEY_REUSED", c
    assert len(client.get("/v1/phone-numbers").json) == 1


def test_replayed_error_stays_an_error(client, agents):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = outbound_body(str(uuid.uuid4()))
    a = client.post("/v1/phone-numbers", body, headers=key)
    b = client.post("/v1/phone-numbers", body, headers=key)
    assert a.status >= 400 and b.status == a.status, (a, b)


def test_keys_are_per_workspace(client, other):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    a = client.post("/v1/agents", {"name": "same"}, headers=key)
    b = other.post("/v1/agents", {"name": "same"}, headers=key)
    assert a.status == 201 and b.status == 201
    assert a.json["id"] != b.json["id"]
    assert other.get("/v1/agents/" + a.json["id"]).status == 404


def test_concurrent_same_key(client, agents):
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = outbound_body(agents["primary"])
    with cf.ThreadPoolExecutor(max_workers=5) as ex:
        rs = list(ex.map(lambda _: client.post("/v1/phone-numbers", body, headers=key), range(5)))
    ok = [r for r in rs if r.status == 201]
    assert ok, rs
    assert all(r.json == ok[0].json for r in ok), rs
    for r in rs:
        assert r.status == 201 or (r.status == 409 and r.code == "IDEMPOTENCY_KEY_IN_PROGRESS"), r
    assert len(client.get("/v1/phone-numbers").json) == 1


def test_concurrent_distinct_keys_each_replay_their_own(client):
    """Claims and kept answers of the moment share statements: each request still gets its own."""
    keys = [uuid.uuid4().hex for _ in range(24)]

    def post(i):
        return client.post("/v1/agents", {"name": "idem-%d" % i}, headers={"Idempotency-Key": keys[i]})

    with cf.ThreadPoolExecutor(max_workers=24) as ex:
        first = list(ex.map(post, range(24)))
        again = list(ex.map(post, range(24)))
    for i in range(24):
        assert first[i].status == 201 and first[i].json["name"] == "idem-%d" % i, first[i]
        assert again[i].status == 201 and again[i].json == first[i].json, (i, again[i])
    assert len(client.get("/v1/agents?limit=100").json) == 24


def test_a_claim_in_progress_refuses_and_an_abandoned_one_is_taken_over(client, ctl):
    key = uuid.uuid4().hex
    a = client.post("/v1/agents", {"name": "first"}, headers={"Idempotency-Key": key})
    assert a.status == 201, a
    # as if its request were still running: a twin (not a job) is refused
    ctl.psql("UPDATE gateway.idempotency_keys SET state = 'in_progress', updated_at = now() WHERE key = '%s'" % key)
    b = client.post("/v1/agents", {"name": "first"}, headers={"Idempotency-Key": key})
    assert b.status == 409 and b.code == "IDEMPOTENCY_KEY_IN_PROGRESS", b
    # as if its request had died a while ago: the next one runs and keeps its own answer
    ctl.psql("UPDATE gateway.idempotency_keys SET updated_at = now() - interval '2 minutes' WHERE key = '%s'" % key)
    c = client.post("/v1/agents", {"name": "first"}, headers={"Idempotency-Key": key})
    assert c.status == 201 and c.json["id"] != a.json["id"], c
    d = client.post("/v1/agents", {"name": "first"}, headers={"Idempotency-Key": key})
    assert d.status == 201 and d.json == c.json, d
    # an abandoned claim of another request is no one's to take over
    ctl.psql("UPDATE gateway.idempotency_keys SET state = 'in_progress', updated_at = now() - interval '2 minutes' "
             "WHERE key = '%s'" % key)
    e = client.post("/v1/agents", {"name": "other"}, headers={"Idempotency-Key": key})
    assert e.status == 409 and e.code == "IDEMPOTENCY_KEY_REUSED", e
