#!/usr/bin/env python3
"""Runs the dev overlay's containers on this machine: proves the rendered configuration actually
starts the binaries, wires them together and serves the public API end to end.

  /usr/bin/python3 tests/deploy/smoke_dev.py [--build] [--build-dir DIR] [--port-offset N] [--keep]
  /usr/bin/python3 tests/deploy/smoke_dev.py --image oneinbox:dev [--stores-image oneinbox-stores:dev]
                                             [--sip-image oneinbox-sip:dev]

1. `kubectl kustomize deploy/k8s/overlays/dev`; takes every container that runs one of the
   suite's binaries, with its environment exactly as the kubelet would give it (ConfigMaps and
   the dev Secrets included).
2. Without --image: lays out the image's /opt/oneinbox (bin/ + services/*/migrations, as
   deploy/docker/Dockerfile does) in a temporary directory from a Release build (--build makes
   one the way the Dockerfile's builder stage does, in --build-dir, default build-k8s).
   With --image: runs the built image itself (make image) with podman or docker, each container
   as the manifests do (uid 10001, read-only root filesystem, /tmp its only writable place,
   capabilities dropped), PostgreSQL and Redis as containers of the stores image (runners.py).
3. Rewrites only what a pod network gives for free: every Service name becomes 127.0.0.1 and
   every container/Service port p becomes p + offset (default 20000, which keeps them below
   the ephemeral range, 32768+), so nothing collides with other stacks or outgoing
   connections; migrations point at the copied layout.
4. Starts PostgreSQL and Redis on private ports (the dev StatefulSets' role), runs the Job
   oi-migrate's containers to completion, then each service through the image's entrypoint
   with its `args`, as uid/gid 10001 (when root).
5. Checks: readiness and liveness probes answer 200 on the probe port, /metrics on the ops port;
   end to end through the gateway's API port: admin creates an API key (gateway + PostgreSQL),
   an agent (dispatch); a number search and a purchase (provisioning -> carrier -> simulator
   with the dev carrier credentials); a brought number registered, resolved with the internal
   token (dispatch + Redis), its routing PATCHed and resolved again, then both numbers
   DELETEd and resolving 404; with --image, the SIP edge runs from --sip-image too
   (smoke_edge.py): its probes, OPTIONS 200, an unknown number 404 and a call to the
   registered number reaching its agent at a UA of the test; every preStop hook's command runs
   in its container; then SIGTERM makes every service exit 0 within OI_SHUTDOWN_GRACE_MS.
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
import threading
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
SAMPLE = re.compile(r'^[A-Za-z_:][A-Za-z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$', re.M)

try:
    import checks  # noqa: E402
    import k8s_model  # noqa: E402
    import oi_sources  # noqa: E402
    import runners  # noqa: E402
    import smoke_edge  # noqa: E402
    from runners import APP_UID, IMAGE_PREFIX  # noqa: E402
    from smoke_edge import NAME as NAME_EDGE, sipua  # noqa: E402
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


def start_pod(pod, runner, top):
    pod.log = open(os.path.join(top, 'logs', pod.w.name + '.log'), 'wb')
    env = {k: v for k, v in pod.env.items() if v is not None}
    pod.proc = runner.start(pod.w.name, env, pod.c, pod.log)


def run_migration_job(res, model, binaries, net, runner, top, timeout):
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
        pod = Pod(w, c, b, {n: net.value(n, e.value, runner.prefix) for n, e in env.items()})
        pod.w = k8s_model.Workload('Job', 'oi-migrate-' + b.name, job)  # one log per container
        start_pod(pod, runner, top)
        try:
            rc = pod.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            runner.kill(pod.w.name, pod.proc)
            rc = 'timeout'
        if rc != 0:
            p.append(f'{b.name} ended with {rc} (log: {pod.log.name})')
        pod.log.close()
    res.check('Job oi-migrate: every container migrates and exits 0', p)


def end_to_end(res, net, pods, model, edge=None):
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
    agent = json.loads(body).get('id') if st == 201 else None
    res.check('API: create an agent (gateway -> oi-dispatch -> PostgreSQL)',
              [] if agent else [f'POST /v1/agents -> {st} {body[:300]!r}'])
    if not agent:
        return
    st, body = http('GET', base + '/v1/phone-numbers/search?country=US&area_code=212&limit=2', token=key,
                    timeout=30)
    found = as_json(body) if st == 200 else None
    p = [] if isinstance(found, list) and found else [f'GET /v1/phone-numbers/search -> {st} {body[:300]!r}']
    res.check('API: number search (gateway -> oi-provisioning -> oi-carrier -> oi-carrier-sim)', p)
    st, body = http('GET', base + '/v1/routing/resolve?to=%2B12125550100&from=%2B14155550100', token=internal)
    res.check('API: routing resolve with the internal token (oi-dispatch + Redis): 404 for an unknown number',
              [] if st == 404 else [f'GET /v1/routing/resolve -> {st} {body[:300]!r}'])
    registered = register_and_route(res, base, key, internal, agent)
    if edge and registered:
        smoke_edge.check_calls(res, edge.addr, edge.agent, registered)
    numbers = [n for n in (registered, purchase(res, base, key, agent)) if n]
    for n in numbers:
        st, body = http('DELETE', f'{base}/v1/phone-numbers/{n["id"]}', token=key, timeout=30)
        p = [] if st == 204 else [f'DELETE -> {st} {body[:300]!r}']
        if not p:
            st, body = resolve(base, internal, n['phone_number'])
            if st != 404:
                p.append(f'resolve after DELETE -> {st} {body[:200]!r}')
        res.check(f'API: DELETE {n["phone_number"]} (204); resolve answers 404 at once', p)


def as_json(body):
    try:
        return json.loads(body)
    except ValueError:
        return None


def resolve(base, internal, number):
    q = urllib.parse.quote(number, safe='')
    return http('GET', f'{base}/v1/routing/resolve?to={q}&from=%2B14155550100', token=internal)


def register_and_route(res, base, key, internal, agent):
    """A brought number: register (201), resolve to its agent, PATCH its routing to a second
    agent, resolve to that one; the number, or None."""
    phone = '+1646%07d' % (os.getpid() % 10000000)
    body = {'phone_number': phone, 'provider': 'twilio', 'agent_id': agent,
            'provider_config': {'trunk_address': 'smoke.pstn.twilio.com', 'auth_username': 'smoke',
                                'auth_password': 'smoke-%d' % os.getpid()},
            'inbound_routing': {'agent_id': agent, 'voicemail_message': 'Please leave a message.'}}
    st, raw = http('POST', base + '/v1/phone-numbers', body, key, timeout=30)
    n = as_json(raw) if st == 201 else None
    if not res.check('API: register a brought number (gateway -> oi-provisioning -> oi-dispatch)',
                     [] if n else [f'POST /v1/phone-numbers -> {st} {raw[:300]!r}']):
        return None
    st, raw = resolve(base, internal, phone)
    got = as_json(raw) if st == 200 else None
    res.check('API: resolve the registered number to its agent',
              [] if got and got.get('agent_id') == agent else [f'resolve -> {st} {raw[:300]!r}'])
    st, raw = http('POST', base + '/v1/agents', {'name': 'smoke-second'}, key)
    second = (as_json(raw) or {}).get('id') if st == 201 else None
    st, raw = http('PATCH', f'{base}/v1/phone-numbers/{n["id"]}', {'inbound_routing': {'agent_id': second}},
                   key, timeout=30)
    p = [] if st == 200 and (as_json(raw) or {}).get('inbound_routing', {}).get('agent_id') == second \
        else [f'PATCH -> {st} {raw[:300]!r}']
    if not p:
        st, raw = resolve(base, internal, phone)
        if st != 200 or (as_json(raw) or {}).get('agent_id') != second:
            p.append(f'resolve after PATCH -> {st} {raw[:300]!r}')
    res.check('API: PATCH the routing; the next resolve answers the new agent', p)
    return n


def purchase(res, base, key, agent):
    """A number bought through the simulator (201, or 202 and its job followed to the end)."""
    body = {'country': 'US', 'area_code': '415', 'agent_id': agent, 'inbound_routing': {'agent_id': agent}}
    st, raw = http('POST', base + '/v1/phone-numbers/purchase', body, key, timeout=60)
    got = as_json(raw) or {}
    deadline = time.monotonic() + 60
    while st == 202 and got.get('job_id') and time.monotonic() < deadline:
        time.sleep(0.5)
        jst, jraw = http('GET', f'{base}/v1/jobs/{got["job_id"]}', token=key)
        job = as_json(jraw) or {}
        if job.get('status') in ('succeeded', 'failed', 'cancelled'):
            st, got = (201, job.get('result') or {}) if job.get('status') == 'succeeded' else (jst, job)
    n = got if st == 201 and got.get('id') else None
    res.check('API: purchase through the carrier simulator (oi-provisioning -> oi-carrier -> oi-carrier-sim)',
              [] if n else [f'POST /v1/phone-numbers/purchase -> {st} {str(got)[:300]}'])
    return n


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


def check_hooks(res, runner, pods):
    """Every preStop exec hook's command exists in the image and runs there (exit 0)."""
    hooks = {}
    for name, pod in pods.items():
        cmd = (((pod.c.get('lifecycle') or {}).get('preStop') or {}).get('exec') or {}).get('command')
        if cmd:
            hooks[name] = [str(a) for a in cmd]
    if not hooks or runner.kind != 'containers':
        return
    rcs = {}

    def one(name):
        try:
            rcs[name] = runner.exec_in(name, hooks[name])
        except subprocess.TimeoutExpired:
            rcs[name] = 'timeout'
    threads = [threading.Thread(target=one, args=(n,)) for n in hooks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res.check('preStop hooks run in their containers (' + ', '.join(sorted(hooks)) + ')',
              [f'{n}: {hooks[n]} -> {rc}' for n, rc in sorted(rcs.items()) if rc != 0])


def kill_all(runner, pods):
    for pod in pods.values():
        if pod.proc is not None:
            runner.kill(pod.w.name, pod.proc)
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

    runner = (runners.ContainerRunner(args.image, args.stores_image, top, args.sip_image or None) if args.image
              else runners.ProcessRunner(args.build_dir, top))
    if not res.check(runner.what(), runner.prepare()):
        return
    os.makedirs(os.path.join(top, 'logs'))
    os.chmod(os.path.join(top, 'logs'), 0o777)
    try:
        run_pods(args, res, top, model, binaries, net, runner)
    finally:
        if hasattr(runner, 'cleanup'):
            runner.cleanup()


def check_probes(res, args, net, name, pod):
    """Each httpGet probe answers 200 (in order: startup, liveness, readiness), /metrics on ops."""
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


class Edge:
    def __init__(self, pod, addr, agent):
        self.pod, self.addr, self.agent = pod, addr, agent


def start_edge(res, args, runner, model, net, top):
    """The SIP edge from its image (the container run only), with a UA of the test as its agent
    endpoint (smoke_edge.py); None when not run."""
    w, c = smoke_edge.find(model)
    if w is None or not runner.sip:
        return None
    agent = sipua.Endpoint()
    pod = Pod(w, c, None, smoke_edge.env_for_run(model, net, c, agent.port))
    pod.log = open(os.path.join(top, 'logs', w.name + '.log'), 'wb')
    writable = [m['mountPath'] for m in c.get('volumeMounts', []) or []]
    pod.proc = runner.start(w.name, pod.env, c, pod.log, image=runner.sip, writable=writable)
    check_probes(res, args, net, w.name, pod)
    return Edge(pod, smoke_edge.sip_address(net, c), agent)


def stop_edge(res, edge):
    """SIGTERM: Kamailio (edge.sh's exec) ends its transactions and exits 0."""
    proc = edge.pod.proc
    if proc.poll() is not None:
        res.check(f'{NAME_EDGE}: still running before SIGTERM', [f'exited early with {proc.returncode}'])
        return
    tgps = edge.pod.w.pod_spec.get('terminationGracePeriodSeconds', 30)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=tgps)
        took = time.monotonic() - t0
        res.check(f'{NAME_EDGE}: SIGTERM -> exit 0 in {took:.1f}s', [] if rc == 0 else [f'exit status {rc}'])
    except subprocess.TimeoutExpired:
        res.check(f'{NAME_EDGE}: SIGTERM -> exit 0', [f'still running after {tgps} s'])


def run_pods(args, res, top, model, binaries, net, runner):
    pods = {}
    edge = None
    for w, c, b in checks.our_containers(model, binaries):
        env, _ = model.env_of(c)
        pods[w.name] = Pod(w, c, b, {n: net.value(n, e.value, runner.prefix) for n, e in env.items()})

    storelog = open(os.path.join(top, 'logs', 'stores.log'), 'wb')
    stops = []
    try:
        conninfo = next((p.env['OI_PG_CONNINFO'] for p in pods.values() if p.env.get('OI_PG_CONNINFO')), '')
        kv = dict(re.findall(r'(\w+)=(\S+)', conninfo))
        stops.append(runner.start_postgres(int(kv.get('port', 5432)), kv.get('user', 'oneinbox'),
                                           kv.get('dbname', 'oneinbox'), kv.get('password', ''), storelog))
        redis_port = next((int(p.env['OI_REDIS_PORT']) for p in pods.values() if p.env.get('OI_REDIS_PORT')), None)
        if redis_port:
            password = next((p.env['OI_REDIS_PASSWORD'] for p in pods.values() if p.env.get('OI_REDIS_PASSWORD')), None)
            stops.append(runner.start_redis(redis_port, storelog, password))
        res.check('PostgreSQL and Redis started on the rewritten Service addresses', [])
        run_migration_job(res, model, binaries, net, runner, top, args.timeout)

        order = ['oi-carrier-sim', 'oi-carrier', 'oi-dispatch', 'oi-provisioning', 'oi-gateway']
        pods = {n: pods[n] for n in sorted(pods, key=lambda n: order.index(n) if n in order else len(order))}
        for pod in pods.values():
            start_pod(pod, runner, top)
        for name, pod in pods.items():
            check_probes(res, args, net, name, pod)
        edge = start_edge(res, args, runner, model, net, top)
        end_to_end(res, net, pods, model, edge)
        check_metrics(res, net, pods)
        check_hooks(res, runner, dict(pods, **({edge.pod.w.name: edge.pod} if edge else {})))
        if edge:
            stop_edge(res, edge)
        stop_pods(res, dict(reversed(list(pods.items()))))  # clients first
    finally:
        if edge:
            kill_all(runner, {NAME_EDGE: edge.pod})
            edge.agent.close()
        kill_all(runner, pods)
        for stop in reversed(stops):
            stop()
        storelog.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', action='store_true', help='build the binaries like the Dockerfile first')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build-k8s'))
    ap.add_argument('--image', help='run this image (make image) with podman or docker instead of a build')
    ap.add_argument('--stores-image', default='oneinbox-stores:dev',
                    help='with --image: the PostgreSQL and Redis image (default oneinbox-stores:dev)')
    ap.add_argument('--sip-image', default='oneinbox-sip:dev',
                    help='with --image: the SIP edge image (default oneinbox-sip:dev; "" leaves the edge out)')
    ap.add_argument('--port-offset', type=int, default=20000)
    ap.add_argument('--timeout', type=float, default=60, help='seconds for each probe to answer')
    ap.add_argument('--kubectl')
    ap.add_argument('--keep', action='store_true', help='keep the temporary directory (logs)')
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)

    res = Results()
    if args.build:
        try:
            runners.build(args.build_dir)
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
