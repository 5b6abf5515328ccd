"""A PATCH merges onto the row its number's last PATCH on that replica left (row_cache.h) instead
of reading it first. A change through another replica drops that row when its announcement
arrives; one that comes first costs a write that changes nothing and a read: never a lost change,
a wrong 412 or a stale answer. The metrics show which rows the PATCHes merged onto, so these tests
fail if nothing was kept, or if another replica's change neither dropped nor staled a kept row."""
import pytest

import oiclient
from oiclient import path_c_body


def rows(ctl, source):
    return sum(ctl.metric("oi-provisioning", "oi_provisioning_patch_rows_total", replica=i,
                          labels='source="%s"' % source) for i in range(ctl.replicas))


def dropped(ctl):
    """Kept rows dropped on another replica's announcement."""
    return sum(ctl.metric("oi-provisioning", "oi_near_cache_invalidated_total", replica=i,
                          labels='cache="number_rows"') for i in range(ctl.replicas))


@pytest.fixture
def number(client, agents):
    return client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json


def test_patches_in_a_row_merge_onto_the_kept_row(ctl, client, agents, number):
    path = "/v1/phone-numbers/" + number["id"]
    kept, read, gone = rows(ctl, "kept"), rows(ctl, "read"), dropped(ctl)
    for i in range(8):
        body = {"friendly_name": "line %d" % i} if i % 2 else {"inbound_routing": {"voicemail_message": "vm %d" % i}}
        r = client.patch(path, body)
        assert r.status == 200, r
    got = client.get(path).json
    assert got["friendly_name"] == "line 7"
    assert got["inbound_routing"]["voicemail_message"] == "vm 6"
    assert got["inbound_routing"]["agent_id"] == agents["routing"]  # untouched members stay
    assert got["inbound_routing"]["fallback"] == {"agent_id": agents["fallback"]}
    assert rows(ctl, "kept") + rows(ctl, "read") >= kept + read + 8
    # after the first PATCH on each replica, each found the row its replica kept, unless the
    # other replica's PATCH changed the number since and its announcement dropped that row
    assert rows(ctl, "kept") - kept + dropped(ctl) - gone >= 8 - 2 * ctl.replicas


def test_a_refusal_is_never_decided_on_a_kept_row(client, number):
    path = "/v1/phone-numbers/" + number["id"]
    assert client.patch(path, {"friendly_name": "kept"}).status == 200
    r = client.patch(path, {"agent_id": "7d3e4f5a-0000-4000-8000-00000000dead"})
    assert r.status == 404 and r.code == "AGENT_NOT_FOUND", r
    r = client.patch(path, {"friendly_name": "x"}, headers={"If-Match": '"1"'})
    assert r.status == 412 and r.code == "PRECONDITION_FAILED", r
    assert client.delete(path).status == 204
    r = client.patch(path, {"friendly_name": "after the delete"})
    assert r.status == 404, r  # the kept row of the deleted number is gone with it


def test_patches_alternating_between_replicas_lose_nothing(stack, ctl, client, number):
    if ctl.replicas < 2:
        pytest.skip("needs OI_REPLICAS >= 2 (deploy/local/test.sh sets it)")
    urls = stack["OI_GATEWAY_URLS"].split(",")
    gws = [oiclient.Client(u, client.token, timeout=30) for u in urls[:2]]
    path = "/v1/phone-numbers/" + number["id"]
    stale, gone = rows(ctl, "stale"), dropped(ctl)
    etag = client.get(path).headers["ETag"]
    name, vm = number["friendly_name"], None
    for n in range(24):
        if n % 2:
            name = "name %d" % n
            body = {"friendly_name": name}
        else:
            vm = "voicemail %d" % n
            body = {"inbound_routing": {"voicemail_message": vm}}
        # If-Match with the ETag the other replica answered: a kept row of an older version must
        # not turn this into a 412
        r = gws[n % 2].patch(path, body, headers={"If-Match": etag})
        assert r.status == 200, (n, r)
        assert r.json["friendly_name"] == name and r.json["inbound_routing"]["voicemail_message"] == vm, (n, r.json)
        etag = r.headers["ETag"]
    got = gws[0].get(path)
    assert got.json["friendly_name"] == name and got.json["inbound_routing"]["voicemail_message"] == vm
    # the replicas took turns: a row kept on one was changed through the other, and was dropped
    # when that change was announced (or, had a PATCH come first, found stale by its write)
    assert rows(ctl, "stale") + dropped(ctl) > stale + gone
