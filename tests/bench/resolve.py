#!/usr/bin/env python3
"""Resolve and GET-number benchmark (issue: routing hot path). Prints figures; asserts nothing.

Usage (with a running suite, e.g. `make run` in another terminal, or `make bench`):
    python3 tests/bench/resolve.py --numbers 10000 --concurrency 64 --seconds 10

It creates a workspace key and an agent through the public API, registers N numbers with
inbound routing (jobs, concurrently), then drives bench_loadgen:
  - dispatch.Resolve over ZeroMQ directly, cold cache (one pass over every number right after
    flushing Redis) and warm cache (timed);
  - GET /v1/routing/resolve through the gateway, warm and cold;
  - GET /v1/phone-numbers/{id} through the gateway;
and prints requests/s, p50/p99/p999 and the RSS of every oi-* process.
"""
import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_env(path):
    env = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("export "):
                line = line[7:]
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                env[k] = v.strip().strip("'\"")
    return env


def call(base, method, path, token, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def rss_report():
    out = subprocess.run(["ps", "-C", "oi-gateway,oi-provisioning,oi-dispatch,oi-carrier,oi-carrier-sim",
                          "-o", "comm=,rss="], capture_output=True, text=True).stdout
    for line in out.strip().splitlines():
        name, kb = line.split()
        print(f"rss     {name:16s} {int(kb) / 1024:.1f} MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--env", default=os.path.join(ROOT, ".run", "env"))
    ap.add_argument("--numbers", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--settle", type=float, default=5, help="seconds of quiet between setup and load")
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build", "bench_loadgen"))
    args = ap.parse_args()
    env = {**load_env(args.env), **os.environ}
    port = env.get("OI_HTTP_PORT", "8080")
    base = f"http://127.0.0.1:{port}"
    admin, internal = env["OI_ADMIN_TOKEN"], env["OI_INTERNAL_TOKEN"]
    dispatch = env.get("OI_DISPATCH_ENDPOINTS", "tcp://127.0.0.1:7301")

    _, key = call(base, "POST", "/v1/api-keys", admin, {"name": "bench", "workspace": "bench-%d" % os.getpid()})
    token = key["key"]
    _, agent = call(base, "POST", "/v1/agents", token, {"name": "bench-agent"})
    prefix = 1_700_000_0000 + (os.getpid() % 100) * 100_000
    numbers = ["+1%d" % (prefix + i) for i in range(args.numbers)]

    def register(n):
        status, body = call(base, "POST", "/v1/phone-numbers", token, {
            "phone_number": n, "provider": "twilio", "agent_id": agent["id"],
            "provider_config": {"trunk_address": "bench.pstn.twilio.com", "auth_username": "bench",
                                "auth_password": "Bench-password-1"},
            "inbound_routing": {"agent_id": agent["id"]}})
        return body["id"] if status == 201 else None

    print(f"setup   registering {args.numbers} numbers ...", flush=True)
    with cf.ThreadPoolExecutor(32) as pool:
        ids = [i for i in pool.map(register, numbers) if i]
    print(f"setup   {len(ids)} numbers registered", flush=True)
    time.sleep(args.settle)  # let PostgreSQL's and the services' after-load work finish

    tmp = tempfile.mkdtemp()
    nums_file = os.path.join(tmp, "numbers")
    open(nums_file, "w").write("\n".join(numbers) + "\n")
    resolve_paths = os.path.join(tmp, "resolve_paths")
    open(resolve_paths, "w").write("\n".join("/v1/routing/resolve?to=%%2B%s&from=%%2B15550000000" % n[1:]
                                             for n in numbers) + "\n")
    get_paths = os.path.join(tmp, "get_paths")
    open(get_paths, "w").write("\n".join("/v1/phone-numbers/" + i for i in ids) + "\n")

    def loadgen(label, *a):
        out = subprocess.run([args.loadgen, *a], capture_output=True, text=True)
        print(f"{label:28s} {out.stdout.strip()} {out.stderr.strip()}", flush=True)

    def flush_cache():
        rp = env.get("OI_REDIS_PORT", "26379")
        subprocess.run(["redis-cli", "-p", rp, "FLUSHDB"], capture_output=True,
                       env=dict(os.environ, REDISCLI_AUTH=env.get("OI_REDIS_PASSWORD", "")))

    c, s = str(args.concurrency), str(args.seconds)
    # cold: one pass over every number right after emptying Redis (every request a cache miss
    # answered from PostgreSQL); warm: timed, every request a hit
    flush_cache()
    # the first seconds after a cold pass still carry its aftermath (cache writes, PostgreSQL's
    # background work): printed as "settling", then the warm figures are steady state
    loadgen("resolve zmq cold (1 pass)", "zmq", dispatch, nums_file, c, "0")
    loadgen("resolve zmq settling (5 s)", "zmq", dispatch, nums_file, c, "5")
    loadgen("resolve zmq warm", "zmq", dispatch, nums_file, c, s)
    flush_cache()
    loadgen("resolve http cold (1 pass)", "http", "127.0.0.1", port, resolve_paths, c, "0", internal)
    loadgen("resolve http settling (5 s)", "http", "127.0.0.1", port, resolve_paths, c, "5", internal)
    loadgen("resolve http warm", "http", "127.0.0.1", port, resolve_paths, c, s, internal)
    loadgen("get number http", "http", "127.0.0.1", port, get_paths, c, s, token)
    rss_report()


if __name__ == "__main__":
    sys.exit(main())
