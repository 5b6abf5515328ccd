"""GET /v1/phone-numbers: array body, limit 1..100 (default 20), opaque cursor, Link rel="next"."""
import concurrent.futures as cf

import pytest

from oiclient import next_link, outbound_body


@pytest.fixture
def many(client, agents):
    """21 numbers of one workspace (registered concurrently)."""
    with cf.ThreadPoolExecutor(max_workers=6) as ex:
        rs = list(ex.map(lambda _: client.register(outbound_body(agents["primary"])), range(21)))
    return {r.json["id"]: r.json for r in rs}


def walk(client, url):
    seen, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status == 200, r
        assert isinstance(r.json, list)
        seen += [n["id"] for n in r.json]
        pages += 1
        url = next_link(r)
        assert pages < 100
    return seen, pages


def test_empty_list(client):
    r = client.get("/v1/phone-numbers")
    assert r.status == 200 and r.json == [], r
    assert next_link(r) is None


def test_default_limit_and_link(client, many):
    r = client.get("/v1/phone-numbers")
    assert r.status == 200, r
    assert isinstance(r.json, list) and len(r.json) == 20
    link = next_link(r)
    assert link, r.headers
    r2 = client.get(link)
    assert r2.status == 200 and len(r2.json) == 1
    assert next_link(r2) is None
    ids = [n["id"] for n in r.json + r2.json]
    assert sorted(ids) == sorted(many)
    for n in r.json:
        assert n == many[n["id"]] or set(n) >= set(many[n["id"]])


def test_small_pages_cover_everything_once(client, many):
    seen, pages = walk(client, "/v1/phone-numbers?limit=4")
    assert len(seen) == len(set(seen)) == 21
    assert set(seen) == set(many)
    assert pages == 6


def test_limit_100(client, many):
    r = client.get("/v1/phone-numbers?limit=100")
    assert r.status == 200 and len(r.json) == 21 and next_link(r) is None


def test_exact_page_boundary(client, agents):
    for _ in range(3):
        client.register(outbound_body(agents["primary"]))
    seen, _ = walk(client, "/v1/phone-numbers?limit=3")
    assert len(seen) == 3


@pytest.mark.parametrize("q", ["limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1.5", "limit="])
def test_bad_limit(client, q):
    r = client.get("/v1/phone-numbers?" + q)
    assert r.status == 422, r
    assert ("query", "limit") in r.locs(), r


@pytest.mark.parametrize("cursor", ["garbage", "%00%01", "eyJ4IjoxfQ", "A" * 300])
def test_bad_cursor(client, cursor):
    r = client.get("/v1/phone-numbers?cursor=" + cursor)
    assert r.status in (400, 422), r


def test_list_only_own_workspace(client, other, agents):
    n = client.register(outbound_body(agents["primary"])).json
    theirs = other.agent()["id"]
    m = other.register(outbound_body(theirs)).json
    assert [x["id"] for x in client.get("/v1/phone-numbers").json] == [n["id"]]
    assert [x["id"] for x in other.get("/v1/phone-numbers").json] == [m["id"]]


def test_filters_agent_phone_provider_status(client, agents):
    a, b = agents["primary"], agents["routing"]
    mine = [client.register(outbound_body(a)).json for _ in range(5)]
    theirs = [client.register(outbound_body(b, provider="telnyx")).json for _ in range(3)]
    ids = lambda r: sorted(n["id"] for n in r.json)  # noqa: E731
    assert ids(client.get("/v1/phone-numbers?agent_id=" + a)) == sorted(n["id"] for n in mine)
    assert ids(client.get("/v1/phone-numbers?provider=telnyx")) == sorted(n["id"] for n in theirs)
    assert ids(client.get("/v1/phone-numbers?provider=telnyx&agent_id=" + a)) == []
    one = mine[2]["phone_number"]
    assert ids(client.get("/v1/phone-numbers?phone_number=%2B" + one[1:])) == [mine[2]["id"]]
    assert len(client.get("/v1/phone-numbers?status=active").json) == 8
    assert client.get("/v1/phone-numbers?status=inactive").json == []


def test_filters_carry_into_the_next_page(client, agents):
    a = agents["primary"]
    mine = {client.register(outbound_body(a)).json["id"] for _ in range(5)}
    for _ in range(4):
        client.register(outbound_body(agents["routing"]))
    seen, pages = walk(client, "/v1/phone-numbers?limit=2&agent_id=" + a)
    assert set(seen) == mine and len(seen) == 5 and pages == 3


@pytest.mark.parametrize("query,loc", [("agent_id=nope", "agent_id"), ("phone_number=12345", "phone_number"),
                                       ("provider=vonage", "provider"), ("status=deleted", "status"),
                                       ("status=", "status")])
def test_filter_validation(client, query, loc):
    r = client.get("/v1/phone-numbers?" + query)
    assert r.status == 422, r
    assert r.locs() == [("query", loc)]


def test_filters_see_only_the_own_workspace(client, other, agents):
    n = client.register(outbound_body(agents["primary"])).json
    r = other.get("/v1/phone-numbers?phone_number=%2B" + n["phone_number"][1:])
    assert r.status == 200 and r.json == []
