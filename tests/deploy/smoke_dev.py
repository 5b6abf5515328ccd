#!/usr/bin/env python3
"""Runs the dev overlay's containers on this machine, as the image would, without Docker or a
cluster: proves the rendered configuration actually starts the binaries and wires them together.

  /usr/bin/python3 tests/deploy/smoke_dev.py [--build] [--build-dir DIR] [--port-offset N] [--keep]

1. `kubectl kustomize deploy/k8s/overlays/dev`; takes every container that runs one of the
   suite's binaries, with its environment exactly as the kubelet would give it (ConfigMaps and
   the dev Secrets included).
2. Lays out the image's /opt/oneinbox (bin/ + services/*/migrations, as deploy/docker/Dockerfile
   does) in a temporary directory from a Release build (--build makes one the way the
   Dockerfile's builder stage does, in --build-dir, default build-k8s).
3. Rewrites only what a pod network gives for free: every Service name becomes 127.0.0.1 and
   every container/Service port p becomes p + offset (default 20000, which keeps them below
   the ephemeral range, 32768+), so nothing collides with other stacks or outgoing
   connections; migrations point at the copied layout.
4. Starts PostgreSQL and Redis on private ports (the dev StatefulSets' role), then each
   container through deploy/docker/entrypoint.sh with its `args`, as uid/gid 10001 (when root).
5. Checks: readiness and liveness probes answer 200 on the probe port, /metrics on the ops port;
   end to end through the gateway's API port: admin creates an API key (gateway + PostgreSQL),
   an agent (dispatch), a number search (provisioning -> carrier -> simulator with the dev
   carrier credentials), a routing resolve with the internal token (dispatch + Redis); then
   SIGTERM makes every service exit 0 within OI_SHUTDOWN_GRACE_MS.
Everything it started is stopped at the end. Last line "N passed, M failed"; exit 1 on failure.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
IMAGE_PREFIX = '/opt/oneinbox'
APP_UID = 10001
SAMPLE = re.compile(r'^[A-Za-z_:][A-Za-z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$', re.M)
BUILD_TARGETS = ('oi-gateway', 'oi-provisioning', 'oi-dispatch', 'oi-carrier', 'oi-carrier-sim')

try:
    import checks  # noqa: E402
    import k8s_model  # noqa: E402
    import oi_sources  # noqa: E402
except ImportError as e:  # PyYAML
    print(f'smoke_dev: {e} (apt-get install python3-yaml)', file=sys.stderr)
    sys.exit(2)


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, problems):
        if problems:
            self.failed += 1
            print(f'FAIL {name}')
            for p in problems:
                print(f'     - {p}')
        else:
            self.passed += 1
            print(f'PASS {name}')
        return not problems


# ---- the image layout -----------------------------------------------------------------------

def build(build_dir):
    """The Dockerfile's builder stage, on this machine."""
    cfg = ['cmake', '-S', ROOT, '-B', build_dir, '-DOI_TESTS=OFF', '-DOI_SANITIZE=OFF',
           '-DCMAKE_BUILD_TYPE=Release']
    subprocess.run(cfg, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['cmake', '--build', build_dir, '-j2', '--target', *BUILD_TARGETS], check=True,
                   stdout=subprocess.DEVNULL)


def lay_out_image(build_dir, top):
    """top/opt/oneinbox/{bin,services/<svc>/migrations} + the entrypoint, readable by APP_UID."""
    prefix = os.path.join(top, IMAGE_PREFIX.lstrip('/'))
    os.makedirs(os.path.join(prefix, 'bin'))
    missing = []
    for b in BUILD_TARGETS:
        src = os.path.join(build_dir, b)
        if not os.access(src, os.X_OK):
            missing.append(src)
            continue
        shutil.copy2(src, os.path.join(prefix, 'bin', b))
    svc_root = os.path.join(ROOT, 'services')
    for svc in sorted(os.listdir(svc_root)):
        mig = os.path.join(svc_root, svc, 'migrations')
        if os.path.isdir(mig):
            shutil.copytree(mig, os.path.join(prefix, 'services', svc, 'migrations'))
    entry = os.path.join(top, 'entrypoint.sh')
    shutil.copy2(os.path.join(ROOT, 'deploy', 'docker', 'entrypoint.sh'), entry)
    for d, dirs, files in os.walk(top):
        os.chmod(d, 0o755)
        for f in files:
            p = os.path.join(d, f)
            os.chmod(p, 0o755 if os.access(p, os.X_OK) else 0o644)
    return prefix, entry, missing


# ---- rewriting the pod network onto loopback -------------------------------------------------

class Net:
    def __init__(self, model, offset):
        self.services = set(model.objects('Service'))
        self.ports = set()
        for w in model.workloads:
            self.ports |= {p for p in w.container_ports() if p}
        for s in model.objects('Service').values():
            self.ports |= {p.get('port') for p in s['spec'].get('ports', [])}
        self.offset = offset

    def host(self, h):
        return '127.0.0.1' if h.split('.')[0] in self.services else h

    def port(self, p):
        return p + self.offset if p in self.ports else p

    def value(self, name, v, image_prefix):
        if v is None:
            return None
        if name == 'OI_MIGRATIONS_DIR' and v.startswith(IMAGE_PREFIX + '/'):
            return image_prefix + v[len(IMAGE_PREFIX):]
        if name.endswith('_PORT') and v.isdigit():
            return str(self.port(int(v)))
        if name.endswith('_HOST'):
            return self.host(v)
        if name == 'OI_PG_CONNINFO':
            v = re.sub(r'\bhost=(\S+)', lambda m: 'host=' + self.host(m.group(1)), v)
            return re.sub(r'\bport=(\d+)', lambda m: f'port={self.port(int(m.group(1)))}', v)
        return re.sub(r'(tcp|https?)://([^:/,\s]+):(\d+)',
                      lambda m: f'{m.group(1)}://{self.host(m.group(2))}:{self.port(int(m.group(3)))}', v)


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(('0.0.0.0', port))
            return True
        except OSError:
            return False


# ---- backing stores (the dev StatefulSets' role) ---------------------------------------------

def pg_bindir():
    try:
        d = subprocess.run(['pg_config', '--bindir'], capture_output=True, text=True).stdout.strip()
    except OSError:
        d = ''
    for cand in (d, '/usr/lib/postgresql/15/bin'):
        if cand and os.access(os.path.join(cand, 'initdb'), os.X_OK):
            return cand
    return None


def as_pg(argv):
    if os.geteuid() == 0:
        return ['runuser', '-u', 'postgres', '--'] + argv
    return argv


def start_postgres(top, port, user, dbname, password, logf):
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError('PostgreSQL server binaries not found (postgresql-15)')
    data, sock = os.path.join(top, 'pg', 'data'), os.path.join(top, 'pg', 'run')
    os.makedirs(sock)
    if os.geteuid() == 0:
        shutil.chown(os.path.join(top, 'pg'), 'postgres')
        shutil.chown(sock, 'postgres')
    subprocess.run(as_pg([os.path.join(bindir, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust',
                          '-E', 'UTF8', '--no-locale']), check=True, stdout=logf, stderr=logf)
    opts = f'-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off'
    subprocess.run(as_pg([os.path.join(bindir, 'pg_ctl'), '-D', data, '-l', os.path.join(sock, 'pg.log'),
                          '-o', opts, '-w', '-t', '60', 'start']), check=True, stdout=logf, stderr=logf)
    psql = [os.path.join(bindir, 'psql'), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1',
            '-p', str(port), '-U', 'postgres', '-d', 'postgres']
    pw = password.replace("'", "''")
    subprocess.run(psql + ['-c', f'CREATE ROLE "{user}" LOGIN PASSWORD \'{pw}\''], check=True,
                   stdout=logf, stderr=logf)
    subprocess.run(psql + ['-c', f'CREATE DATABASE "{dbname}" OWNER "{user}"'], check=True,
                   stdout=logf, stderr=logf)
    return lambda: subprocess.run(as_pg([os.path.join(bindir, 'pg_ctl'), '-D', data, '-m', 'fast',
                                         '-w', '-t', '30', 'stop']), stdout=logf, stderr=logf)


def start_redis(port, logf, password=None):
    """The dev Redis StatefulSet's role: requirepass from the overlay's Secret, as the pod has it."""
    exe = shutil.which('redis-server')
    if exe is None:
        raise RuntimeError('redis-server not found')
    conf = []
    if password:
        fd, path = tempfile.mkstemp(prefix='oi-redis-', suffix='.conf')
        with os.fdopen(fd, 'w') as f:
            f.write('requirepass %s\n' % password)
        conf = [path]
    p = subprocess.Popen([exe, *conf, '--bind', '127.0.0.1', '--port', str(port), '--save', '',
                          '--appendonly', 'no'], stdout=logf, stderr=logf)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), 0.5).close()
            return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError('redis-server did not start')


# ---- HTTP -------------------------------------------------------------------------------------

def http(method, url, body=None, token=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    if token:
        req.add_header('Authorization', f'Bearer {token}')
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, ValueError) as e:
        return None, str(e).encode()


def wait_for(url, timeout, proc):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f'exited with {proc.returncode} before {url} answered'
        st, _ = http('GET', url, timeout=2)
        if st == 200:
            return None
        last = st
        time.sleep(0.2)
    return f'{url} not 200 after {timeout}s (last: {last})'


# ---- the run --------------------------------------------------------------------------------

class Pod:
    def __init__(self, w, c, b, env):
        self.w, self.c, self.b, self.env = w, c, b, env
        self.proc = None
        self.log = None


def probe_url(net, pod, probe):
    hg = (pod.c.get(probe) or {}).get('httpGet') or {}
    port = pod.w.resolve_port(hg.get('port'))
    if port is None:
        return None
    return f'http://127.0.0.1:{net.port(port)}{hg.get("path", "/")}'


def start_pod(pod, entry, prefix, top):
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'ONEINBOX_PREFIX': prefix}
    env.update({k: v for k, v in pod.env.items() if v is not None})
    argv = ['/bin/sh', entry] + [str(a) for a in (pod.c.get('args') or [])]
    if pod.c.get('command'):
        argv = [str(a) for a in pod.c['command']] + [str(a) for a in (pod.c.get('args') or [])]
    if os.geteuid() == 0:
        argv = ['setpriv', f'--reuid={APP_UID}', f'--regid={APP_UID}', '--clear-groups', '--'] + argv
    pod.log = open(os.path.join(top, 'logs', pod.w.name + '.log'), 'wb')
    pod.proc = subprocess.Popen(argv, env=env, cwd=prefix, stdout=pod.log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def run_migration_job(res, model, binaries, net, entry, prefix, top, timeout):
    """The Job oi-migrate's containers, each to completion (exit 0), before any service: on an
    empty database, as on a first install."""
    job = model.objects('Job').get('oi-migrate')
    if job is None:
        res.check('Job oi-migrate runs to completion', ['no Job oi-migrate in the overlay'])
        return
    w = k8s_model.Workload('Job', 'oi-migrate', job)
    p = []
    for _, c, b in checks.our_containers_of(w, binaries):
        env, _ = model.env_of(c)
        pod = Pod(w, c, b, {n: net.value(n, e.value, prefix) for n, e in env.items()})
        pod.w = k8s_model.Workload('Job', 'oi-migrate-' + b.name, job)  # one log per container
        start_pod(pod, entry, prefix, top)
        try:
            rc = pod.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pod.proc.kill()
            rc = 'timeout'
        if rc != 0:
            p.append(f'{b.name} ended with {rc} (log: {pod.log.name})')
        pod.log.close()
    res.check('Job oi-migrate: every container migrates and exits 0', p)


def end_to_end(res, net, pods, model):
    gw = pods.get('oi-gateway')
    if gw is None:
        res.check('end to end', ['no oi-gateway in the overlay'])
        return
    base = f'http://127.0.0.1:{net.port(gw.w.named_ports().get("http"))}'
    admin, internal = gw.env.get('OI_ADMIN_TOKEN'), gw.env.get('OI_INTERNAL_TOKEN')
    st, body = http('POST', base + '/v1/api-keys', {'name': 'smoke', 'workspace': 'smoke-dev'}, admin)
    key = None
    if st == 201:
        key = json.loads(body).get('key')
    res.check('API: admin token creates an API key (gateway, PostgreSQL, migrations)',
              [] if key else [f'POST /v1/api-keys -> {st} {body[:300]!r}'])
    if not key:
        return
    st, body = http('POST', base + '/v1/agents', {'name': 'smoke-agent'}, key)
    res.check('API: create an agent (gateway -> oi-dispatch -> PostgreSQL)',
              [] if st == 201 else [f'POST /v1/agents -> {st} {body[:300]!r}'])
    st, body = http('GET', base + '/v1/phone-numbers/search?country=US&area_code=212&limit=2', token=key,
                    timeout=30)
    try:
        found = json.loads(body) if st == 200 else None
    except ValueError:
        found = None
    p = [] if isinstance(found, list) and found else [f'GET /v1/phone-numbers/search -> {st} {body[:300]!r}']
    res.check('API: number search (gateway -> oi-provisioning -> oi-carrier -> oi-carrier-sim)', p)
    st, body = http('GET', base + '/v1/routing/resolve?to=%2B12125550100&from=%2B14155550100', token=internal)
    res.check('API: routing resolve with the internal token (oi-dispatch + Redis): 404 for an unknown number',
              [] if st == 404 else [f'GET /v1/routing/resolve -> {st} {body[:300]!r}'])


def check_metrics(res, net, pods):
    """After the calls every service with an ops port exposes Prometheus families."""
    p = []
    for name, pod in pods.items():
        ops = pod.w.named_ports().get('ops')
        if ops is None:
            continue
        st, body = http('GET', f'http://127.0.0.1:{net.port(ops)}/metrics')
        if st != 200 or not SAMPLE.search(body.decode('utf-8', 'replace')):
            p.append(f'{name}: /metrics -> {st}, {len(body)} bytes without a sample line')
    res.check('Prometheus samples on /metrics of every ops port after the calls', p)


def stop_pods(res, pods):
    for name, pod in pods.items():
        if pod.proc is None or pod.proc.poll() is not None:
            res.check(f'{name}: still running before SIGTERM',
                      [f'exited early with {pod.proc.returncode if pod.proc else "?"}'])
            continue
        grace_ms = int(pod.env.get('OI_SHUTDOWN_GRACE_MS') or pod.b.default('OI_SHUTDOWN_GRACE_MS') or 10000)
        tgps = pod.w.pod_spec.get('terminationGracePeriodSeconds', 30)
        t0 = time.monotonic()
        pod.proc.send_signal(signal.SIGTERM)
        try:
            rc = pod.proc.wait(timeout=grace_ms / 1000 + 2)
            took = time.monotonic() - t0
            p = [] if rc == 0 else [f'exit status {rc}']
            if took >= tgps:
                p.append(f'took {took:.1f}s >= terminationGracePeriodSeconds {tgps}')
            res.check(f'{name}: SIGTERM -> exit 0 in {took:.1f}s (grace {grace_ms} ms)', p)
        except subprocess.TimeoutExpired:
            res.check(f'{name}: SIGTERM -> exit 0', [f'still running after {grace_ms} ms + 2 s'])


def kill_all(pods):
    for pod in pods.values():
        if pod.proc is not None and pod.proc.poll() is None:
            try:
                os.killpg(pod.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            pod.proc.wait()
        if pod.log:
            pod.log.close()


def run(args, res, top):
    kubectl = args.kubectl or k8s_model.find_kubectl()
    if kubectl is None:
        print('smoke_dev: kubectl not found (Debian: apt-get install kubernetes-client): skipped')
        return
    docs = k8s_model.render(kubectl, os.path.join(ROOT, 'deploy', 'k8s', 'overlays', 'dev'))
    model = k8s_model.Model(docs)
    binaries = oi_sources.load_binaries(ROOT)
    net = Net(model, args.port_offset)
    busy = sorted(net.port(p) for p in net.ports if not port_free(net.port(p)))
    if not res.check(f'loopback ports free (offset {args.port_offset})', [f'port {p} in use' for p in busy]):
        return

    prefix, entry, missing = lay_out_image(args.build_dir, top)
    if not res.check(f'image layout from {args.build_dir}', [f'{m} missing (use --build)' for m in missing]):
        return
    os.makedirs(os.path.join(top, 'logs'))
    os.chmod(os.path.join(top, 'logs'), 0o777)

    pods = {}
    for w, c, b in checks.our_containers(model, binaries):
        env, _ = model.env_of(c)
        pods[w.name] = Pod(w, c, b, {n: net.value(n, e.value, prefix) for n, e in env.items()})

    storelog = open(os.path.join(top, 'logs', 'stores.log'), 'wb')
    stops = []
    try:
        conninfo = next((p.env['OI_PG_CONNINFO'] for p in pods.values() if p.env.get('OI_PG_CONNINFO')), '')
        kv = dict(re.findall(r'(\w+)=(\S+)', conninfo))
        stops.append(start_postgres(top, int(kv.get('port', 5432)), kv.get('user', 'oneinbox'),
                                    kv.get('dbname', 'oneinbox'), kv.get('password', ''), storelog))
        redis_port = next((int(p.env['OI_REDIS_PORT']) for p in pods.values() if p.env.get('OI_REDIS_PORT')), None)
        if redis_port:
            password = next((p.env['OI_REDIS_PASSWORD'] for p in pods.values() if p.env.get('OI_REDIS_PASSWORD')), None)
            r = start_redis(redis_port, storelog, password)
            stops.append(lambda: (r.terminate(), r.wait()))
        res.check('PostgreSQL and Redis started on the rewritten Service addresses', [])
        run_migration_job(res, model, binaries, net, entry, prefix, top, args.timeout)

        order = ['oi-carrier-sim', 'oi-carrier', 'oi-dispatch', 'oi-provisioning', 'oi-gateway']
        pods = {n: pods[n] for n in sorted(pods, key=lambda n: order.index(n) if n in order else len(order))}
        for pod in pods.values():
            start_pod(pod, entry, prefix, top)
        for name, pod in pods.items():
            p = []
            for probe in ('startupProbe', 'livenessProbe', 'readinessProbe'):
                url = probe_url(net, pod, probe)
                if url is None:
                    if probe != 'startupProbe':
                        p.append(f'no httpGet {probe}')
                    continue
                why = wait_for(url, args.timeout, pod.proc)
                if why:
                    p.append(f'{probe}: {why}')
            ops = pod.w.named_ports().get('ops')
            if ops is not None:
                st, _ = http('GET', f'http://127.0.0.1:{net.port(ops)}/metrics')
                if st != 200:
                    p.append(f'/metrics on ops -> {st}')
            who = f'uid {APP_UID}' if os.geteuid() == 0 else 'current user'
            res.check(f'{name}: starts from the manifests ({who}); probes 200' +
                      (', /metrics served' if ops is not None else ''), p)
            if p:
                print(f'     log: {pod.log.name}')
        end_to_end(res, net, pods, model)
        check_metrics(res, net, pods)
        stop_pods(res, dict(reversed(list(pods.items()))))  # clients first
    finally:
        kill_all(pods)
        for stop in reversed(stops):
            stop()
        storelog.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', action='store_true', help='build the binaries like the Dockerfile first')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build-k8s'))
    ap.add_argument('--port-offset', type=int, default=20000)
    ap.add_argument('--timeout', type=float, default=60, help='seconds for each probe to answer')
    ap.add_argument('--kubectl')
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory (logs)')
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)

    res = Results()
    if args.build:
        try:
            build(args.build_dir)
        except (OSError, subprocess.CalledProcessError) as e:
            res.check('Release build like the Dockerfile', [str(e)])
            print(f'{res.passed} passed, {res.failed} failed')
            return 1
    top = tempfile.mkdtemp(prefix='oi-smoke-dev-')
    os.chmod(top, 0o755)
    try:
        run(args, res, top)
    except (OSError, RuntimeError, subprocess.CalledProcessError, k8s_model.RenderError) as e:
        res.check('smoke run', [f'{type(e).__name__}: {e}'])
    finally:
        if args.keep or res.failed:
            print(f'smoke_dev: logs kept in {top}/logs')
        else:
            shutil.rmtree(top, ignore_errors=True)
    print(f'{res.passed} passed, {res.failed} failed')
    return 1 if res.failed else 0


if __name__ == '__main__':
    sys.exit(main())
