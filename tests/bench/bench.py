#!/usr/bin/env python3
"""bench.py: every benchmark of the suite in one run (`make bench`). Prints figures, asserts nothing.

It builds a Release tree of its own (never the sanitizer build in build/), starts a private
stack from it with deploy/local/stack.sh (own run directory, ports shifted by --port-offset,
PostgreSQL without fsync, warn-level logs), runs the scenarios below, prints one table plus
`FIGURE<TAB>name<TAB>value<TAB>unit` lines, and stops the stack on every exit path.

  seed      N numbers with inbound routing through POST /v1/phone-numbers (16 clients); the
            ids file (id<TAB>phone) feeds the rest
  patch     PATCH /v1/phone-numbers/{id} (inbound_routing.voicemail_message), wrk
  get       GET /v1/phone-numbers/{id}, wrk
  resolve   GET /v1/routing/resolve after a warm pass, wrk; nginx's static 200 through the
            same script when nginx is installed, and the ratio
  zmq       dispatch.Resolve over ZeroMQ (bench_loadgen), redis-benchmark GET on the stack's
            Redis, and the ratio
  policy    resolve of numbers carrying a full routing policy (20 caller rules, a schedule with
            10 closed dates, 3 fallbacks) beside as many plain numbers, through the gateway (wrk)
            and over ZeroMQ (bench_loadgen), and the ratios policy / plain; then PATCH of the
            numbers with a policy (the voicemail message, the policy carried along)
  register  POST /v1/phone-numbers with a new number per request, wrk; again with a unique
            Idempotency-Key per request
  slow      purchases against a slow carrier (twilio.search and twilio.buy delayed, once per
            --latencies value): answers 201/202/other and their times against OI_SYNC_WAIT_MS,
            GET latency and /healthz meanwhile, the 202 jobs' outcomes, duplicate purchases
            and orphaned carrier numbers
  sip       INVITEs through the SIP edge (Kamailio) to an agent endpoint that answers at once,
            beside the same edge routing by a static rule, and the INVITE in -> out latency the
            edge adds (tests/bench/sip.sh: sipp, tcpdump)
  rss       VmRSS and VmHWM of every oi-* process of the stack
  scale     only when named (--only scale): one workspace grown to --scale-numbers (default
            100,000) by POST /v1/phone-numbers (wrk, all routed to one agent), the rate of each
            step of the growth; then at that size: list pages (first, deep, ?agent_id=,
            ?status=released), GET /v1/jobs?state=failed, audit events (?since=now, ?action=),
            that agent paused and back (every number's routing invalidated), and the gateway's
            and oi-dispatch's RSS after GETs and both kinds of resolve over every number

Every wrk row also says how much CPU the host took from this machine meanwhile (steal, from
/proc/stat): on a shared virtual machine, figures are only comparable at similar steal.

A scenario that cannot run says why and the run goes on. Python standard library only, plus
wrk (installed with apt-get when missing and running as root), redis-benchmark and nginx
(optional).
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WRK_LUA = os.path.join(HERE, "wrk.lua")
SCENARIOS = ("seed", "patch", "get", "resolve", "zmq", "policy", "register", "slow", "sip", "rss")
OPT_IN = ("scale",)  # run only when --only names them
FINAL_JOB_STATES = ("succeeded", "failed", "cancelled")
# the simulator's US area codes, when services/carrier-sim/inventory.c cannot be read
US_AREA_CODES = ["415", "212", "312", "646", "206", "512", "617", "303", "305", "404", "213", "310",
                 "702", "602", "713", "214", "215", "202", "503", "612", "313", "619", "408", "720"]


def say(msg):
    print("bench: " + msg, flush=True)


# --------------------------------------------------------------------------------- report

class Report:
    """Collects the figures; printed once at the end (table, sections, FIGURE lines)."""

    def __init__(self):
        self.header = []
        self.load = []       # (label, rate, unit, p50, p99, errors, note) or (label, None, why)
        self.sections = []   # (title, [(label, text)])
        self.figures = []    # (name, value, unit)

    def figure(self, name, value, unit):
        self.figures.append((name, value, unit))

    def throughput(self, key, label, rate, unit, p50, p99, errors, note=""):
        self.load.append((label, rate, unit, p50, p99, errors, note))
        self.figure(key + ".rate", rate, unit)
        if p50 is not None:
            self.figure(key + ".p50", p50, "ms")
            self.figure(key + ".p99", p99, "ms")
        if errors is not None:
            self.figure(key + ".errors", errors, "count")

    def ratio(self, key, label, value):
        self.load.append((label, value, "ratio", None, None, None, ""))
        self.figure(key, value, "ratio")

    def skip(self, label, why):
        self.load.append((label, None, why))
        print("bench: %s: skipped: %s" % (label, why), flush=True)

    def section(self, title):
        rows = []
        self.sections.append((title, rows))
        return rows

    def print(self):
        print()
        print("=" * 100)
        for line in self.header:
            print(line)
        print()
        print("%-46s %11s %-10s %9s %9s %8s  %s" % ("scenario", "rate", "unit", "p50 ms", "p99 ms", "errors",
                                                 "note"))
        for row in self.load:
            if row[1] is None:
                print("%-46s %s" % (row[0], "skipped: " + row[2]))
                continue
            label, rate, unit, p50, p99, errors, note = row
            print("%-46s %11s %-10s %9s %9s %8s  %s" % (label, fmt(rate, 2 if unit == "ratio" else 1), unit,
                                                     fmt(p50, 2), fmt(p99, 2), fmt(errors, 0), note))
        for title, rows in self.sections:
            print()
            print(title)
            for label, text in rows:
                print("  %-44s %s" % (label, text))
        print()
        for name, value, unit in self.figures:
            if isinstance(value, float):
                value = "%.3f" % value
            print("FIGURE\t%s\t%s\t%s" % (name, value, unit))
        print("=" * 100, flush=True)


def fmt(v, decimals):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if decimals == 0:
        return "%d" % v
    return "%.*f" % (decimals, v)


def statuses(counts):
    """' (503 x7, no answer x2)' from {status: count}; '' when empty."""
    if not counts:
        return ""
    return " (" + ", ".join("%s x%d" % (st or "no answer", n) for st, n in sorted(counts.items())) + ")"


def curve_keys(path):
    """The OI_RPC_CURVE_* lines of a stack's secrets file (deploy/local/stack.sh), {} without."""
    keys = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                if k.startswith("OI_RPC_CURVE_"):
                    keys[k] = v
    except OSError:
        pass
    return keys


def cpu_times():
    """The machine's CPU counters (/proc/stat's first line), or None where there is none."""
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def steal_percent(before, after):
    """Share of the CPU time between two cpu_times() the hypervisor gave to others: a virtual
    machine's figures are only comparable at similar steal."""
    if not before or not after:
        return None
    d = [b - a for a, b in zip(before, after)]
    total = sum(d)
    return 100.0 * d[7] / total if total > 0 else None


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


# --------------------------------------------------------------------------------- HTTP

class Http:
    """One keep-alive connection. call() returns (status, json-or-None, headers); a GET is
    resent once on a broken connection, anything else raises."""

    def __init__(self, base, timeout=60.0):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None

    def connect(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.connect()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, token=None, body=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in (0, 1):
            try:
                self.connect()
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw = r.read()
                if (r.getheader("Connection") or "").lower() == "close":
                    self.close()
                try:
                    doc = json.loads(raw) if raw else None
                except ValueError:
                    doc = None
                return r.status, doc, r.headers
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt or method != "GET":
                    raise
        raise AssertionError("unreachable")


def must(status, doc, expect, what):
    if status != expect:
        raise RuntimeError("%s answered %s: %s" % (what, status, json.dumps(doc)[:300]))
    return doc


# --------------------------------------------------------------------------------- tools

def ensure_tool(cmd, package):
    """True when cmd is on PATH, installing `package` with apt-get first when running as root."""
    if shutil.which(cmd):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get") or os.environ.get("BENCH_NO_INSTALL") == "1":
        return False
    say("%s is missing: apt-get install -y %s" % (cmd, package))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which(cmd) is not None


def tail(path, n=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no %s)\n" % path


def git(source, *a):
    r = subprocess.run(["git", "-C", source, *a], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ""


# --------------------------------------------------------------------------------- build + stack

def build(args):
    log = os.path.join(args.logs, "bench-build.log")
    say("building Release in %s (log %s)" % (args.build_dir, log))
    with open(log, "w") as out:
        for cmd in (["cmake", "-S", args.source, "-B", args.build_dir, "-DCMAKE_BUILD_TYPE=Release",
                     "-DOI_TESTS=OFF", "-DOI_SANITIZE=OFF"],
                    ["cmake", "--build", args.build_dir, "-j%d" % (os.cpu_count() or 2)]):
            if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode:
                sys.stdout.write(tail(log))
                raise RuntimeError("build failed: " + " ".join(cmd))


class Stack:
    def __init__(self, args):
        self.args = args
        self.script = os.path.join(args.source, "deploy", "local", "stack.sh")
        self.log = os.path.join(args.logs, "bench-stack.log")
        # a port set one by one in the caller's environment (OI_HTTP_PORT, …) would beat the offset
        env = {k: v for k, v in os.environ.items() if not re.match(r"OI_\w+_PORT$", k)}
        self.env = dict(env, OI_RUN_DIR=args.run_dir, OI_PORT_OFFSET=str(args.port_offset),
                        OI_BUILD_DIR=args.build_dir, OI_PG_FAST="1", OI_LOG_LEVEL="warn")
        # the rate limiter stays on (its cost is in the figures) with limits no load here reaches
        for name in ("KEY_RPS", "KEY_BURST", "WORKSPACE_RPS", "WORKSPACE_BURST", "PURCHASE_RPS", "PURCHASE_BURST"):
            self.env.setdefault("OI_RATE_" + name, "100000000")
        self.env.setdefault("OI_QUOTA_PURCHASES_PER_DAY", "100000000")  # the slow-carrier runs buy hundreds
        self.started = False
        self.info = {}

    def _run(self, verb):
        with open(self.log, "a") as out:
            out.write("\n==== stack.sh %s %s\n" % (verb, time.strftime("%FT%T")))
            out.flush()
            return subprocess.run([self.script, verb], env=self.env, cwd=self.args.source, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode

    def up(self):
        say("fresh stack in %s, ports +%d (log %s)" % (self.args.run_dir, self.args.port_offset, self.log))
        self._run("purge")  # the simulator's inventory restarts with it: PostgreSQL must too
        self.started = True
        if self._run("up"):
            sys.stdout.write(tail(self.log))
            raise RuntimeError("the stack did not start (see %s)" % self.log)
        with open(os.path.join(self.args.run_dir, "stack.env")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    self.info[k] = v

    def down(self):
        if self.started:
            say("stopping the stack")
            self._run("down")
            self.started = False

    def pids(self):
        out = {}
        d = os.path.join(self.args.run_dir, "pids")
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if name.startswith("oi-") and name.endswith(".pid"):
                with open(os.path.join(d, name)) as f:
                    out[name[:-4]] = int(f.read().strip() or 0)
        return out


class Nginx:
    """A private nginx answering a static 200 on a loopback port (the HTTP ceiling here)."""

    def __init__(self, tmp, port):
        self.dir = os.path.join(tmp, "nginx")
        self.port = port
        self.pid_file = os.path.join(self.dir, "nginx.pid")
        self.running = False

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, "nginx.conf")
        d = self.dir
        with open(conf, "w") as f:
            f.write("""worker_processes 2;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path %(d)s; proxy_temp_path %(d)s;
  fastcgi_temp_path %(d)s; uwsgi_temp_path %(d)s; scgi_temp_path %(d)s;
  server { listen 127.0.0.1:%(p)d;
    location / { default_type application/json;
      return 200 '{"agent_id":"00000000-0000-4000-8000-000000000000","reason":"primary"}'; } } }
""" % {"d": d, "p": self.port})
        r = subprocess.run(["nginx", "-e", os.path.join(d, "error.log"), "-c", conf], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("nginx did not start: " + (r.stderr.strip() or tail(os.path.join(d, "error.log"))))
        self.running = True

    def stop(self):
        if not self.running:
            return
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGQUIT)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (OSError, ValueError):
            pass
        self.running = False


# --------------------------------------------------------------------------------- runners

class Bench:
    def __init__(self, args, stack, rep, tmp):
        self.args, self.stack, self.rep, self.tmp = args, stack, rep, tmp
        info = stack.info
        self.base = info["OI_GATEWAY_URL"]
        self.sim = info["OI_SIM_URL"]
        self.admin = info["OI_ADMIN_TOKEN"]
        self.internal = info["OI_INTERNAL_TOKEN"]
        self.redis_port = int(info["OI_REDIS_PORT"])
        replicas = int(info.get("OI_REPLICAS") or 1)
        self.dispatch = ",".join("tcp://127.0.0.1:%d" % (7301 + args.port_offset + i) for i in range(replicas))
        self.sync_wait_ms = int(os.environ.get("OI_SYNC_WAIT_MS", "20000"))
        self.loadgen = os.path.join(args.build_dir, "bench_loadgen")
        # the loadgen is a client of oi-dispatch like any other: the stack's CURVE keys, kept with
        # its other secrets in the run directory's env file (Z85 text is no shell word: never in
        # stack.env, which shells source)
        self.loadgen_env = dict(os.environ, **curve_keys(os.path.join(args.run_dir, "env")))
        self.ids_file = os.path.join(tmp, "ids.tsv")
        self.ids, self.phones = [], []
        self.key = None
        self.agents = []
        self.has_wrk = False
        self.nonce = uuid.uuid4().hex[:8]

    # ---- wrk
    def wrk(self, mode, token, seconds, base=None, **extra):
        secs = max(1, int(round(seconds)))
        conns = max(self.args.connections, self.args.threads)
        cmd = ["wrk", "-t", str(self.args.threads), "-c", str(conns), "-d", "%ds" % secs, "--timeout", "10s",
               "-s", WRK_LUA, (base or self.base) + "/", "--", "mode=" + mode, "token=" + token,
               "threads=%d" % self.args.threads]
        cmd += ["%s=%s" % kv for kv in extra.items()]
        before = cpu_times()
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 120)
        steal = steal_percent(before, cpu_times())
        for line in r.stdout.splitlines():
            if line.startswith("RESULT\t"):
                f = line.split("\t")[1:]
                return {"rps": float(f[0]), "p50": float(f[1]), "p99": float(f[2]), "p999": float(f[3]),
                        "requests": int(f[4]), "bad": int(f[5]), "sockerr": int(f[6]), "ok": int(f[7]),
                        "seconds": float(f[8]), "steal": steal}
        raise RuntimeError("wrk printed no result (exit %d): %s" % (r.returncode, (r.stderr or r.stdout).strip()[:400]))

    def need_wrk(self):
        if not self.has_wrk:
            raise RuntimeError("wrk is not installed (apt-get install wrk)")

    def wrk_row(self, key, label, r, note=""):
        note = note or "%d requests" % r["requests"]
        if r.get("steal") is not None:
            note += "; CPU stolen by the host %.0f%%" % r["steal"]
            self.rep.figure(key + ".steal", r["steal"], "%")
        self.rep.throughput(key, label, r["rps"], "req/s", r["p50"], r["p99"], r["bad"] + r["sockerr"], note)

    # ---- 1. seed
    def seed(self):
        n = self.args.numbers
        api = Http(self.base)
        workspace = "bench-seed-%s" % self.nonce
        doc = must(*api.call("POST", "/v1/api-keys", self.admin, {"name": "bench", "workspace": workspace})[:2],
                   201, "POST /v1/api-keys")
        self.key = doc.get("key") or doc.get("api_key") or doc.get("secret")
        for i in range(100):
            a = must(*api.call("POST", "/v1/agents", self.key, {"name": "agent %d" % i})[:2], 201, "POST /v1/agents")
            self.agents.append(a["id"])
        say("seeding %d numbers (workspace %s, 16 clients)" % (n, workspace))
        rows, errors, lat, lock = [], [], [], threading.Lock()
        agents = self.agents

        def worker(t, nthreads):
            c = Http(self.base)
            for i in range(t, n, nthreads):
                phone = "+1555%07d" % (i + 1)
                body = {"phone_number": phone, "provider": "twilio", "agent_id": agents[i % 100],
                        "provider_config": {"trunk_address": "bench.pstn.twilio.com", "auth_username": "u",
                                            "auth_password": "p"},
                        "inbound_routing": {"agent_id": agents[(i + 1) % 100],
                                            "fallback": {"agent_id": agents[(i + 2) % 100]},
                                            "voicemail_message": "bench %d" % i}}
                t0 = time.perf_counter()
                try:
                    status, doc, _ = c.call("POST", "/v1/phone-numbers", self.key, body)
                except (OSError, http.client.HTTPException) as e:
                    status, doc = 0, str(e)
                dt = (time.perf_counter() - t0) * 1000
                with lock:
                    lat.append(dt)
                    if status == 201:
                        rows.append((doc["id"], phone))
                    else:
                        errors.append((status, doc))
            c.close()

        t0 = time.time()
        threads = [threading.Thread(target=worker, args=(t, 16), daemon=True) for t in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.time() - t0
        with open(self.ids_file, "w") as f:
            for r in rows:
                f.write("%s\t%s\n" % r)
        self.ids = [r[0] for r in rows]
        self.phones = [r[1] for r in rows]
        lat.sort()
        note = "%d numbers in %.1f s" % (len(rows), wall)
        if errors:
            note += "; first error %s %s" % (errors[0][0], json.dumps(errors[0][1])[:120])
        self.rep.throughput("seed", "seed: POST /v1/phone-numbers (16 clients)", len(rows) / wall, "numbers/s",
                            percentile(lat, 0.50), percentile(lat, 0.99), len(errors), note)
        if not rows:
            raise RuntimeError("no number could be registered")
        time.sleep(self.args.settle)

    def need_seed(self):
        if not self.ids:
            raise RuntimeError("no seeded numbers")

    # ---- 2, 3. patch and get
    def wrk_endpoint(self, mode, key, label):
        self.need_wrk()
        self.need_seed()
        if self.args.warmup > 0:
            self.wrk(mode, self.key, self.args.warmup, ids=self.ids_file)
        say(label)
        self.wrk_row(key, label, self.wrk(mode, self.key, self.args.seconds, ids=self.ids_file))

    def patch(self):
        self.wrk_endpoint("patch", "patch", "PATCH /v1/phone-numbers/{id}")

    def get(self):
        self.wrk_endpoint("get", "get", "GET /v1/phone-numbers/{id}")

    # ---- 4. resolve, nginx
    def resolve(self):
        self.need_wrk()
        self.need_seed()
        # a warm pass asks for every number in turn, so the measured run sees a warm cache
        self.wrk("warm", self.internal, max(self.args.warmup, 1), ids=self.ids_file)
        say("GET /v1/routing/resolve")
        r = self.wrk("resolve", self.internal, self.args.seconds, ids=self.ids_file)
        self.wrk_row("resolve", "GET /v1/routing/resolve (warm cache)", r)
        label = "nginx static 200 (same wrk script)"
        if not shutil.which("nginx"):
            self.rep.skip(label, "nginx is not installed (apt-get install nginx-light adds this ceiling)")
            return
        ng = Nginx(self.tmp, 18000 + self.args.port_offset)
        try:
            ng.start()
            say(label)
            n = self.wrk("resolve", "x", self.args.seconds, base="http://127.0.0.1:%d" % ng.port, ids=self.ids_file)
        finally:
            ng.stop()
        self.wrk_row("nginx", label, n, "nginx worker_processes 2, port %d" % ng.port)
        if n["rps"] > 0:
            self.rep.ratio("resolve.nginx_ratio", "  ratio resolve / nginx", r["rps"] / n["rps"])

    # ---- 5b. resolve of numbers with a full routing policy, beside plain numbers
    def full_policy(self, i):
        a = self.agents
        rules = []
        for k in range(20):  # none matches the bench callers (+1415…, +1555…): every rule is checked
            kind = k % 4
            if kind == 0:
                match = {"numbers": ["+4420794%05d" % (k * 10 + j) for j in range(5)]}
            elif kind == 1:
                match = {"prefix": "+%d" % (33 + k)}
            elif kind == 2:
                match = {"country": ["GB", "FR", "DE", "JP", "BR"][k // 4 % 5]}
            else:
                match = {"numbers": ["+3314%07d" % (i * 100 + k)]}
            rule = {"match": match, "action": ["route", "voicemail", "reject"][k % 3]}
            if rule["action"] == "route":
                rule["agent_id"] = a[(i + k) % len(a)]
            rules.append(rule)
        return {"inbound_routing": {
            "caller_rules": rules,
            "schedule": {"time_zone": "America/New_York",
                         "open": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "00:00",
                                   "to": "24:00"}],
                         "closed_dates": ["2030-%02d-%02d" % (m, 10 + m) for m in range(1, 11)]},
            "fallbacks": [{"agent_id": a[(i + 3 + j) % len(a)], "on": ["paused", "deleted", "busy"]}
                          for j in range(3)]}}

    def policy(self):
        self.need_wrk()
        self.need_seed()
        m = min(len(self.ids) // 2, 1000)
        if m == 0:
            raise RuntimeError("too few seeded numbers")
        plain = list(zip(self.ids[:m], self.phones[:m]))
        pol = list(zip(self.ids[m:2 * m], self.phones[m:2 * m]))
        say("giving %d numbers a full routing policy" % m)
        errors, lock = [], threading.Lock()

        def worker(t, nthreads):
            c = Http(self.base)
            for i in range(t, m, nthreads):
                status, doc, _ = c.call("PATCH", "/v1/phone-numbers/" + pol[i][0], self.key, self.full_policy(i))
                if status != 200:
                    with lock:
                        errors.append((status, doc))
            c.close()

        threads = [threading.Thread(target=worker, args=(t, 8), daemon=True) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError("PATCH with a policy failed %d times, first %s %s" %
                               (len(errors), errors[0][0], json.dumps(errors[0][1])[:200]))
        files = {}
        for name, rows in (("plain", plain), ("policy", pol)):
            files[name] = os.path.join(self.tmp, "ids-" + name)
            with open(files[name], "w") as f:
                f.write("".join("%s\t%s\n" % r for r in rows))
            with open(files[name] + ".numbers", "w") as f:
                f.write("".join("%s\n" % r[1] for r in rows))
        # plain and policy alternate, ROUNDS times each, and the ratio is the median of the rounds':
        # a host whose speed drifts within a minute (steal) then moves both sides of a ratio alike
        rounds = 1 if self.args.quick else 3
        secs = self.args.seconds / rounds
        gw = {"plain": [], "policy": []}
        for name in ("plain", "policy"):
            self.wrk("warm", self.internal, max(self.args.warmup, 1), ids=files[name])
        for k in range(rounds):
            for name in ("plain", "policy"):
                say("GET /v1/routing/resolve, %s numbers (round %d of %d)" % (name, k + 1, rounds))
                gw[name].append(self.wrk("resolve", self.internal, secs, ids=files[name]))
        for name in ("plain", "policy"):
            self.wrk_row("policy.gateway_" + name, "resolve through the gateway, %d %s numbers" % (m, name),
                         max(gw[name], key=lambda r: r["rps"]))
        ratios = [b["rps"] / a["rps"] for a, b in zip(gw["plain"], gw["policy"]) if a["rps"] > 0]
        if ratios:
            self.rep.ratio("policy.gateway_ratio", "  ratio policy / plain (gateway, median of %d rounds)" %
                           len(ratios), statistics.median(ratios))
        if not os.access(self.loadgen, os.X_OK):
            raise RuntimeError("%s is missing" % self.loadgen)
        conc = str(self.args.connections)
        zm = {"plain": [], "policy": []}
        for name in ("plain", "policy"):
            subprocess.run([self.loadgen, "zmq", self.dispatch, files[name] + ".numbers", conc, "0"],
                           capture_output=True, timeout=180, env=self.loadgen_env)
        for k in range(rounds):
            for name in ("plain", "policy"):
                say("dispatch.Resolve over ZeroMQ, %s numbers (round %d of %d)" % (name, k + 1, rounds))
                r = subprocess.run([self.loadgen, "zmq", self.dispatch, files[name] + ".numbers", conc, str(secs)],
                                   capture_output=True, text=True, timeout=secs + 180, env=self.loadgen_env)
                f = dict(re.findall(r"(\w+)=([0-9.]+)", r.stdout))
                if "rps" not in f:
                    raise RuntimeError("bench_loadgen printed no figures: %s" % (r.stderr or r.stdout).strip()[:300])
                zm[name].append(f)
        for name in ("plain", "policy"):
            f = max(zm[name], key=lambda x: float(x["rps"]))
            self.rep.throughput("policy.zmq_" + name, "dispatch.Resolve over ZeroMQ, %d %s numbers" % (m, name),
                                float(f["rps"]), "req/s", float(f["p50_ms"]), float(f["p99_ms"]), int(f["errors"]),
                                "%s requests, %s concurrent" % (f["requests"], conc))
        ratios = [float(b["rps"]) / float(a["rps"]) for a, b in zip(zm["plain"], zm["policy"]) if float(a["rps"]) > 0]
        if ratios:
            self.rep.ratio("policy.zmq_ratio", "  ratio policy / plain (ZeroMQ, median of %d rounds)" % len(ratios),
                           statistics.median(ratios))
        # last: a PATCH changes what the resolves above read. The voicemail message changes; the
        # whole policy is merged, checked, stored, applied in dispatch and audited with it
        label = "PATCH /v1/phone-numbers/{id}, %d numbers with a policy" % m
        if self.args.warmup > 0:
            self.wrk("patch", self.key, self.args.warmup, ids=files["policy"])
        say(label)
        self.wrk_row("policy.patch", label, self.wrk("patch", self.key, self.args.seconds, ids=files["policy"]))

    # ---- 5. dispatch.Resolve over ZeroMQ, redis-benchmark
    def zmq(self):
        self.need_seed()
        if not os.access(self.loadgen, os.X_OK):
            raise RuntimeError("%s is missing" % self.loadgen)
        nums = os.path.join(self.tmp, "numbers")
        with open(nums, "w") as f:
            f.write("\n".join(self.phones) + "\n")
        conc = str(self.args.connections)

        def loadgen(seconds):
            r = subprocess.run([self.loadgen, "zmq", self.dispatch, nums, conc, str(seconds)], capture_output=True,
                               text=True, timeout=max(seconds, 60) + 120, env=self.loadgen_env)
            m = dict(re.findall(r"(\w+)=([0-9.]+)", r.stdout))
            if "rps" not in m:
                raise RuntimeError("bench_loadgen printed no figures (exit %d): %s" %
                                   (r.returncode, (r.stderr or r.stdout).strip()[:300]))
            return m

        loadgen(0)  # one pass over every number: the cache holds all of them
        say("dispatch.Resolve over ZeroMQ")
        m = loadgen(self.args.seconds)
        zrps = float(m["rps"])
        self.rep.throughput("zmq_resolve", "dispatch.Resolve over ZeroMQ (bench_loadgen)", zrps, "req/s",
                            float(m["p50_ms"]), float(m["p99_ms"]), int(m["errors"]),
                            "%s requests, %s concurrent" % (m["requests"], conc))
        label = "redis-benchmark GET (stack's redis)"
        if not shutil.which("redis-benchmark"):
            self.rep.skip(label, "redis-benchmark is not installed (apt-get install redis-tools)")
            return
        say(label)
        auth = ["-a", self.stack.info["OI_REDIS_PASSWORD"]] if self.stack.info.get("OI_REDIS_PASSWORD") else []
        r = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(self.redis_port), "-c", conc,
                            "-n", str(self.args.redis_requests), "-t", "get", "--csv", *auth],
                           capture_output=True, text=True, timeout=600)
        rows = [l.replace('"', "").split(",") for l in r.stdout.splitlines() if l.strip()]
        head = next((row for row in rows if row and row[0] == "test"), None)
        data = next((row for row in rows if row and row[0] == "GET"), None)
        if not data:
            raise RuntimeError("redis-benchmark printed no GET line: %s" % (r.stderr or r.stdout).strip()[:300])
        cols = dict(zip(head, data)) if head else {"rps": data[1]}
        rrps = float(cols["rps"])
        p50 = float(cols["p50_latency_ms"]) if "p50_latency_ms" in cols else None
        p99 = float(cols["p99_latency_ms"]) if "p99_latency_ms" in cols else None
        self.rep.throughput("redis_get", label, rrps, "req/s", p50, p99, None,
                            "-c %s -n %d" % (conc, self.args.redis_requests))
        if rrps > 0:
            self.rep.ratio("zmq_resolve.redis_ratio", "  ratio zmq Resolve / redis GET", zrps / rrps)

    # ---- 6. registration of brought numbers
    def register(self):
        self.need_wrk()
        if not self.key:
            raise RuntimeError("no workspace key (seed failed)")
        if self.args.threads > 10:
            raise RuntimeError("the register script takes at most 10 wrk threads")
        for mode, prefix, key, label in (("register", "+1650", "register", "POST /v1/phone-numbers (brought numbers)"),
                                         ("register-idem", "+1651", "register_idem",
                                          "POST /v1/phone-numbers + Idempotency-Key")):
            say(label)
            r = self.wrk(mode, self.key, self.args.seconds, prefix=prefix, agent=self.agents[0],
                         nonce="bench-%s" % self.nonce)
            note = "%d x 201, %d other, %d socket errors" % (r["ok"], r["bad"], r["sockerr"])
            if r.get("steal") is not None:
                note += "; CPU stolen by the host %.0f%%" % r["steal"]
                self.rep.figure(key + ".steal", r["steal"], "%")
            self.rep.throughput(key, label, r["ok"] / r["seconds"], "numbers/s", r["p50"], r["p99"],
                                r["bad"] + r["sockerr"], note)

    # ---- 7. slow carrier
    def area_codes(self):
        try:
            with open(os.path.join(self.args.source, "services", "carrier-sim", "inventory.c")) as f:
                codes = re.findall(r'\{\s*"US",\s*"1",\s*"(\d+)"', f.read())
            return codes or US_AREA_CODES
        except OSError:
            return US_AREA_CODES

    def slow(self):
        for latency in self.args.latencies:
            try:
                self.slow_one(latency)
            except Exception as e:  # noqa: BLE001 — one latency failing leaves the next to run
                self.rep.skip("slow carrier %d ms" % latency, "%s: %s" % (type(e).__name__, e))
                traceback.print_exc(file=sys.stdout)
            finally:
                try:
                    Http(self.sim, 10).call("DELETE", "/sim/faults")
                except (OSError, http.client.HTTPException):
                    pass

    def slow_one(self, latency):
        self.need_seed()
        P = self.args.purchases
        api, sim = Http(self.base), Http(self.sim, 10)
        workspace = "bench-slow-%d-%s" % (latency, self.nonce)
        key = must(*api.call("POST", "/v1/api-keys", self.admin, {"name": "bench", "workspace": workspace})[:2],
                   201, "POST /v1/api-keys")
        key = key.get("key") or key.get("api_key") or key.get("secret")
        agent = must(*api.call("POST", "/v1/agents", key, {"name": "buyer"})[:2], 201, "POST /v1/agents")["id"]
        codes = self.area_codes()
        must(*sim.call("DELETE", "/sim/faults")[:2], 200, "DELETE /sim/faults")
        before = must(*sim.call("GET", "/sim/counters")[:2], 200, "GET /sim/counters")
        for route in ("twilio.search", "twilio.buy"):
            must(*sim.call("POST", "/sim/faults", body={"route": route, "latency_ms": latency, "count": -1})[:2],
                 201, "POST /sim/faults " + route)
        say("slow carrier %d ms: %d concurrent purchases over %d area codes" % (latency, P, len(codes)))

        stop = threading.Event()
        get_lat, get_bad, health = [], {}, {"polls": 0, "bad": {}, "max_ms": 0.0}
        lock = threading.Lock()

        def getter():
            c = Http(self.base, 30)
            rnd = random.Random()
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    st = c.call("GET", "/v1/phone-numbers/" + rnd.choice(self.ids), self.key)[0]
                except (OSError, http.client.HTTPException):
                    st = 0
                dt = (time.perf_counter() - t0) * 1000
                with lock:
                    get_lat.append(dt)
                    if st != 200:
                        get_bad[st] = get_bad.get(st, 0) + 1
            c.close()

        def poller():
            c = Http(self.base, 5)
            nxt = time.monotonic()
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    st = c.call("GET", "/healthz")[0]
                except (OSError, http.client.HTTPException):
                    st = 0
                dt = (time.perf_counter() - t0) * 1000
                health["polls"] += 1
                if st != 200:
                    health["bad"][st] = health["bad"].get(st, 0) + 1
                health["max_ms"] = max(health["max_ms"], dt)
                nxt += 0.1
                stop.wait(max(0.0, nxt - time.monotonic()))
            c.close()

        results = [None] * P
        barrier = threading.Barrier(P + 1)
        timeout = self.sync_wait_ms / 1000 + 60

        def buyer(i):
            c = Http(self.base, timeout)
            body = {"country": "US", "area_code": codes[i % len(codes)], "agent_id": agent}
            hdr = {"Idempotency-Key": "bench-%s-%d-%d" % (self.nonce, latency, i)}
            try:
                c.connect()
            except OSError:
                pass
            barrier.wait()
            t0 = time.perf_counter()
            try:
                st, doc, _ = c.call("POST", "/v1/phone-numbers/purchase", key, body, hdr)
            except (OSError, http.client.HTTPException) as e:
                st, doc = 0, {"error": str(e)}
            results[i] = (st, time.perf_counter() - t0, doc)
            c.close()

        background = [threading.Thread(target=getter, daemon=True) for _ in range(self.args.get_clients)]
        background.append(threading.Thread(target=poller, daemon=True))
        buyers = [threading.Thread(target=buyer, args=(i,), daemon=True) for i in range(P)]
        for t in background + buyers:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in buyers:
            t.join()
        window = time.perf_counter() - t0
        stop.set()
        for t in background:
            t.join()
        must(*sim.call("DELETE", "/sim/faults")[:2], 200, "DELETE /sim/faults")
        cleared = time.monotonic()

        by_status = {}
        for st, _, _ in results:
            by_status[st] = by_status.get(st, 0) + 1
        n201, n202 = by_status.get(201, 0), by_status.get(202, 0)
        other = P - n201 - n202
        times = sorted(r[1] for r in results)
        tmax = times[-1]
        jobs = [r[2]["job_id"] for r in results if r[0] == 202 and isinstance(r[2], dict) and r[2].get("job_id")]
        others = sorted("%s" % st for st in by_status if st not in (201, 202))
        first_other = next((r for r in results if r[0] not in (201, 202)), None)

        # every 202 job, to its end
        say("slow carrier %d ms: faults cleared, waiting for %d jobs (up to %d s)" % (latency, len(jobs),
                                                                                    self.args.job_wait))
        pending, ended = set(jobs), {}
        deadline = time.monotonic() + self.args.job_wait
        tw = time.perf_counter()
        while pending and time.monotonic() < deadline:
            for j in list(pending):
                st, doc, _ = api.call("GET", "/v1/jobs/" + j, key)
                if st == 200 and doc and doc.get("status") in FINAL_JOB_STATES:
                    ended[j] = doc["status"]
                    pending.discard(j)
            if pending:
                time.sleep(0.5)
        waited = time.perf_counter() - tw
        succeeded = sum(1 for s in ended.values() if s == "succeeded")
        # carrier calls that arrived before the faults were cleared still wait out their delay:
        # the counters are read only once the last of them has been answered
        time.sleep(max(0.0, latency / 1000 + 3 - (time.monotonic() - cleared)))

        # duplicates and orphans, from the simulator's counters against the workspace's numbers
        after = must(*sim.call("GET", "/sim/counters")[:2], 200, "GET /sim/counters")
        bought = {}
        for num, cnt in (after.get("purchases") or {}).items():
            d = cnt - (before.get("purchases") or {}).get(num, 0)
            if d > 0:
                bought[num] = d
        released = sum(max(0, cnt - (before.get("releases") or {}).get(num, 0))
                       for num, cnt in (after.get("releases") or {}).items())
        duplicates = sorted(n for n, d in bought.items() if d > 1)
        owned = set(after.get("owned") or [])
        live = self.list_numbers(api, key)
        orphans = sorted(n for n in bought if n in owned and n not in live)

        g = sorted(get_lat)
        rows = self.rep.section("slow carrier: twilio.search + twilio.buy +%d ms, %d concurrent purchases "
                                "(workspace %s)" % (latency, P, workspace))
        k = "slow%d." % latency
        rows.append(("answered 201 / 202 / other", "%d / %d / %d%s" % (
            n201, n202, other, "  (other: %s; first: %s)" % (", ".join(others), json.dumps(first_other[2])[:160])
            if first_other else "")))
        rows.append(("purchase time p50 / p99 / max", "%.2f / %.2f / %.2f s  (max - OI_SYNC_WAIT_MS %.1f s = %+.2f s)"
                     % (percentile(times, 0.5), percentile(times, 0.99), tmax, self.sync_wait_ms / 1000,
                        tmax - self.sync_wait_ms / 1000)))
        rows.append(("GET /v1/phone-numbers/{id} meanwhile", "p50 %s ms, p99 %s ms  (%d requests, %d non-200%s, "
                     "%d clients, %.1f s window)" % (fmt(percentile(g, 0.5), 2), fmt(percentile(g, 0.99), 2),
                                                     len(g), sum(get_bad.values()), statuses(get_bad),
                                                     self.args.get_clients, window)))
        rows.append(("GET /healthz every 100 ms", "%d non-200%s of %d polls (slowest %.1f ms)" % (
            sum(health["bad"].values()), statuses(health["bad"]), health["polls"], health["max_ms"])))
        rows.append(("202 jobs after the faults were cleared", "%d succeeded, %d other, %d unfinished of %d "
                     "(waited %.1f s)%s" % (succeeded, len(ended) - succeeded, len(pending), len(jobs), waited,
                                            self.job_states_note(ended))))
        rows.append(("numbers bought on the carrier / released", "%d / %d" % (sum(bought.values()), released)))
        rows.append(("duplicate purchases (bought > once)", "%d%s" % (len(duplicates), ": " + " ".join(
            duplicates[:10]) if duplicates else "")))
        rows.append(("orphans (owned, held by no number row)", "%d%s  (%d rows live in the workspace)" % (
            len(orphans), ": " + " ".join(orphans[:10]) if orphans else "", len(live))))
        for name, value, unit in (("answered_201", n201, "count"), ("answered_202", n202, "count"),
                                  ("answered_other", other, "count"),
                                  ("purchase_time.p50", percentile(times, 0.5), "s"),
                                  ("purchase_time.p99", percentile(times, 0.99), "s"),
                                  ("purchase_time.max", tmax, "s"),
                                  ("purchase_time.max_minus_sync_wait", tmax - self.sync_wait_ms / 1000, "s"),
                                  ("get.p50", percentile(g, 0.5), "ms"), ("get.p99", percentile(g, 0.99), "ms"),
                                  ("get.errors", sum(get_bad.values()), "count"),
                                  ("healthz.non200", sum(health["bad"].values()), "count"),
                                  ("healthz.polls", health["polls"], "count"),
                                  ("jobs.succeeded", succeeded, "count"),
                                  ("jobs.other", len(ended) - succeeded, "count"),
                                  ("jobs.unfinished", len(pending), "count"),
                                  ("carrier.bought", sum(bought.values()), "count"),
                                  ("carrier.duplicates", len(duplicates), "count"),
                                  ("carrier.orphans", len(orphans), "count")):
            self.rep.figure(k + name, value if value is not None else "-", unit)

    @staticmethod
    def job_states_note(ended):
        states = {}
        for s in ended.values():
            if s != "succeeded":
                states[s] = states.get(s, 0) + 1
        return "; " + ", ".join("%s %d" % kv for kv in sorted(states.items())) if states else ""

    def list_numbers(self, api, key):
        """Every phone_number of the workspace, following the Link rel="next" pages."""
        out, path = set(), "/v1/phone-numbers?limit=100"
        for _ in range(10000):
            status, doc, headers = api.call("GET", path, key)
            must(status, doc, 200, "GET " + path)
            items = doc if isinstance(doc, list) else (doc or {}).get("data") or (doc or {}).get("items") or []
            for item in items:
                out.add(item.get("phone_number"))
            m = re.search(r'<([^>]+)>\s*;\s*rel="next"', headers.get("Link") or "")
            if not m:
                break
            path = m.group(1)
        return out

    # ---- 8. the SIP edge
    def sip(self):
        for tool, package in (("sipp", "sip-tester"), ("tcpdump", "tcpdump")):
            if not ensure_tool(tool, package):
                raise RuntimeError("%s is not installed (apt-get install %s)" % (tool, package))
        env = dict(os.environ, OI_STACK_ENV=os.path.join(self.args.run_dir, "stack.env"),
                   NUMBERS="50" if self.args.quick else "200", CALLS="4000" if self.args.quick else "20000",
                   LAT_CALLS="1000" if self.args.quick else "4000")
        say("SIP edge: tests/bench/sip.sh (%s calls per capacity run)" % env["CALLS"])
        r = subprocess.run(["bash", os.path.join(self.args.source, "tests", "bench", "sip.sh")], env=env,
                           capture_output=True, text=True, timeout=1800)
        if r.returncode:
            raise RuntimeError("sip.sh exited %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
        rows = self.rep.section("SIP edge: INVITEs to an agent that answers at once (tests/bench/sip.sh)")
        for line in r.stdout.splitlines():
            if line.startswith("FIGURE\t"):
                _, name, value, unit = line.split("\t")
                try:
                    self.rep.figure(name, float(value), unit)
                except ValueError:
                    self.rep.figure(name, value, unit)
            elif line.strip():
                rows.append(("", line.rstrip()))

    # ---- 9. RSS
    def rss(self):
        rows = self.rep.section("memory of the stack's oi-* processes after all of the above")
        rows.append(("process (pid)", "%10s %10s" % ("VmRSS MiB", "VmHWM MiB")))
        pids = self.stack.pids()
        if not pids:
            raise RuntimeError("no pid files under %s/pids" % self.args.run_dir)
        for name, pid in pids.items():
            try:
                with open("/proc/%d/status" % pid) as f:
                    st = dict(l.split(":", 1) for l in f if ":" in l)
            except OSError:
                rows.append(("%s (%d)" % (name, pid), "not running"))
                continue
            rss = int(st["VmRSS"].split()[0]) / 1024
            hwm = int(st["VmHWM"].split()[0]) / 1024
            rows.append(("%s (%d)" % (name, pid), "%10.1f %10.1f" % (rss, hwm)))
            self.rep.figure("rss.%s.current" % name, rss, "MiB")
            self.rep.figure("rss.%s.peak" % name, hwm, "MiB")


    # ---- 11. one large workspace (opt-in)
    def scale(self):
        self.need_wrk()
        api, target = Http(self.base), self.args.scale_numbers
        ws = "bench-scale-%s" % self.nonce
        doc = must(*api.call("POST", "/v1/api-keys", self.admin, {"name": "scale", "workspace": ws})[:2], 201,
                   "POST /v1/api-keys")
        key = doc.get("key") or doc.get("api_key") or doc.get("secret")
        agent = must(*api.call("POST", "/v1/agents", key, {"name": "everyone's"})[:2], 201, "POST /v1/agents")["id"]
        rows = self.rep.section("one workspace of %d numbers, all routed to one agent (workspace %s)" % (target, ws))
        self.scale_grow(key, agent, target, rows)
        ids = self.scale_walk(api, key)
        rows.append(("numbers listed back, 100 a page", "%d in %d pages" % (len(ids), (len(ids) + 99) // 100)))
        mid = ids[len(ids) // 2][0] if ids else ""
        for label, path, tok in (("list, first page", "/v1/phone-numbers?limit=100", key),
                                 ("list, a page half way (cursor)", "/v1/phone-numbers?limit=100&cursor=" + mid, key),
                                 ("list, ?agent_id= of every number", "/v1/phone-numbers?limit=100&agent_id=" + agent, key),
                                 ("list, ?status=released (none)", "/v1/phone-numbers?limit=100&status=released", key),
                                 ("GET /v1/jobs?state=failed (admin)", "/v1/jobs?limit=100&state=failed", self.admin),
                                 ("audit events, ?since= now (none)", "/v1/audit-events?limit=100&since=%s" %
                                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1)), key),
                                 ("audit events, ?action=agent.created", "/v1/audit-events?limit=100&action=agent.created",
                                  key)):
            self.scale_read(api, rows, label, path, tok)
        for status in ("paused", "active"):
            t = time.monotonic()
            st, body, _ = api.call("PATCH", "/v1/agents/" + agent, key, {"status": status})
            ms = (time.monotonic() - t) * 1000
            rows.append(("PATCH /v1/agents/{id} %s" % status, "%d in %.0f ms (every number's routing)" % (st, ms)))
            self.rep.figure("scale.agent_%s_ms" % status, ms, "ms")
        self.scale_rss(ids, key, rows)

    def scale_grow(self, key, agent, target, rows):
        done, step = 0, 0
        while done < target and step < 60:
            r = self.wrk("register", key, 5, prefix="+1%03d" % (720 + step), agent=agent,
                         nonce="scale-%s-%d" % (self.nonce, step))
            if r["ok"] == 0:
                raise RuntimeError("no number registered (%d other answers)" % r["bad"])
            rate = r["ok"] / r["seconds"]
            rows.append(("POST /v1/phone-numbers at %6d numbers" % done,
                         "%7.0f numbers/s  p50 %6.2f ms  p99 %7.2f ms  (%d other)" % (rate, r["p50"], r["p99"], r["bad"])))
            self.rep.figure("scale.register_at_%d" % done, rate, "numbers/s")
            done += r["ok"]
            step += 1

    def scale_walk(self, api, key):
        ids, cursor = [], ""
        while True:
            st, doc, h = api.call("GET", "/v1/phone-numbers?limit=100" + ("&cursor=" + cursor if cursor else ""), key)
            must(st, doc, 200, "GET /v1/phone-numbers")
            ids += [(n["id"], n["phone_number"]) for n in doc]
            m = re.search(r"[?&]cursor=([^&>]+)", h.get("Link") or "")  # the next page's, in the Link header
            if not m or not doc:
                return ids
            cursor = m.group(1)

    def scale_read(self, api, rows, label, path, token, n=30):
        lat = []
        for _ in range(n):
            t = time.monotonic()
            st, doc, _ = api.call("GET", path, token)
            lat.append((time.monotonic() - t) * 1000)
            must(st, doc, 200, label)
        lat.sort()
        rows.append((label, "p50 %7.2f ms  p99 %7.2f ms" % (lat[n // 2], lat[min(n - 1, int(n * 0.99))])))
        self.rep.figure("scale.%s_p50" % re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_"), lat[n // 2], "ms")

    def scale_rss(self, ids, key, rows):
        path = os.path.join(self.tmp, "ids-scale")
        with open(path, "w") as f:
            f.write("".join("%s\t%s\n" % r for r in ids))
        secs = max(5, len(ids) // 5000)
        self.wrk("get", key, secs, ids=path)
        self.wrk("warm", self.internal, secs, ids=path)
        self.wrk("warm-form", self.internal, secs, ids=path)
        for name, pid in self.stack.pids().items():
            if not (name.startswith("oi-gateway") or name.startswith("oi-dispatch")):
                continue
            with open("/proc/%d/status" % pid) as f:
                st = dict(l.split(":", 1) for l in f if ":" in l)
            rss, hwm = int(st["VmRSS"].split()[0]) / 1024, int(st["VmHWM"].split()[0]) / 1024
            rows.append(("%s, all numbers read" % name, "VmRSS %.1f MiB, VmHWM %.1f MiB" % (rss, hwm)))
            self.rep.figure("scale.rss.%s.peak" % name, hwm, "MiB")


# --------------------------------------------------------------------------------- main

def parse_args():
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true", default=quick,
                    help="short run: 1000 numbers, 3 s runs, 50 purchases (also BENCH_QUICK=1)")
    ap.add_argument("--source", default=REPO, help="tree to build and run (default: this repository)")
    ap.add_argument("--build-dir", help="Release build directory (default SOURCE/build-bench)")
    ap.add_argument("--run-dir", help="the stack's state (default SOURCE/.run/bench)")
    ap.add_argument("--port-offset", type=int, default=int(os.environ.get("BENCH_PORT_OFFSET", "440")),
                    help="shift of every port (default 440; make run uses 0, make test 50)")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in --build-dir")
    ap.add_argument("--only", help="comma-separated scenarios to run (seed always runs): " + ",".join(SCENARIOS))
    ap.add_argument("--numbers", type=int, help="numbers seeded (default 5000, quick 1000)")
    ap.add_argument("--seconds", type=float, help="length of each measured run (default 10, quick 3)")
    ap.add_argument("--warmup", type=float, help="uncounted run before each measured one (default 5, quick 2)")
    ap.add_argument("--settle", type=float, default=None, help="pause after seeding (default 3, quick 1)")
    ap.add_argument("--scale-numbers", type=int, default=100000, help="size the scale scenario grows a workspace to")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (at most 10)")
    ap.add_argument("--redis-requests", type=int, help="redis-benchmark -n (default 500000, quick 100000)")
    ap.add_argument("--purchases", type=int, help="concurrent purchases per slow-carrier run (default 200, quick 50)")
    ap.add_argument("--latencies", help="carrier latencies in ms, one slow-carrier run each (default 2000,8000)")
    ap.add_argument("--get-clients", type=int, default=4, help="GET clients during the slow-carrier runs")
    ap.add_argument("--job-wait", type=float, help="how long to wait for the 202 jobs (default 120 s, quick 60)")
    ap.add_argument("--keep", action="store_true",
                    help="leave the stack running and its seed files in place afterwards (for profiling; "
                         "stop it with OI_RUN_DIR=<run-dir> deploy/local/stack.sh down)")
    ap.add_argument("--tsv", help="also append the FIGURE lines to this file (with date and commit)")
    a = ap.parse_args()

    def pick(v, normal, short):
        return v if v is not None else (short if a.quick else normal)
    a.source = os.path.abspath(a.source)
    a.build_dir = os.path.abspath(a.build_dir or os.path.join(a.source, "build-bench"))
    a.run_dir = os.path.abspath(a.run_dir or os.path.join(a.source, ".run", "bench"))
    if os.path.abspath(a.build_dir) == os.path.join(a.source, "build"):
        ap.error("build/ is the sanitizer build of make build; choose another --build-dir")
    a.logs = os.path.dirname(a.run_dir)
    a.numbers = pick(a.numbers, 5000, 1000)
    a.seconds = pick(a.seconds, 10.0, 3.0)
    a.warmup = pick(a.warmup, 5.0, 2.0)
    a.settle = pick(a.settle, 3.0, 1.0)
    a.redis_requests = pick(a.redis_requests, 500000, 100000)
    a.purchases = pick(a.purchases, 200, 50)
    a.job_wait = pick(a.job_wait, 120.0, 60.0)
    a.latencies = [int(x) for x in (a.latencies or "2000,8000").split(",") if x.strip()]
    a.only = set(SCENARIOS) if not a.only else {s.strip() for s in a.only.split(",")} | {"seed"}
    unknown = a.only - set(SCENARIOS) - set(OPT_IN)
    if unknown:
        ap.error("unknown scenario(s): " + ", ".join(sorted(unknown)))
    return a


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    os.makedirs(args.logs, exist_ok=True)
    rep = Report()
    commit = git(args.source, "rev-parse", "--short", "HEAD") or "unknown"
    dirty = " + uncommitted changes" if git(args.source, "status", "--porcelain", "--untracked-files=no") else ""
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    rep.header += [
        "OneInbox bench  %s" % started,
        "machine   nproc %d, %s, %s" % (os.cpu_count() or 0, os.uname().release, os.uname().machine),
        "commit    %s%s (%s)" % (commit, dirty, args.source),
        "settings  %d numbers, %d connections, wrk %d threads, %g s runs after %g s warm-up, Release %s, "
        "ports +%d%s" % (args.numbers, args.connections, args.threads, args.seconds, args.warmup, args.build_dir,
                         args.port_offset, ", quick" if args.quick else ""),
    ]
    for line in rep.header:
        say(line)

    tmp = tempfile.mkdtemp(prefix="oi-bench.")
    stack = Stack(args)
    rc = 0
    t_start = time.time()
    try:
        has_wrk = ensure_tool("wrk", "wrk")
        if not has_wrk:
            say("wrk is not installed and could not be installed (apt-get install wrk): its scenarios are skipped")
        ensure_tool("redis-benchmark", "redis-tools")
        if not args.no_build:
            build(args)
        stack.up()
        b = Bench(args, stack, rep, tmp)
        b.has_wrk = has_wrk
        steps = [("seed", "seed", b.seed), ("patch", "PATCH /v1/phone-numbers/{id}", b.patch),
                 ("get", "GET /v1/phone-numbers/{id}", b.get), ("resolve", "GET /v1/routing/resolve", b.resolve),
                 ("zmq", "dispatch.Resolve over ZeroMQ", b.zmq), ("policy", "resolve with a routing policy", b.policy),
                 ("register", "POST /v1/phone-numbers", b.register),
                 ("slow", "slow carrier", b.slow), ("sip", "SIP edge", b.sip), ("rss", "RSS", b.rss),
                 ("scale", "one large workspace", b.scale)]
        for name, label, fn in steps:
            if name not in args.only:
                continue
            try:
                fn()
            except Exception as e:  # noqa: BLE001 — a scenario that cannot run says why; the rest go on
                rep.skip(label, "%s: %s" % (type(e).__name__, e))
                traceback.print_exc(file=sys.stdout)
    except (Exception, KeyboardInterrupt, SystemExit) as e:  # noqa: BLE001
        rc = e.code if isinstance(e, SystemExit) and isinstance(e.code, int) else 1
        say("stopped: %s: %s" % (type(e).__name__, e))
    finally:
        if args.keep:
            say("kept: the stack in %s, the seed files in %s" % (args.run_dir, tmp))
        else:
            try:
                stack.down()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    rep.header.append("duration  %.0f s" % (time.time() - t_start))
    rep.print()
    if args.tsv:
        with open(args.tsv, "a") as f:
            for name, value, unit in rep.figures:
                f.write("%s\t%s\t%s\t%s\t%s\n" % (started, commit, name,
                                                  "%.3f" % value if isinstance(value, float) else value, unit))
    return rc


if __name__ == "__main__":
    sys.exit(main())
