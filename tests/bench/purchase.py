#!/usr/bin/env python3
"""Purchase benchmark (issue 3): purchase jobs per second and p50/p99 job latency through the
gateway, 64 concurrent requests, with the carrier simulator answering at 0 ms and at 50 ms.

Needs a running stack on the default ports (`make up`). Prints figures, asserts nothing.
Each purchase is a full job: search, lookup, buy, carrier trunk (4 Twilio calls), outbound and
inbound trunks and the dispatch rule in oi-dispatch, the number row."""
import argparse
import concurrent.futures as cf
import json
import os
import sys
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resolve import ROOT, call, load_env, rss_report  # noqa: E402


def sim_fault(sim, body):
    req = urllib.request.Request(sim + "/sim/faults", data=json.dumps(body).encode() if body else None,
                                 method="POST" if body else "DELETE", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()


def run(base, token, agent, conc, seconds, area_codes):
    lat, fails, lock = [], [0], threading.Lock()
    stop = time.time() + seconds

    def worker(i):
        k = 0
        while time.time() < stop:
            ac = area_codes[(i + k) % len(area_codes)]
            k += 1
            t0 = time.perf_counter()
            status, _ = call(base, "POST", "/v1/phone-numbers/purchase", token,
                             {"country": "US", "area_code": ac, "agent_id": agent},
                             headers={"Idempotency-Key": uuid.uuid4().hex})
            dt = time.perf_counter() - t0
            with lock:
                if status == 201:
                    lat.append(dt)
                else:
                    fails[0] += 1
    t0 = time.time()
    with cf.ThreadPoolExecutor(conc) as ex:
        list(ex.map(worker, range(conc)))
    wall = time.time() - t0
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    return len(lat) / wall, pct(0.50), pct(0.99), len(lat), fails[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default=os.path.join(ROOT, ".run", "env"))
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10)
    args = ap.parse_args()
    env = {**load_env(args.env), **os.environ}
    base = "http://127.0.0.1:%s" % env.get("OI_HTTP_PORT", "8080")
    sim = "http://127.0.0.1:%s" % env.get("OI_SIM_PORT", "8901")
    _, key = call(base, "POST", "/v1/api-keys", env["OI_ADMIN_TOKEN"],
                  {"name": "bench", "workspace": "bench-buy-%d" % os.getpid()})
    token = key["key"]
    _, agent = call(base, "POST", "/v1/agents", token, {"name": "bench-buyer"})
    area_codes = ["206", "212", "305", "312", "415", "503", "512", "617", "646", "702", "720", "303"]
    for label, fault in (("sim 0 ms", None), ("sim 50 ms", {"route": "*", "latency_ms": 50, "count": -1})):
        sim_fault(sim, None)
        if fault:
            sim_fault(sim, fault)
        rate, p50, p99, n, fails = run(base, token, agent["id"], args.concurrency, args.seconds, area_codes)
        print(f"purchase {label:10s} {rate:8.1f} jobs/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
              f"({n} bought, {fails} failed, {args.concurrency} concurrent)", flush=True)
    sim_fault(sim, None)
    rss_report()


if __name__ == "__main__":
    sys.exit(main())
