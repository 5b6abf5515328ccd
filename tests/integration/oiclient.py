"""A small HTTP client for the OneInbox gateway, Python stdlib only.

Every response body is recorded (RESPONSES) so the secrets test can check that no submitted
password or API key ever came back; every secret a test submits is made with secret() and
recorded in SECRETS.
"""
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime

RESPONSES = []
# every answer of the gateway, for the OpenAPI conformance test: (method, url, status, type, body)
ANSWERS = []
SECRETS = set()
_lock = threading.Lock()

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def load_stack_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.text = raw.decode("utf-8", "replace")
        try:
            self.json = json.loads(self.text) if self.text else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        """detail.code of a non-validation error, or None."""
        d = self.json.get("detail") if isinstance(self.json, dict) else None
        return d.get("code") if isinstance(d, dict) else None

    @property
    def errors(self):
        """The FastAPI 422 list (detail), or []."""
        d = self.json.get("detail") if isinstance(self.json, dict) else None
        return d if isinstance(d, list) else []

    def locs(self):
        return [tuple(e.get("loc", [])) for e in self.errors]

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:400])


class Client:
    def __init__(self, base, token=None, timeout=60):
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout

    def with_token(self, token):
        return Client(self.base, token, self.timeout)

    def request(self, method, path, body=None, raw=None, headers=None, token=...):
        url = path if path.startswith("http") else self.base + path
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(url, data=data, method=method)
        tok = self.token if token is ... else token
        if tok is not None:
            req.add_header("Authorization", "Bearer " + tok)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                resp = Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            resp = Response(e.code, e.headers, e.read())
        with _lock:
            RESPONSES.append((method, path, resp.status, resp.text))
            ANSWERS.append((method, url, resp.status, resp.headers.get("Content-Type") or "", resp.text))
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # ---- conveniences used by many tests
    def agent(self, name=None, **fields):
        r = self.post("/v1/agents", {"name": name or "agent-" + uuid.uuid4().hex[:8], **fields})
        assert r.status == 201, r
        return r.json

    def register(self, body, expect=201):
        r = self.post("/v1/phone-numbers", body)
        if expect is not None:
            assert r.status == expect, r
        return r


def secret(tag="pw"):
    """A unique secret value, recorded so the final test can look for leaks."""
    s = "%s-%s" % (tag, uuid.uuid4().hex)
    with _lock:
        SECRETS.add(s)
    return s


_used_numbers = set()


def new_number():
    """A random, plausible NANP number in E.164, unique within this run."""
    while True:
        n = "+1%d%02d%d%04d" % (random.randint(2, 9), random.randint(0, 99), random.randint(200, 999),
                                random.randint(0, 9999))
        with _lock:
            if n not in _used_numbers:
                _used_numbers.add(n)
                return n


def provider_config(password=None):
    return {
        "trunk_address": "yourtrunk.pstn.twilio.com",
        "auth_username": "oneinbox",
        "auth_password": password or secret(),
    }


def path_c_body(agent_id, routing_agent_id, fallback_agent_id, number=None, **over):
    """The Path C curl of the seed (001) with the ids substituted."""
    body = {
        "phone_number": number or new_number(),
        "friendly_name": "Sales Line",
        "provider": "twilio",
        "agent_id": agent_id,
        "provider_config": provider_config(),
        "inbound_routing": {
            "agent_id": routing_agent_id,
            "fallback": {"agent_id": fallback_agent_id},
            "voicemail_message": "Sorry, we missed you. Please leave a message.",
        },
    }
    body.update(over)
    return body


def outbound_body(agent_id, number=None, **over):
    body = {
        "phone_number": number or new_number(),
        "provider": "twilio",
        "agent_id": agent_id,
        "provider_config": provider_config(),
    }
    body.update(over)
    return body


def is_uuid(s):
    try:
        return isinstance(s, str) and str(uuid.UUID(s)) == s.lower()
    except ValueError:
        return False


def is_rfc3339(s):
    if not isinstance(s, str) or not RFC3339.match(s):
        return False
    datetime.fromisoformat(s.replace("Z", "+00:00"))
    return True


def next_link(resp):
    """The URL of Link: <…>; rel="next", or None."""
    link = resp.headers.get("Link")
    if not link:
        return None
    for part in link.split(","):
        m = re.match(r'\s*<([^>]*)>\s*;\s*rel="?next"?', part)
        if m:
            return m.group(1)
    return None


def quote(s):
    return urllib.parse.quote(s, safe="")


def env_secrets():
    return [s for s in os.environ.get("OI_TEST_ENV_SECRETS", "").split(",") if s]


def wait_job(client, job_id, timeout=120, every=0.3):
    """GET /v1/jobs/{id} until the job ended (succeeded, failed, cancelled); its body."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = client.get("/v1/jobs/" + job_id)
        assert r.status == 200, r
        if r.json["status"] in ("succeeded", "failed", "cancelled"):
            return r.json
        time.sleep(every)
    raise AssertionError("job %s still %s" % (job_id, r.json["status"]))
