"""The SIP edge (deploy/sip, Kamailio) routing real INVITEs over loopback UDP.

The test stack (deploy/local/test.sh) starts the edge with Twilio's sources = 127.0.0.1/32 and
Telnyx's = 127.0.0.3/32, the agent endpoint and voicemail on OI_AGENT_SIP_URI's port (played
here by sipua.Endpoint) and a short ring timeout.
"""
import re
import time

import pytest

import oiclient
from oiclient import path_c_body
from sipua import Caller, Endpoint

VM = "Sorry, we missed you. Please leave a message."


@pytest.fixture
def endpoint(stack):
    m = re.match(r"sip:\{agent_id\}@([\d.]+):(\d+)", stack["OI_AGENT_SIP_URI"])
    ep = Endpoint(m.group(1), int(m.group(2)))
    yield ep
    ep.close()


@pytest.fixture
def caller(edge):
    c = Caller(edge)
    yield c
    c.close()


@pytest.fixture
def routed(client, agents):
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json


def headers(invite):
    return {k: v for k, v in invite.headers if k.startswith("X-OI-")}


def test_options_ping_is_answered(caller, edge):
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    msg = ("OPTIONS sip:ping@%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKping1\r\n"
           "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ping-1\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n") % edge
    s.bind(("127.0.0.1", 0))
    s.sendto(msg.encode().replace(b"127.0.0.1:9", ("127.0.0.1:%d" % s.getsockname()[1]).encode()), edge)
    data, _ = s.recvfrom(65535)
    assert data.startswith(b"SIP/2.0 200"), data


def test_primary_answers_with_the_decision_in_headers(caller, endpoint, routed, agents):
    final, _ = caller.invite(routed["phone_number"])
    assert final.status == 200, final
    assert endpoint.users() == [agents["routing"]]
    h = headers(endpoint.invites[0])
    assert h["X-OI-Number-Id"] == routed["id"]
    assert h["X-OI-Agent-Id"] == agents["routing"]
    assert h["X-OI-Dispatch-Rule-Id"] == routed["dispatch_rule_id"]
    assert h["X-OI-Reason"] == "primary"
    assert "X-OI-Voicemail-Message" not in h


def test_caller_headers_cannot_forge_the_decision(caller, endpoint, routed, agents):
    final, _ = caller.invite(routed["phone_number"], extra=[("X-OI-Agent-Id", "forged")])
    assert final.status == 200
    assert endpoint.invites[0].all("X-OI-Agent-Id") == [agents["routing"]]


def test_number_in_national_or_00_form_is_normalised(caller, endpoint, routed, agents):
    n = routed["phone_number"]
    for form in (n[1:], "00" + n[1:]):
        final, _ = caller.invite(n, uri_user=form)
        assert final.status == 200, (form, final)
    assert endpoint.users() == [agents["routing"]] * 2


def test_primary_503_then_fallback_answers(caller, endpoint, routed, agents):
    endpoint.plan[agents["routing"]] = ("reject", 503)
    final, _ = caller.invite(routed["phone_number"])
    assert final.status == 200, final
    assert endpoint.users() == [agents["routing"], agents["fallback"]]
    h = headers(endpoint.invites[1])
    assert h["X-OI-Agent-Id"] == agents["fallback"]
    assert h["X-OI-Reason"] == "fallback_primary_failed"


@pytest.mark.parametrize("code", [486, 480, 408, 500])
def test_each_failover_code_moves_on(caller, endpoint, routed, agents, code):
    endpoint.plan[agents["routing"]] = ("reject", code)
    final, _ = caller.invite(routed["phone_number"])
    assert final.status == 200 and endpoint.users() == [agents["routing"], agents["fallback"]]


def test_a_decline_is_not_failed_over(caller, endpoint, routed, agents):
    endpoint.plan[agents["routing"]] = ("reject", 603)
    final, _ = caller.invite(routed["phone_number"])
    assert final.status == 603 and endpoint.users() == [agents["routing"]]


def test_no_answer_then_fallback_fails_then_voicemail_with_message(stack, caller, endpoint, routed, agents):
    endpoint.plan[agents["routing"]] = ("ring",)
    endpoint.plan[agents["fallback"]] = ("reject", 503)
    ring_s = int(stack["OI_AGENT_RING_TIMEOUT_MS"]) / 1000
    t0 = time.monotonic()
    final, _ = caller.invite(routed["phone_number"], timeout=ring_s + 10)
    assert final.status == 200, final
    assert time.monotonic() - t0 >= ring_s * 0.9
    assert endpoint.users() == [agents["routing"], agents["fallback"], "voicemail"]
    h = headers(endpoint.invites[2])
    assert h["X-OI-Voicemail-Message"] == VM
    assert h["X-OI-Number-Id"] == routed["id"]
    assert "X-OI-Agent-Id" not in h


def test_every_step_failing_ends_in_480_with_reason(caller, endpoint, routed, agents):
    for a in (agents["routing"], agents["fallback"], "voicemail"):
        endpoint.plan[a] = ("reject", 503)
    final, _ = caller.invite(routed["phone_number"])
    assert final.status == 480, final
    assert final.get("Reason", "").startswith("SIP;cause=480")


def test_paused_primary_goes_to_the_fallback_first(client, caller, endpoint, routed, agents):
    assert client.patch("/v1/agents/" + agents["routing"], {"status": "paused"}).status == 200
    final, _ = caller.invite(routed["phone_number"])
    assert final.status == 200
    assert endpoint.users() == [agents["fallback"]]
    assert headers(endpoint.invites[0])["X-OI-Reason"] == "fallback_primary_paused"


def test_a_patch_applies_to_the_very_next_invite(client, caller, endpoint, routed, agents):
    assert caller.invite(routed["phone_number"])[0].status == 200
    new = client.agent("new-primary")["id"]
    r = client.patch("/v1/phone-numbers/" + routed["id"], {"inbound_routing": {"agent_id": new}})
    assert r.status == 200, r
    assert caller.invite(routed["phone_number"])[0].status == 200
    assert endpoint.users() == [agents["routing"], new]


def test_unknown_number_is_404_with_reason(caller, endpoint):
    final, _ = caller.invite(oiclient.new_number())
    assert final.status == 404
    assert "not routed" in final.get("Reason", "")
    assert endpoint.invites == []


def test_not_a_number_is_404(caller, endpoint):
    final, _ = caller.invite("sales", uri_user="sales")
    assert final.status == 404 and endpoint.invites == []


def test_source_not_allowed_is_403(edge, endpoint, routed):
    c = Caller(edge, host="127.0.0.2")
    try:
        final, _ = c.invite(routed["phone_number"])
    finally:
        c.close()
    assert final.status == 403 and endpoint.invites == []


def test_other_carriers_source_is_403_for_this_number(edge, endpoint, routed):
    c = Caller(edge, host="127.0.0.3")  # Telnyx's source; the number is Twilio's
    try:
        final, _ = c.invite(routed["phone_number"])
    finally:
        c.close()
    assert final.status == 403 and endpoint.invites == []


def test_anonymous_caller_is_routed(caller, endpoint, routed, agents):
    final, _ = caller.invite(routed["phone_number"], frm=None)
    assert final.status == 200 and endpoint.users() == [agents["routing"]]


def test_suite_down_is_503_with_retry_after(ctl, caller, endpoint, routed):
    ctl.stop("oi-gateway")
    try:
        t0 = time.monotonic()
        final, _ = caller.invite(routed["phone_number"])
        assert final.status == 503, final
        assert final.get("Retry-After") == "5"
        assert time.monotonic() - t0 < 5
    finally:
        ctl.start("oi-gateway")
    assert endpoint.invites == []


def test_outbound_only_number_is_404(client, caller, endpoint, agents):
    n = client.register(oiclient.outbound_body(agents["primary"])).json
    final, _ = caller.invite(n["phone_number"])
    assert final.status == 404 and "not routed" in final.get("Reason", "")
    assert endpoint.invites == []


def voicemail_step(client, caller, endpoint, agents, inbound_routing):
    """A number with this routing whose agent answers 503: the call ends at voicemail. The
    number and the X-OI-* headers of the INVITE voicemail received."""
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    body["inbound_routing"] = inbound_routing
    n = client.register(body).json
    endpoint.plan[agents["routing"]] = ("reject", 503)
    final, _ = caller.invite(n["phone_number"])
    assert final.status == 200, final
    assert endpoint.users() == [agents["routing"], "voicemail"]
    return n, headers(endpoint.invites[1])


def test_voicemail_without_a_message_carries_none(client, caller, endpoint, agents):
    n, h = voicemail_step(client, caller, endpoint, agents, {"agent_id": agents["routing"]})
    assert "X-OI-Voicemail-Message" not in h and "X-OI-Agent-Id" not in h
    assert h["X-OI-Number-Id"] == n["id"]


def test_voicemail_message_with_reserved_characters_arrives_intact(client, caller, endpoint, agents):
    """The edge reads the decision as form text: every reserved character comes back decoded."""
    vm = "Tschüss & bye = 100% + more; see https://x.example/?a=b#c"
    _, h = voicemail_step(client, caller, endpoint, agents, {"agent_id": agents["routing"], "voicemail_message": vm})
    assert h["X-OI-Voicemail-Message"] == vm


def test_a_voicemail_message_cannot_add_headers(client, caller, endpoint, agents):
    """A message is the tenant's text: its line breaks and other control characters never reach
    the INVITE as such (no header of its own making, no broken message)."""
    vm = "Hello\r\nX-OI-Agent-Id: 00000000-0000-4000-8000-000000000000\r\n\r\nbye\tnow"
    _, h = voicemail_step(client, caller, endpoint, agents, {"agent_id": agents["routing"], "voicemail_message": vm})
    assert "X-OI-Agent-Id" not in h, h
    assert h["X-OI-Voicemail-Message"] == "Hello X-OI-Agent-Id: 00000000-0000-4000-8000-000000000000 bye now", h


def _ops_get(port, path):
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_ops_port_answers_health_readiness_and_metrics(stack, caller, endpoint, routed):
    ops = int(stack["OI_SIP_OPS_PORT"])
    assert _ops_get(ops, "/healthz")[0] == 200
    assert _ops_get(ops, "/readyz") == (200, "ready\n")
    assert _ops_get(ops, "/nothing")[0] == 404
    assert _ops_get(int(stack["OI_SIP_PORT"]), "/metrics")[0] == 403  # HTTP only on the ops port

    def routed_count():
        _, text = _ops_get(ops, "/metrics")
        m = re.search(r'^oi_sip_calls_total ?\{direction="inbound", ?result="routed"\} (\d+)', text, re.M)
        return int(m.group(1)) if m else 0

    before = routed_count()
    assert caller.invite(routed["phone_number"])[0].status == 200
    assert routed_count() == before + 1
    assert "oi_sip_tmx_rpl_sent " in _ops_get(ops, "/metrics")[1]  # Kamailio's own statistics too


def test_caller_rules_reject_with_603_route_and_voicemail(client, caller, endpoint, agents):
    """The routing policy through SIP: a refused caller gets 603 with a Reason, a routed one its
    rule's agent, a withheld one voicemail; nobody else rings."""
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    body["inbound_routing"]["caller_rules"] = [
        {"match": {"numbers": ["+14155550166"]}, "action": "reject"},
        {"match": {"prefix": "+44"}, "action": "route", "agent_id": agents["fallback"]},
        {"match": {"anonymous": True}, "action": "voicemail"}]
    n = client.register(body).json
    final, _ = caller.invite(n["phone_number"], frm="+14155550166")
    assert final.status == 603 and "caller rules" in final.get("Reason", ""), final
    assert endpoint.invites == []
    assert caller.invite(n["phone_number"], frm="+442079460123")[0].status == 200
    assert caller.invite(n["phone_number"], frm=None)[0].status == 200
    assert endpoint.users() == [agents["fallback"], "voicemail"]
    assert headers(endpoint.invites[1])["X-OI-Reason"] == "caller_rule"


def test_after_hours_agent_takes_the_call(client, caller, endpoint, agents):
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    body["inbound_routing"]["schedule"] = {"time_zone": "UTC", "open": [],
                                           "after_hours": {"agent_id": agents["primary"]}}
    n = client.register(body).json
    assert caller.invite(n["phone_number"])[0].status == 200
    assert endpoint.users() == [agents["primary"]]
    assert headers(endpoint.invites[0])["X-OI-Reason"] == "after_hours"


def test_ordered_fallbacks_take_the_call_in_turn(client, caller, endpoint, agents):
    """Primary busy, fallbacks[0] and [1] fail in turn, fallbacks[2] answers: one INVITE, four
    agents rung in the order of the policy."""
    extra = [client.agent("fb-%d" % i)["id"] for i in range(3)]
    body = path_c_body(agents["primary"], agents["routing"], agents["fallback"])
    body["inbound_routing"]["fallback"] = None
    body["inbound_routing"]["fallbacks"] = [{"agent_id": a, "on": ["busy", "error", "no_answer"]} for a in extra]
    n = client.register(body).json
    endpoint.plan[agents["routing"]] = ("reject", 486)
    endpoint.plan[extra[0]] = ("reject", 503)
    endpoint.plan[extra[1]] = ("reject", 480)
    final, _ = caller.invite(n["phone_number"])
    assert final.status == 200, final
    assert endpoint.users() == [agents["routing"]] + extra
    assert headers(endpoint.invites[3])["X-OI-Reason"] == "fallback_primary_failed"
