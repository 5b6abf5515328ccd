"""Controlling the running test stack from tests: stop/start pieces, signal replicas, read
metrics and readiness from the ops ports."""
import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK = os.path.join(ROOT, "deploy", "local", "stack.sh")


class Stack:
    def __init__(self, env):
        self.env = env
        self.run_dir = env["OI_RUN_DIR"]
        self.replicas = int(env.get("OI_REPLICAS", "1"))

    def _sh(self, *args, env=None, unset=()):
        e = dict(os.environ, OI_RUN_DIR=self.run_dir, **(env or {}))
        for name in unset:
            e.pop(name, None)
        r = subprocess.run([STACK, *args], env=e, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-2000:])

    def up(self, unset=()):
        """stack.sh up, as `make run` runs it again; unset: variables of this environment left out."""
        self._sh("up", unset=unset)

    def running(self):
        """{process name: pid} of every piece with a pid file."""
        d = os.path.join(self.run_dir, "pids")
        return {f[:-4]: self.pid(f[:-4]) for f in sorted(os.listdir(d)) if f.endswith(".pid")}

    def start(self, name, env=None):
        """env: extra variables for this start (e.g. another OI_PURCHASE_CARRIER)."""
        self._sh("start", name, env=env)

    def stop(self, name):
        self._sh("stop", name)

    @contextlib.contextmanager
    def started_with(self, names, env):
        """The services `names` restarted with env added for the block, then with their own again."""
        for name in names:
            self.stop(name)
            self.start(name, env=env)
        try:
            yield
        finally:
            for name in names:
                self.stop(name)
                self.start(name)

    def gateway_names(self):
        """Every gateway replica's process name: oi-gateway, oi-gateway.1, …"""
        return ["oi-gateway" + ("" if i == 0 else ".%d" % i) for i in range(self.replicas)]

    def psql(self, sql):
        """One statement as postgres on the stack's database; its output, unaligned, stripped."""
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.env["OI_PG_PORT"]), "-U", "postgres", "-d",
                            "oneinbox", "-Atc", sql], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    @contextlib.contextmanager
    def table_locked(self, table, seconds):
        """TABLE held in ACCESS EXCLUSIVE mode by another session for SECONDS from when it is
        granted (the block runs while it is held); on leaving, waits for that session to end."""
        locker = subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(self.env["OI_PG_PORT"]), "-U", "postgres",
                                   "-d", "oneinbox", "-Atc", "BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE; "
                                   "SELECT pg_sleep(%d); COMMIT;" % (table, seconds)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 10
            while self.psql("SELECT count(*) FROM pg_locks WHERE relation = '%s'::regclass "
                            "AND mode = 'AccessExclusiveLock' AND granted" % table) != "1":
                assert time.time() < deadline, "the lock on %s was not granted" % table
                time.sleep(0.1)
            yield
        finally:
            locker.wait(timeout=seconds + 30)
        assert locker.returncode == 0, locker.stderr.read()

    def pid(self, name):
        with open(os.path.join(self.run_dir, "pids", name + ".pid")) as f:
            return int(f.read().strip())

    def alive(self, name):
        try:
            os.kill(self.pid(name), 0)
            return True
        except (OSError, FileNotFoundError):
            return False

    def kill(self, name, sig=signal.SIGKILL):
        os.kill(self.pid(name), sig)

    def wait_dead(self, name, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive(name):
                return True
            time.sleep(0.05)
        return False

    def log(self, name):
        with open(os.path.join(self.env["OI_LOG_DIR"], name + ".log"), errors="replace") as f:
            return f.read()

    def ops_port(self, svc, replica=0):
        key = {"oi-gateway": "OI_GATEWAY_OPS_PORT", "oi-provisioning": "OI_PROVISIONING_OPS_PORT",
               "oi-dispatch": "OI_DISPATCH_OPS_PORT", "oi-carrier": "OI_CARRIER_OPS_PORT"}[svc]
        return int(self.env[key]) + replica

    def ops_get(self, svc, path, replica=0):
        url = "http://127.0.0.1:%d%s" % (self.ops_port(svc, replica), path)
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, svc, name, replica=0, labels=""):
        """Sum of the samples of metric `name` (whose label text contains `labels`)."""
        _, text = self.ops_get(svc, "/metrics", replica)
        total = 0.0
        for line in text.splitlines():
            m = re.match(r"^%s(\{[^}]*\})?\s+([0-9.eE+-]+)$" % re.escape(name), line)
            if m and labels in (m.group(1) or ""):
                total += float(m.group(2))
        return total
