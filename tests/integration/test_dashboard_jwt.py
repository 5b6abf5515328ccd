"""Dashboard JWTs on the API-key header (the seeds' security scheme): both gateway replicas are
restarted for this module with a JWKS (an RSA and an EC P-256 key made here) and restored after."""
import json
import os
import tempfile
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

import oiclient
from oiclient import outbound_body
from stackctl import Stack

ISS, AUD = "https://dash.oneinbox.test", "oneinbox-api"


@pytest.fixture(scope="module")
def keys(stack):
    ctl = Stack(stack)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [dict(json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key())), kid="r1", use="sig"),
                     dict(json.loads(ECAlgorithm.to_jwk(ec_key.public_key())), kid="e1", use="sig")]}
    d = tempfile.mkdtemp(prefix="oi-jwks-")
    path = os.path.join(d, "jwks.json")
    with open(path, "w") as f:
        json.dump(jwks, f)
    os.chmod(d, 0o755)
    os.chmod(path, 0o644)
    env = {"OI_JWT_JWKS_FILE": path, "OI_JWT_ISSUER": ISS, "OI_JWT_AUDIENCE": AUD}
    for n in ctl.gateway_names():
        ctl.stop(n)
        ctl.start(n, env=env)
    yield {"rsa": rsa_key, "ec": ec_key}
    for n in ctl.gateway_names():
        ctl.stop(n)
        ctl.start(n, env={"OI_JWT_JWKS_FILE": "", "OI_JWT_ISSUER": "", "OI_JWT_AUDIENCE": ""})


def sign(keys, workspace, alg="RS256", kid="r1", **over):
    claims = {"iss": ISS, "aud": AUD, "sub": "dash-user-1", "workspace_id": workspace,
              "exp": int(time.time()) + 300, "iat": int(time.time())}
    claims.update(over)
    claims = {k: v for k, v in claims.items() if v is not None}
    key = keys["rsa"] if alg.startswith("RS") else keys["ec"]
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture
def workspace(admin):
    name = "ws-" + uuid.uuid4().hex
    r = admin.post("/v1/api-keys", {"name": "jwt", "workspace": name})
    assert r.status == 201, r
    c = admin.with_token(r.json["key"])
    c.key_info = r.json
    return name, c


def test_a_jwt_works_where_an_api_key_does_scoped_to_its_workspace(keys, base_url, workspace, new_workspace):
    name, by_key = workspace
    agent = by_key.agent("via-key")["id"]
    number = by_key.register(outbound_body(agent)).json
    for alg, kid in (("RS256", "r1"), ("ES256", "e1")):
        c = oiclient.Client(base_url, sign(keys, name, alg, kid))
        listed = c.get("/v1/phone-numbers")
        assert listed.status == 200 and [n["id"] for n in listed.json] == [number["id"]], listed
        assert c.get("/v1/phone-numbers/" + number["id"]).status == 200
        created = c.agent("via-jwt-" + alg)
        assert by_key.get("/v1/agents/" + created["id"]).status == 200
    other = new_workspace()
    foreign = other.register(outbound_body(other.agent("x")["id"])).json
    c = oiclient.Client(base_url, sign(keys, name))
    assert c.get("/v1/phone-numbers/" + foreign["id"]).status == 404


def test_audit_events_name_the_jwt_subject(keys, base_url, workspace):
    name, by_key = workspace
    c = oiclient.Client(base_url, sign(keys, name))
    created = c.agent("audited-by-jwt")
    r = by_key.get("/v1/audit-events?resource_id=" + created["id"])
    assert r.status == 200, r
    assert [(e["action"], e["actor"]) for e in r.json] == [("agent.created", {"type": "jwt", "id": "dash-user-1"})]


def test_the_workspace_claim_may_be_the_workspace_id(keys, base_url, workspace):
    name, by_key = workspace
    agent = by_key.agent("seen-by-id")["id"]
    c = oiclient.Client(base_url, sign(keys, by_key.key_info["workspace_id"]))
    r = c.get("/v1/agents/" + agent)
    assert r.status == 200, r


@pytest.mark.parametrize("case", ["expired", "not_yet", "issuer", "audience", "unknown_workspace", "no_workspace",
                                  "none", "hs256_with_public_key", "wrong_kid", "tampered"])
def test_refused_tokens_are_401_with_the_usual_body(keys, base_url, workspace, case):
    name, _ = workspace
    now = int(time.time())
    if case == "expired":
        tok = sign(keys, name, exp=now - 120)
    elif case == "not_yet":
        tok = sign(keys, name, nbf=now + 600)
    elif case == "issuer":
        tok = sign(keys, name, iss="https://evil.example")
    elif case == "audience":
        tok = sign(keys, name, aud="someone-else")
    elif case == "unknown_workspace":
        tok = sign(keys, "ws-does-not-exist-" + uuid.uuid4().hex)
    elif case == "no_workspace":
        tok = sign(keys, None)
    elif case == "none":
        tok = jwt.encode({"iss": ISS, "aud": AUD, "workspace_id": name, "exp": now + 300}, None, algorithm="none")
    elif case == "hs256_with_public_key":
        pem = keys["rsa"].public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo)
        import hashlib
        import hmac
        import base64

        def b64(b):
            return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "r1"}).encode())
        body = b64(json.dumps({"iss": ISS, "aud": AUD, "workspace_id": name, "exp": now + 300}).encode())
        sig = b64(hmac.new(pem, ("%s.%s" % (head, body)).encode(), hashlib.sha256).digest())
        tok = "%s.%s.%s" % (head, body, sig)
    elif case == "wrong_kid":
        tok = sign(keys, name, kid="e1")  # an RS256 token naming the EC key
    else:
        good = sign(keys, name)
        h, p, s = good.split(".")
        claims = json.loads(base64_pad(p))
        claims["workspace_id"] = "ws-someone-else"
        import base64
        p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        tok = "%s.%s.%s" % (h, p2, s)
    r = oiclient.Client(base_url, tok).get("/v1/phone-numbers")
    assert r.status == 401, (case, r)
    assert r.code == "UNAUTHORIZED", r


def base64_pad(s):
    import base64
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_a_jwt_is_not_an_admin_or_internal_credential(keys, base_url, workspace):
    name, _ = workspace
    c = oiclient.Client(base_url, sign(keys, name))
    assert c.get("/v1/jobs").status in (401, 403)
    assert c.get("/v1/routing/resolve?to=%2B14155550100").status in (401, 403)
