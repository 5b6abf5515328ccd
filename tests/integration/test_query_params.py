"""A query parameter the request gave is never dropped: a value too long or badly escaped is a
422 with its loc, where it used to be read as absent (an unfiltered search)."""
import pytest


@pytest.mark.parametrize("query,loc", [
    ("area_code=4155551234", "area_code"),
    ("contains=" + "7" * 40, "contains"),
    ("contains=55%zz", "contains"),
    ("area_code=%4", "area_code"),
    ("country=U%00S", "country"),
    ("limit=%ff", "limit"),
])
def test_search_refuses_what_it_cannot_read(client, query, loc):
    r = client.get("/v1/phone-numbers/search?" + query)
    assert r.status == 422, r
    assert ("query", loc) in r.locs(), r


def test_list_filters_and_limit(client):
    for query, loc in (("agent_id=" + "a" * 100, "agent_id"), ("provider=tw%ilio", "provider"),
                       ("limit=1" + "0" * 40, "limit")):
        r = client.get("/v1/phone-numbers?" + query)
        assert r.status == 422 and ("query", loc) in r.locs(), (query, r)


def test_routing_queries(internal):
    r = internal.get("/v1/routing/resolve?to=%2B1415%zz")
    assert r.status == 422 and r.locs() == [("query", "to")], r
    r = internal.get("/v1/routing/resolve?to=%2B14155550100&from=%2B" + "1" * 60)
    assert r.status == 422 and r.locs() == [("query", "from")], r
    r = internal.get("/v1/routing/outbound?from=%2B14155550100&agent_id=%G0")
    assert r.status == 422 and ("query", "agent_id") in r.locs(), r


def test_jobs_filters(admin):
    r = admin.get("/v1/jobs?state=" + "q" * 64)
    assert r.status == 422 and r.locs() == [("query", "state")], r
