"""Prometheus metrics on every service's ops port (issue 5, Observability): after real traffic,
each family a user's dashboards need is exposed with the labels they filter on."""
import re

import pytest

import oiclient
from oiclient import path_c_body


@pytest.fixture(scope="module")
def traffic(stack, new_workspace, internal):
    c = new_workspace()
    a = c.agent("m")["id"]
    n = c.register(path_c_body(a, a, a)).json
    for _ in range(4):
        assert internal.get("/v1/routing/resolve?to=" + oiclient.quote(n["phone_number"])).status == 200
        assert c.get("/v1/phone-numbers/search?country=US&area_code=415&limit=1").status == 200
    return n


def series(ctl, svc, name, replica=0):
    """{label text: value} of every sample of `name` on one replica."""
    _, text = ctl.ops_get(svc, "/metrics", replica)
    out = {}
    for line in text.splitlines():
        m = re.match(r"^%s(\{[^}]*\})?\s+([0-9.eE+-]+)$" % re.escape(name), line)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


def summed(ctl, svc, name, labels=""):
    return sum(v for i in range(ctl.replicas) for k, v in series(ctl, svc, name, i).items() if labels in k)


def test_gateway_counts_and_times_requests_per_route(ctl, traffic):
    assert summed(ctl, "oi-gateway", "oi_gateway_requests_total", 'route="routing_resolve"') >= 4
    assert summed(ctl, "oi-gateway", "oi_gateway_request_duration_seconds_count") > 0


@pytest.mark.parametrize("svc,method", [("oi-provisioning", "provisioning.RegisterNumber"),
                                        ("oi-dispatch", "dispatch.Resolve"),
                                        ("oi-carrier", "carrier.Search")])
def test_rpc_methods_are_counted_and_timed(ctl, traffic, svc, method):
    assert summed(ctl, svc, "oi_rpc_server_requests_total", method) > 0
    assert summed(ctl, svc, "oi_rpc_server_duration_seconds_count", method) > 0


def test_jobs_by_state_carrier_calls_by_outcome_and_cache_hits(ctl, traffic):
    assert summed(ctl, "oi-provisioning", "oi_provisioning_jobs_total", 'outcome="succeeded"') > 0
    assert summed(ctl, "oi-carrier", "oi_carrier_calls_total") > 0
    hits = summed(ctl, "oi-dispatch", "oi_dispatch_route_cache_hits_total")
    misses = summed(ctl, "oi-dispatch", "oi_dispatch_route_cache_misses_total")
    assert hits + misses > 0


@pytest.mark.parametrize("svc,pool", [("oi-gateway", "requests"), ("oi-dispatch", "requests")])
def test_pool_saturation_is_exposed(ctl, traffic, svc, pool):
    """Blocking pools (threadpool work): size, connections handed out, waits, exhaustion."""
    lab = 'pool="%s"' % pool
    size = series(ctl, svc, "oi_pg_pool_size")
    assert size.get("{%s}" % lab, 0) >= 1, size
    in_use = series(ctl, svc, "oi_pg_pool_in_use").get("{%s}" % lab)
    assert in_use is not None and 0 <= in_use <= size["{%s}" % lab]
    assert "{%s}" % lab in series(ctl, svc, "oi_pg_pool_exhausted_total")
    waits = [k for k in series(ctl, svc, "oi_pg_pool_acquire_wait_seconds_count") if lab in k]
    assert waits, "no acquire-wait histogram for %s" % lab


@pytest.mark.parametrize("svc,pool", [("oi-provisioning", "requests"), ("oi-dispatch", "loop")])
def test_pipeline_saturation_is_exposed(ctl, traffic, svc, pool):
    """Pipelined connections (work on the loop): size, connections that work, batches in flight
    and queued, batches refused."""
    lab = "{pool=\"%s\"}" % pool
    size = series(ctl, svc, "oi_pg_pool_size").get(lab, 0)
    assert size >= 1
    ready = series(ctl, svc, "oi_pg_pool_connections_ready").get(lab)
    assert ready is not None and 1 <= ready <= size, ready
    assert series(ctl, svc, "oi_pg_pool_in_flight").get(lab, -1) >= 0
    assert series(ctl, svc, "oi_pg_pool_queued").get(lab, -1) >= 0
    assert lab in series(ctl, svc, "oi_pg_pool_rejected_total")


def test_job_engine_gauges(ctl, traffic):
    assert "" in series(ctl, "oi-provisioning", "oi_provisioning_waiters")
    lanes = series(ctl, "oi-provisioning", "oi_provisioning_jobs_running")
    assert {'{lane="local"}', '{lane="twilio"}', '{lane="telnyx"}'} <= set(lanes), lanes
    assert '{kind="done"}' in series(ctl, "oi-provisioning", "oi_provisioning_notifications_total")
