"""GET /v1/routing/resolve?to=&from= with the internal token (OI_INTERNAL_TOKEN)."""
import base64
import concurrent.futures as cf
import time

import pytest

from oiclient import is_uuid, new_number, outbound_body, path_c_body, provider_config, quote, secret

VM = "Sorry, we missed you. Please leave a message."
FROM = "+14155550100"


def resolve(internal, number, frm=FROM):
    q = "/v1/routing/resolve?to=" + quote(number)
    if frm:
        q += "&from=" + quote(frm)
    return internal.get(q)


def resolve_until(internal, number, pred, timeout=6.0):
    """Routing decisions are cached; a change of an agent must show within a few seconds."""
    deadline = time.time() + timeout
    while True:
        r = resolve(internal, number)
        if pred(r) or time.time() > deadline:
            return r
        time.sleep(0.25)


@pytest.fixture
def routed(client, agents):
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json


def test_requires_internal_token(anon, client, admin, routed):
    path = "/v1/routing/resolve?to=" + quote(routed["phone_number"])
    assert anon.get(path).status == 401
    assert client.get(path).status in (401, 403)
    assert admin.get(path).status in (401, 403)
    assert anon.get(path, headers={"Authorization": "Bearer wrong-internal-token-xxxx"}, token=None).status == 401


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def test_internal_token_as_basic_password(anon, stack, client, routed):
    """The SIP edge's HTTP connections can only carry Basic credentials."""
    token = stack["OI_INTERNAL_TOKEN"]
    path = "/v1/routing/resolve?to=" + quote(routed["phone_number"])
    r = anon.get(path, headers=basic("sip-edge", token), token=None)
    assert r.status == 200 and r.json["number_id"] == routed["id"], r
    assert anon.get(path, headers=basic("sip-edge", token + "x"), token=None).status == 401
    assert anon.get(path, headers=basic(token, ""), token=None).status == 401
    # only internal routes take it: not an API-key route, not with the admin token
    assert anon.get("/v1/phone-numbers", headers=basic("sip-edge", token), token=None).status == 401
    assert anon.get(path, headers=basic("admin", stack["OI_ADMIN_TOKEN"]), token=None).status == 401


def test_primary(internal, agents, routed):
    r = resolve(internal, routed["phone_number"])
    assert r.status == 200, r
    b = r.json
    assert b["number_id"] == routed["id"]
    assert b["agent_id"] == agents["routing"]
    assert b["fallback_agent_id"] == agents["fallback"]
    assert b["voicemail_message"] == VM
    assert b["dispatch_rule_id"] == routed["dispatch_rule_id"]
    assert b["inbound_trunk_id"] == routed["inbound_trunk_id"]
    assert b["provider"] == routed["provider"]
    assert isinstance(b["reason"], str) and b["reason"]
    assert is_uuid(b["number_id"])


def test_without_from(internal, agents, routed):
    r = resolve(internal, routed["phone_number"], frm=None)
    assert r.status == 200 and r.json["agent_id"] == agents["routing"], r


def test_paused_primary_yields_fallback(client, internal, agents, routed):
    assert resolve(internal, routed["phone_number"]).json["agent_id"] == agents["routing"]
    assert client.patch("/v1/agents/" + agents["routing"], {"status": "paused"}).status == 200
    r = resolve_until(internal, routed["phone_number"], lambda r: r.json and r.json.get("agent_id") != agents["routing"])
    assert r.status == 200, r
    assert r.json["agent_id"] == agents["fallback"], r
    assert "fallback" in r.json["reason"], r
    # and back
    assert client.patch("/v1/agents/" + agents["routing"], {"status": "active"}).status == 200
    r = resolve_until(internal, routed["phone_number"], lambda r: r.json and r.json.get("agent_id") == agents["routing"])
    assert r.json["agent_id"] == agents["routing"], r


def test_an_agent_change_reaches_every_number_routed_to_it(client, internal):
    """dispatch invalidates the numbers an agent's change touches a thousand at a time: the
    numbers past the first thousand see the change too."""
    primary, fallback, pw = client.agent("many"), client.agent("many-fallback"), secret()
    numbers = [new_number() for _ in range(2100)]

    def register(n):
        body = path_c_body(primary["id"], primary["id"], fallback["id"], n, provider_config=provider_config(pw))
        return client.register(body, expect=None).status

    with cf.ThreadPoolExecutor(max_workers=8) as ex:
        assert set(ex.map(register, numbers)) == {201}
    probes = numbers[:2] + numbers[1000:1002] + numbers[-2:]
    for n in probes:
        assert resolve(internal, n).json["agent_id"] == primary["id"]  # cached now
    assert client.patch("/v1/agents/" + primary["id"], {"status": "paused"}).status == 200
    for n in probes:
        r = resolve_until(internal, n, lambda r: r.json and r.json.get("agent_id") == fallback["id"])
        assert r.json["agent_id"] == fallback["id"] and r.json["reason"] == "fallback_primary_paused", (n, r)


def test_deleted_primary_yields_fallback(client, internal, agents, routed):
    resolve(internal, routed["phone_number"])  # warm the cache
    assert client.delete("/v1/agents/" + agents["routing"]).status == 204
    r = resolve_until(internal, routed["phone_number"], lambda r: r.json and r.json.get("agent_id") == agents["fallback"])
    assert r.status == 200 and r.json["agent_id"] == agents["fallback"], r


def test_no_usable_agent_yields_voicemail(client, internal, agents, routed):
    resolve(internal, routed["phone_number"])
    for a in (agents["routing"], agents["fallback"]):
        assert client.patch("/v1/agents/" + a, {"status": "paused"}).status == 200
    r = resolve_until(internal, routed["phone_number"], lambda r: r.json and r.json.get("agent_id") is None)
    assert r.status == 200, r
    assert r.json["agent_id"] is None
    assert r.json["voicemail_message"] == VM
    assert "voicemail" in r.json["reason"], r


def test_patch_routing_is_seen_by_resolve(client, internal, agents, routed):
    resolve(internal, routed["phone_number"])
    new = client.agent("new-router")["id"]
    assert client.patch("/v1/phone-numbers/" + routed["id"], {"inbound_routing": {"agent_id": new}}).status == 200
    r = resolve_until(internal, routed["phone_number"], lambda r: r.json and r.json.get("agent_id") == new)
    assert r.json["agent_id"] == new, r
    assert r.json["fallback_agent_id"] == agents["fallback"]


def test_unknown_number_is_no_route(internal):
    r = resolve(internal, new_number())
    assert r.status == 404 and r.code == "NO_ROUTE", r


def test_outbound_only_is_no_route(client, internal, agents):
    n = client.register(outbound_body(agents["primary"])).json
    r = resolve(internal, n["phone_number"])
    assert r.status == 404 and r.code == "NO_ROUTE", r


@pytest.mark.parametrize("q", ["", "?to=", "?to=12345", "?to=%2B0123", "?to=%2B15551234567&from=abc"])
def test_bad_query(internal, q):
    r = internal.get("/v1/routing/resolve" + q)
    assert r.status == 422, r
    assert any(loc and loc[0] == "query" for loc in r.locs()), r


def test_resolve_is_not_workspace_scoped(new_workspace, internal):
    """Two workspaces, two numbers: each resolves to its own agent."""
    out = []
    for _ in range(2):
        c = new_workspace()
        a = c.agent()["id"]
        n = c.register(outbound_body(a, inbound_routing={"agent_id": a})).json
        out.append((n, a))
    for n, a in out:
        r = resolve(internal, n["phone_number"])
        assert r.status == 200 and r.json["agent_id"] == a, r


# --- format=form: the decision as application/x-www-form-urlencoded (the SIP edge's) -----------------

def resolve_form(internal, number, frm=FROM):
    from urllib.parse import parse_qs

    r = internal.get("/v1/routing/resolve?format=form&to=" + quote(number) + ("&from=" + quote(frm) if frm else ""))
    pairs = [p.split("=", 1)[0] for p in r.text.split("&")] if r.status == 200 else []
    return r, {k: v[0] for k, v in parse_qs(r.text, keep_blank_values=True).items()}, pairs


def test_form_answers_the_json_decisions_scalar_members(internal, agents, routed):
    j = resolve(internal, routed["phone_number"]).json
    r, f, names = resolve_form(internal, routed["phone_number"])
    assert r.status == 200, r
    assert r.headers.get("Content-Type") == "application/x-www-form-urlencoded", r.headers
    assert names == ["number_id", "agent_id", "fallback_agent_id", "voicemail_message", "dispatch_rule_id",
                     "inbound_trunk_id", "reason", "provider", "version"], r.text
    for k in names:
        assert f[k] == str(j[k]), (k, f, j)
    assert "steps" not in f
    # a second answer comes from the form's own cache, the same
    assert resolve_form(internal, routed["phone_number"])[1] == f


def test_form_leaves_null_members_out_and_encodes_every_reserved_character(client, internal, agents):
    vm = "Tschüss & bye = 100% + more; see https://x.example/?a=b#c"
    only = client.agent("form-only")["id"]
    n = client.register(outbound_body(agents["primary"], inbound_routing={"agent_id": only, "voicemail_message": vm})).json
    assert client.patch("/v1/agents/" + only, {"status": "paused"}).status == 200
    r, f, names = resolve_form(internal, n["phone_number"])
    assert r.status == 200, r
    assert "agent_id" not in names and "fallback_agent_id" not in names, r.text
    assert f["voicemail_message"] == vm, r.text
    raw = dict(p.split("=", 1) for p in r.text.split("&"))["voicemail_message"]
    assert " " not in raw and "+" not in raw and "&" not in raw and "=" not in raw, raw
    assert raw.startswith("Tsch%C3%BCss%20%26%20bye%20%3D%20100%25%20%2B%20more"), raw


def test_form_follows_a_patch_at_once(client, internal, agents, routed):
    assert resolve_form(internal, routed["phone_number"])[1]["agent_id"] == agents["routing"]
    new = client.agent("form-router")["id"]
    assert client.patch("/v1/phone-numbers/" + routed["id"], {"inbound_routing": {"agent_id": new}}).status == 200
    assert resolve_form(internal, routed["phone_number"])[1]["agent_id"] == new


def test_form_of_a_number_with_a_caller_rule_is_decided_per_caller(client, internal, agents, routed):
    rule = {"match": {"prefix": "+44"}, "action": "route", "agent_id": agents["fallback"]}
    r = client.patch("/v1/phone-numbers/" + routed["id"], {"inbound_routing": {"caller_rules": [rule]}})
    assert r.status == 200, r
    for frm, agent, reason in (("+447700900123", agents["fallback"], "caller_rule"), (FROM, agents["routing"], None)):
        for _ in range(2):  # decided from the snapshot, then from the memo
            _, f, _ = resolve_form(internal, routed["phone_number"], frm)
            j = resolve(internal, routed["phone_number"], frm).json
            assert f["agent_id"] == agent == j["agent_id"], (frm, f, j)
            assert f["reason"] == j["reason"] and (reason is None or f["reason"] == reason), (f, j)


@pytest.mark.parametrize("fmt", ["xml", "", "FORM"])
def test_unknown_format_is_422(internal, routed, fmt):
    r = internal.get("/v1/routing/resolve?format=%s&to=%s" % (fmt, quote(routed["phone_number"])))
    assert r.status == 422 and ("query", "format") in r.locs(), r
