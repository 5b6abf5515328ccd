"""Outbound calls through the SIP edge: an agent endpoint's INVITE leaves through the outbound
trunk of the number it calls from, and the trunk's digest challenge is answered for it.

The test stack lets agents call from 127.0.0.4 (OI_SIP_AGENT_SOURCES); the outbound trunk is
played here by a sipua.Endpoint whose address is the number's `trunk_address`.
"""
from urllib.parse import quote

import pytest

from oiclient import outbound_body, secret
from sipua import Caller, Endpoint

AGENT_HOST = "127.0.0.4"
DEST = "+14155550199"
TRUNK_USER = "oi-trunk-user"


@pytest.fixture
def trunk():
    ep = Endpoint("127.0.0.1", 0, default=("reject", 404))
    yield ep
    ep.close()


@pytest.fixture
def agent_ua(edge):
    c = Caller(edge, host=AGENT_HOST)
    yield c
    c.close()


@pytest.fixture
def password():
    return secret("trunk")


@pytest.fixture
def number(client, agents, trunk, password):
    """A number of the client's workspace whose outbound trunk is the `trunk` endpoint."""
    body = outbound_body(agents["primary"], provider_config={
        "trunk_address": "%s:%d" % (trunk.host, trunk.port), "auth_username": TRUNK_USER,
        "auth_password": password})
    return client.register(body).json


def call(agent_ua, number, agent_id, to=DEST, extra=()):
    final, _ = agent_ua.invite(to, frm=number["phone_number"], extra=[("X-OI-Agent-Id", agent_id)] + list(extra))
    return final


def test_a_call_leaves_through_the_trunk_and_answers_its_challenge(agent_ua, trunk, number, agents, password):
    trunk.plan[DEST] = ("challenge", TRUNK_USER, password)
    final = call(agent_ua, number, agents["primary"], extra=[("X-OI-Number-Id", "forged")])
    assert final.status == 200, final
    assert [a for a, _ in trunk.auth] == ["challenged", "accepted"]
    first, second = trunk.invites
    assert first.uri.startswith("sip:%s@%s:%d" % (DEST, trunk.host, trunk.port))
    assert number["phone_number"] in first.get("From")
    assert not [k for k, _ in second.headers if k.startswith("X-OI-")]  # nothing internal leaves
    assert password not in "".join(v for _, v in second.headers)  # only its digest does
    assert trunk.byes == 1  # the hang-up followed the edge's Record-Route to the trunk


def test_any_agent_of_the_workspace_may_call_from_its_numbers(agent_ua, trunk, number, agents, password):
    trunk.plan[DEST] = ("challenge", TRUNK_USER, password)
    assert call(agent_ua, number, agents["fallback"]).status == 200


def test_a_trunk_without_challenge_is_called_directly(agent_ua, trunk, number, agents):
    trunk.plan[DEST] = ("answer",)
    assert call(agent_ua, number, agents["primary"]).status == 200
    assert trunk.auth == [] and len(trunk.invites) == 1


def test_credentials_the_trunk_refuses_are_tried_once(agent_ua, trunk, number, agents):
    trunk.plan[DEST] = ("challenge", TRUNK_USER, "not-the-stored-password")
    final = call(agent_ua, number, agents["primary"])
    assert final.status == 403, final
    assert [a for a, _ in trunk.auth] == ["challenged", "refused"]


def test_a_number_of_another_workspace_is_refused(other, agent_ua, trunk, number):
    stranger = other.agent("stranger")["id"]
    final = call(agent_ua, number, stranger)
    assert final.status == 403, final
    assert "cause=403" in final.get("Reason", "")
    assert trunk.invites == []


def test_an_unknown_number_or_agent_is_refused(agent_ua, trunk, number, agents):
    assert call(agent_ua, {"phone_number": "+19998887776"}, agents["primary"]).status == 403
    assert call(agent_ua, number, "00000000-0000-4000-8000-000000000000").status == 403
    assert trunk.invites == []


def test_a_deleted_agent_is_refused(client, agent_ua, trunk, number, agents):
    assert client.delete("/v1/agents/" + agents["fallback"]).status in (200, 204)
    assert call(agent_ua, number, agents["fallback"]).status == 403


def test_an_agent_source_must_name_its_agent(agent_ua, trunk, number):
    final, _ = agent_ua.invite(DEST, frm=number["phone_number"])
    assert final.status == 403 and "X-OI-Agent-Id" in final.get("Reason", "")
    final, _ = agent_ua.invite(DEST, frm=number["phone_number"], extra=[("X-OI-Agent-Id", "not-a-uuid")])
    assert final.status == 403
    assert trunk.invites == []


def test_an_agent_header_from_a_carrier_source_is_not_outbound(edge, trunk, number, agents):
    """127.0.0.1 is a carrier source, not an agent source: the INVITE is inbound to DEST."""
    c = Caller(edge, host="127.0.0.1")
    try:
        final, _ = c.invite(DEST, frm=number["phone_number"], extra=[("X-OI-Agent-Id", agents["primary"])])
    finally:
        c.close()
    assert final.status == 404 and trunk.invites == []


def test_the_outbound_endpoint_is_internal_only(anon, client, admin, internal, number, agents, password):
    path = "/v1/routing/outbound?from=%s&agent_id=%s" % (quote(number["phone_number"]), agents["primary"])
    assert anon.get(path).status == 401
    assert client.get(path).status in (401, 403)
    assert admin.get(path).status in (401, 403)
    r = internal.get(path)
    assert r.status == 200, r
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.json["auth_password"] == password and r.json["auth_username"] == TRUNK_USER
    assert r.json["phone_number"] == number["phone_number"] and r.json["provider"] == "twilio"


@pytest.mark.parametrize("query,loc", [
    ("agent_id=00000000-0000-4000-8000-000000000000", "from"),
    ("from=%2B14155550100", "agent_id"),
    ("from=12345&agent_id=00000000-0000-4000-8000-000000000000", "from"),
    ("from=%2B14155550100&agent_id=nope", "agent_id"),
])
def test_the_outbound_endpoint_validates_its_query(internal, query, loc):
    r = internal.get("/v1/routing/outbound?" + query)
    assert r.status == 422, r
    assert r.locs() == [("query", loc)]


def test_the_outbound_endpoint_refuses_a_foreign_number(internal, other, number):
    stranger = other.agent("stranger")["id"]
    r = internal.get("/v1/routing/outbound?from=%s&agent_id=%s" % (quote(number["phone_number"]), stranger))
    assert r.status == 403 and r.code == "FORBIDDEN", r
    assert "auth_password" not in r.text
