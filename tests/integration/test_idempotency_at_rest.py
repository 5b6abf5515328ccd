"""What an idempotency record keeps: the first answer, sealed (a created API key is in it), for
OI_IDEMPOTENCY_TTL_HOURS; replays still give the same answer."""
import subprocess
import uuid


def rows(stack, where):
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(stack["OI_PG_PORT"]), "-U", "postgres", "-d", "oneinbox",
                        "-At", "-c", "SELECT coalesce(headers, '') || ' ' || coalesce(body, '') FROM "
                        "gateway.idempotency_keys WHERE " + where],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()


def test_a_created_api_key_is_kept_sealed_and_replayed(admin, stack):
    key = "rest-" + uuid.uuid4().hex
    body = {"name": "sealed", "workspace": "ws-" + uuid.uuid4().hex}
    first = admin.post("/v1/api-keys", body, headers={"Idempotency-Key": key})
    assert first.status == 201, first
    secret = first.json["key"]
    kept = rows(stack, "key = '%s'" % key)
    assert len(kept) == 1
    assert secret not in kept[0] and "oi_sk_" not in kept[0], "the key is stored in clear"
    assert kept[0].startswith("v2:"), kept[0][:20]
    again = admin.post("/v1/api-keys", body, headers={"Idempotency-Key": key})
    assert again.status == 201 and again.json["key"] == secret, again
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_every_kept_answer_is_sealed(stack):
    kept = rows(stack, "state = 'done'")
    assert kept, "no idempotency record in this run"
    assert all(k.startswith("v2:") for k in kept), [k[:24] for k in kept if not k.startswith("v2:")][:3]


def test_records_past_their_retention_are_purged(admin, stack):
    old, fresh = "old-" + uuid.uuid4().hex, "fresh-" + uuid.uuid4().hex
    for k in (old, fresh):
        r = admin.post("/v1/api-keys", {"name": "ttl", "workspace": "ws-" + uuid.uuid4().hex},
                       headers={"Idempotency-Key": k})
        assert r.status == 201, r
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(stack["OI_PG_PORT"]), "-U", "postgres", "-d", "oneinbox",
                    "-c", "UPDATE gateway.idempotency_keys SET created_at = now() - interval '25 hours' "
                    "WHERE key = '%s'" % old], check=True, capture_output=True, timeout=30)
    import time
    deadline = time.monotonic() + 15
    while rows(stack, "key = '%s'" % old) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert rows(stack, "key = '%s'" % old) == [], "not purged after its retention"
    assert len(rows(stack, "key = '%s'" % fresh)) == 1
