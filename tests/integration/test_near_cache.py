"""Near caches (oi/near_bus.h): GET of a number and routing decisions are answered from memory,
and a change acknowledged through one gateway is never hidden by another replica's memory.

Every read below goes through the *other* gateway (and so through a gateway, dispatch and
provisioning replica other than the writer's, most of the time), right after the write was
acknowledged: no waiting, no retry. The metrics check that the caches really answer, so these
tests cannot pass with the caches off."""
import pytest

import oiclient
from oiclient import path_c_body, quote

FROM = "+14155550100"


pytestmark = pytest.mark.replicas


def two(stack, token):
    urls = stack["OI_GATEWAY_URLS"].split(",")
    return [oiclient.Client(u, token, timeout=30) for u in urls[:2]]


def hits(ctl, cache):
    return sum(ctl.metric("oi-gateway", "oi_near_cache_hits_total", replica=i, labels='cache="%s"' % cache)
               for i in range(2))


def resolve_path(number):
    return "/v1/routing/resolve?to=%s&from=%s" % (quote(number), quote(FROM))


@pytest.fixture
def routed(client, agents):
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json


def test_the_caches_answer_and_say_so(stack, ctl, client, routed):
    a, b = two(stack, client.token)
    ia, ib = two(stack, stack["OI_INTERNAL_TOKEN"])
    for gw in (ctl.metric("oi-gateway", "oi_near_bus_live", replica=i) for i in range(2)):
        assert gw == 1
    before_n, before_r = hits(ctl, "numbers"), hits(ctl, "routes")
    for _ in range(5):
        for c, i in ((a, ia), (b, ib)):
            assert c.get("/v1/phone-numbers/" + routed["id"]).json == routed
            assert i.get(resolve_path(routed["phone_number"])).status == 200
    assert hits(ctl, "numbers") >= before_n + 6  # the first read of each gateway fills it
    assert hits(ctl, "routes") >= before_r + 6


def test_a_patch_through_one_gateway_is_read_at_once_through_the_other(stack, client, routed):
    gws = two(stack, client.token)
    internals = two(stack, stack["OI_INTERNAL_TOKEN"])
    path = "/v1/phone-numbers/" + routed["id"]
    for c, i in zip(gws, internals):  # both gateways hold the number and its routing
        assert c.get(path).status == 200
        assert i.get(resolve_path(routed["phone_number"])).status == 200
    for n in range(40):
        w, r = n % 2, 1 - n % 2
        vm = "voicemail %d" % n
        p = gws[w].patch(path, {"inbound_routing": {"voicemail_message": vm}})
        assert p.status == 200, p
        got = gws[r].get(path)
        assert got.status == 200 and got.json["inbound_routing"]["voicemail_message"] == vm, (n, got.json)
        dec = internals[r].get(resolve_path(routed["phone_number"]))
        assert dec.status == 200 and dec.json["voicemail_message"] == vm, (n, dec.json)


def test_an_agent_paused_through_one_gateway_reroutes_at_once_through_the_other(stack, client, agents, routed):
    gws = two(stack, client.token)
    internals = two(stack, stack["OI_INTERNAL_TOKEN"])
    for i in internals:
        assert i.get(resolve_path(routed["phone_number"])).json["agent_id"] == agents["routing"]
    for n in range(10):
        w, r = n % 2, 1 - n % 2
        status = "paused" if n % 2 == 0 else "active"
        assert gws[w].patch("/v1/agents/" + agents["routing"], {"status": status}).status == 200
        want = agents["fallback"] if status == "paused" else agents["routing"]
        dec = internals[r].get(resolve_path(routed["phone_number"]))
        assert dec.status == 200 and dec.json["agent_id"] == want, (n, status, dec.json)


def test_a_deleted_number_is_gone_at_once_everywhere(stack, client, routed):
    gws = two(stack, client.token)
    internals = two(stack, stack["OI_INTERNAL_TOKEN"])
    path = "/v1/phone-numbers/" + routed["id"]
    for c, i in zip(gws, internals):
        assert c.get(path).status == 200
        assert i.get(resolve_path(routed["phone_number"])).status == 200
    assert gws[0].delete(path).status == 204
    for c, i in zip(gws, internals):
        assert c.get(path).status == 404
        assert i.get(resolve_path(routed["phone_number"])).status == 404


def test_another_workspace_never_reads_a_kept_number(stack, client, other, routed):
    a, b = two(stack, client.token)
    assert a.get("/v1/phone-numbers/" + routed["id"]).status == 200  # kept by a, tagged with its owner
    for c in two(stack, other.token):
        r = c.get("/v1/phone-numbers/" + routed["id"])
        assert r.status == 404, r
