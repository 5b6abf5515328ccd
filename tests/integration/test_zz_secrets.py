"""Runs last (file order): no response body and no log line may contain a submitted SIP
password or integration api_key — neither those this file submits nor any that earlier tests
submitted (oiclient.secret() records them; every response is recorded by the client). The one
exception is a 200 of GET /v1/routing/outbound: the trunk credentials the SIP edge dials with,
internal token only (test_sip_outbound.py)."""
import glob
import os
import time
import uuid

import pytest

import oiclient
import resp
from oiclient import outbound_body, path_c_body, secret


@pytest.fixture(scope="module")
def exercised(new_workspace):
    """Drive every path that touches a secret once more: success, failure, validation, reads."""
    c = new_workspace()
    a = c.agent()["id"]
    body = path_c_body(a, a, a)
    r = c.register(body, expect=None)
    nid = r.json.get("id", "") if isinstance(r.json, dict) else ""
    c.get("/v1/phone-numbers/" + nid)
    c.get("/v1/phone-numbers")
    c.patch("/v1/phone-numbers/" + nid, {"friendly_name": "after"})
    c.register(outbound_body(a, number=body["phone_number"]), expect=None)               # duplicate
    c.register(outbound_body(str(uuid.uuid4())), expect=None)                           # unknown agent
    c.register(outbound_body(a, provider_config={"auth_password": secret()}), expect=None)  # incomplete
    bad = outbound_body(a)
    bad["phone_number"] = "+0"                                                          # 422 + password
    c.register(bad, expect=None)
    c.request("POST", "/v1/phone-numbers", raw=('{"provider_config": {"auth_password": "%s"' % secret()).encode())
    i = c.post("/v1/integrations", {"name": "t", "provider": "twilio", "api_key": secret("api-key"),
                                    "metadata": {"sip_trunk": "t.pstn.twilio.com",
                                                 "auth_token": secret("meta-token")}})
    iid = i.json.get("id", "") if isinstance(i.json, dict) else ""
    c.get("/v1/integrations/" + iid)
    c.get("/v1/integrations")
    c.post("/v1/integrations", {"name": "t", "provider": "nope", "api_key": secret("api-key")})
    c.delete("/v1/phone-numbers/" + nid)
    time.sleep(1.0)  # let the services write their last lines
    return c


def test_no_secret_in_any_response(exercised):
    assert oiclient.SECRETS
    leaks = []
    for method, path, status, text in list(oiclient.RESPONSES):
        if method == "GET" and path.startswith("/v1/routing/outbound") and status == 200:
            continue  # the SIP edge's trunk credentials: the one answer made to carry them (internal token)
        for s in oiclient.SECRETS:
            if s in text:
                leaks.append("%s %s → %d contains %s…" % (method, path, status, s[:12]))
    assert not leaks, "\n".join(leaks[:20])


def test_no_secret_in_any_log_line(exercised, stack):
    logs = sorted(glob.glob(os.path.join(stack["OI_LOG_DIR"], "*.log")))
    assert logs, "no logs in " + stack["OI_LOG_DIR"]
    secrets = set(oiclient.SECRETS) | set(oiclient.env_secrets())
    leaks = []
    for path in logs:
        with open(path, "rb") as f:
            for no, line in enumerate(f, 1):
                text = line.decode("utf-8", "replace")
                for s in secrets:
                    if s in text:
                        leaks.append("%s:%d contains %s…" % (os.path.basename(path), no, s[:12]))
    assert not leaks, "\n".join(leaks[:20])


def test_logs_are_json_lines(exercised, stack):
    """Our services log one JSON object per line (postgres and redis logs excepted)."""
    import json
    bad = []
    for path in glob.glob(os.path.join(stack["OI_LOG_DIR"], "oi-*.log")):
        with open(path, encoding="utf-8", errors="replace") as f:
            for no, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("==== "):
                    continue
                if not line.startswith("{"):
                    continue  # sanitizer reports and the like are not ours to shape
                try:
                    json.loads(line)
                except ValueError:
                    bad.append("%s:%d" % (os.path.basename(path), no))
    assert not bad, bad[:20]


def test_no_secret_at_rest_in_postgresql_or_redis(exercised, stack):
    """pg_dump of the whole database and every Redis key and value: none holds a secret the tests
    submitted (SIP passwords, integration keys and metadata secrets), nor a whole API key."""
    import re
    import subprocess

    dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-p", str(stack["OI_PG_PORT"]), "-U", "postgres",
                           "oneinbox"], capture_output=True, timeout=120)
    assert dump.returncode == 0, dump.stderr[-300:]
    r = resp.for_stack(stack)
    kept = [k + b"\n" + (r.value(k) or b"") for k in r.keys()]
    r.close()
    stores = {"postgresql": dump.stdout, "redis": b"\n".join(kept)}
    secrets = set(oiclient.SECRETS) | set(oiclient.env_secrets())
    leaks = []
    for where, data in stores.items():
        text = data.decode("utf-8", "replace")
        leaks += ["%s holds %s…" % (where, s[:12]) for s in secrets if s in text]
        leaks += ["%s holds a whole API key %s…" % (where, m[:12]) for m in re.findall(r"oi_sk_[0-9a-f]{40,}", text)]
    assert not leaks, "\n".join(sorted(leaks)[:20])
