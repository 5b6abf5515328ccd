"""The checks run on one rendered overlay. Each check adds one result: a name, pass/fail and
the reasons. Variable names, defaults and port roles come from oi_sources (the C sources)."""

import re
from urllib.parse import urlsplit

from k8s_model import in_cluster_host

IMAGE_PREFIX = '/opt/oneinbox/'
# ports a binary listens on (docs/WIRING.md) and the host variable that goes with each
LISTEN_PORT_VARS = {'OI_OPS_PORT': 'OI_OPS_HOST', 'OI_HTTP_PORT': 'OI_HTTP_HOST', 'OI_SIM_PORT': 'OI_SIM_HOST'}
ANY_ADDRESS = {'0.0.0.0', '::', '*', '[::]'}
SECRET_NAME = re.compile(r'(^OI_SECRET_KEY$|^OI_PG_CONNINFO$|TOKEN$|PASSWORD$|API_KEY$|ACCOUNT_SID$)')
PG_DEFAULT_PORT = 5432


class Report:
    def __init__(self, scope):
        self.scope = scope
        self.results = []   # (scope, name, ok, [reasons])
        self.notes = []

    def add(self, name, problems):
        self.results.append((self.scope, name, not problems, list(problems)))

    def note(self, text):
        self.notes.append(f'[{self.scope}] {text}')


def our_containers(model, binaries):
    """(workload, container, binary) for every container that runs one of the suite's binaries."""
    out = []
    for w in model.workloads:
        for c in w.containers():
            argv = list(c.get('command') or []) + list(c.get('args') or [])
            names = [a.rsplit('/', 1)[-1] for a in argv]
            b = next((binaries[n] for n in names if n in binaries), None)
            if b is not None:
                out.append((w, c, b))
    return out


def effective(env, binary, name):
    """The value a binary sees for name: the manifest's, else the source default."""
    if name in env:
        return env[name].value
    d = binary.default(name)
    return None if d is None else str(d)


def parse_tcp(ep):
    m = re.fullmatch(r'tcp://(\[[^\]]+\]|[^:/]+):(\d+)', ep.strip())
    return (m.group(1), int(m.group(2))) if m else None


def listen_ports(env, binary):
    """{port: variable} for every port the binary listens on, from its env or defaults."""
    ports, problems = {}, []
    for var in LISTEN_PORT_VARS:
        if binary.reads(var):
            v = effective(env, binary, var)
            if v is None or not v.isdigit():
                problems.append(f'{var}={v!r} is not a port number')
            elif int(v) > 0:
                ports[int(v)] = var
    for var in sorted(v for v in binary.vars if v.endswith('_BIND')):
        v = effective(env, binary, var)
        hp = parse_tcp(v or '')
        if hp is None:
            problems.append(f'{var}={v!r} is not tcp://HOST:PORT')
        else:
            ports[hp[1]] = var
    return ports, problems


def check_container(rep, model, w, c, b, root, mig_dir, image_ref):
    tag = f'{w.kind}/{w.name}'
    env, env_problems = model.env_of(c)

    # binary, names and image
    p = []
    if c.get('name') != b.name or w.name != b.name:
        p.append(f'workload {w.name} / container {c.get("name")} run {b.name}: names should match')
    if c.get('image') != image_ref:
        p.append(f'image {c.get("image")} differs from the others ({image_ref}): one image for all')
    rep.add(f'{tag}: runs {b.name} from the shared image', p)

    # every variable set is read by the binary; required ones are set
    unknown = sorted(n for n in env if not b.reads(n))
    rep.add(f'{tag}: every env var is read by {b.name}',
            env_problems + [f'{n} ({env[n].source}) is not read by {b.name}' for n in unknown])
    p = []
    for n, e in sorted(env.items()):
        why = b.vars[n].invalid(e.value) if n in b.vars else None
        if why:
            p.append(f'{n}: {why}: {b.name} refuses to start')
    rep.add(f'{tag}: int/bool values within what {b.name} accepts', p)
    missing = sorted(v.name for v in b.vars.values() if v.required and v.name not in env)
    rep.add(f'{tag}: required variables set', [f'{n} is required by {b.name} and not set' for n in missing])
    check_rpc_identity(rep, tag, b, env)

    # secrets only through secretKeyRef
    p = [f'{n} comes from {e.source} ({e.ref or "inline"}): secrets must be a secretKeyRef'
         for n, e in sorted(env.items()) if SECRET_NAME.search(n) and not e.ref.startswith('secret ')]
    rep.add(f'{tag}: secrets come from Secrets', p)

    # ports: exactly the listening ones, bound to all addresses
    ports, p = listen_ports(env, b)
    declared = w.container_ports()
    p += [f'containerPort {n} is not a port {b.name} listens on ({sorted(ports)})' for n in sorted(declared - set(ports))]
    p += [f'{var} port {n} is not declared as a containerPort' for n, var in sorted(ports.items()) if n not in declared]
    for var, host_var in LISTEN_PORT_VARS.items():
        if b.reads(var) and b.reads(host_var) and effective(env, b, var) not in (None, '0'):
            h = effective(env, b, host_var)
            if h not in ANY_ADDRESS:
                p.append(f'{host_var}={h!r}: kubelet and other pods cannot reach {var} (use 0.0.0.0)')
    for var in (v for v in b.vars if v.endswith('_BIND')):
        hp = parse_tcp(effective(env, b, var) or '')
        if hp and hp[0] not in ANY_ADDRESS:
            p.append(f'{var} binds {hp[0]}: other pods cannot reach it (use tcp://0.0.0.0:PORT)')
    rep.add(f'{tag}: container ports match what {b.name} listens on', p)

    check_probes(rep, tag, w, c, b, env)

    # migrations shipped in the image and pointed at
    if mig_dir and b.reads('OI_MIGRATIONS_DIR'):
        want = IMAGE_PREFIX + mig_dir
        got = effective(env, b, 'OI_MIGRATIONS_DIR')
        rep.add(f'{tag}: OI_MIGRATIONS_DIR points at the image copy',
                [] if got == want else [f'OI_MIGRATIONS_DIR={got!r}, expected {want!r}'])

    # graceful shutdown fits in the termination grace period
    grace_ms = effective(env, b, 'OI_SHUTDOWN_GRACE_MS')
    tgps = w.pod_spec.get('terminationGracePeriodSeconds', 30)
    pre = prestop_seconds(c)
    p = []
    if grace_ms is None or not grace_ms.isdigit():
        p.append(f'OI_SHUTDOWN_GRACE_MS={grace_ms!r} unknown')
    elif tgps * 1000 <= int(grace_ms) + pre * 1000:
        p.append(f'terminationGracePeriodSeconds {tgps}s <= OI_SHUTDOWN_GRACE_MS {grace_ms} ms + preStop {pre}s')
    rep.add(f'{tag}: termination grace > shutdown grace', p)

    check_security(rep, tag, w, c, strict=True)
    check_resources(rep, tag, c)
    return env


# the RPC plane's least privilege: a service calls with its own key pair, serves with its own
# server pair, and admits the keys listed for it alone (oi-rpc-curve: <service>-public-key,
# <service>-secret-key, <service>-server-secret-key, <service>-admits; a client expects
# <peer>-server-public-key), so one service's keys reach only what that service may call
RPC_IDENTITY = {'OI_RPC_CURVE_CLIENT_PUBLIC_KEY': '{s}-public-key', 'OI_RPC_CURVE_CLIENT_SECRET_KEY': '{s}-secret-key',
                'OI_RPC_CURVE_CLIENT_KEYS': '{s}-admits', 'OI_RPC_CURVE_SERVER_SECRET_KEY': '{s}-server-secret-key',
                'OI_RPC_CURVE_PROVISIONING_SERVER_KEY': 'provisioning-server-public-key',
                'OI_RPC_CURVE_DISPATCH_SERVER_KEY': 'dispatch-server-public-key',
                'OI_RPC_CURVE_CARRIER_SERVER_KEY': 'carrier-server-public-key'}


def check_rpc_identity(rep, tag, b, env):
    short = b.name[3:] if b.name.startswith('oi-') else b.name
    p = []
    for var, pattern in RPC_IDENTITY.items():
        e = env.get(var)
        want = 'secret oi-rpc-curve/' + pattern.format(s=short)
        if e is not None and e.ref != want:
            p.append(f'{var} comes from {e.ref or e.source}, not {want}: a key shared between services')
    rep.add(f'{tag}: its own RPC identity and callers', p)


def prestop_seconds(c):
    cmd = (((c.get('lifecycle') or {}).get('preStop') or {}).get('exec') or {}).get('command') or []
    if len(cmd) == 2 and cmd[0].rsplit('/', 1)[-1] == 'sleep' and str(cmd[1]).isdigit():
        return int(cmd[1])
    return 0


def check_probes(rep, tag, w, c, b, env):
    p = []
    ops = effective(env, b, 'OI_OPS_PORT') if b.reads('OI_OPS_PORT') else None
    ports, _ = listen_ports(env, b)
    want = {'readinessProbe': '/readyz', 'livenessProbe': '/healthz', 'startupProbe': '/healthz'}
    if ops is None:  # no ops port (the simulator): /healthz on a port it serves HTTP on
        want = {'readinessProbe': '/healthz', 'livenessProbe': '/healthz', 'startupProbe': '/healthz'}
    for probe, path in want.items():
        pr = c.get(probe)
        if pr is None:
            if probe != 'startupProbe':
                p.append(f'no {probe}')
            continue
        hg = pr.get('httpGet')
        if not hg:
            p.append(f'{probe} is not an httpGet')
            continue
        port = w.resolve_port(hg.get('port'))
        if hg.get('path') != path:
            p.append(f'{probe} path {hg.get("path")} (expected {path})')
        if ops is not None and port != int(ops):
            p.append(f'{probe} port {hg.get("port")} -> {port}, but OI_OPS_PORT is {ops}')
        elif ops is None and port not in ports:
            p.append(f'{probe} port {hg.get("port")} -> {port}: {b.name} does not listen there')
    ann = w.annotations.get('prometheus.io/port')
    if ann is not None and ops is not None and str(ann) != str(ops):
        p.append(f'prometheus.io/port {ann} but /metrics is on OI_OPS_PORT {ops}')
    rep.add(f'{tag}: probes on the right port and path', p)


def check_security(rep, tag, w, c, strict):
    psc, sc = w.pod_spec.get('securityContext') or {}, c.get('securityContext') or {}
    p = []
    if not (sc.get('runAsNonRoot', psc.get('runAsNonRoot'))):
        p.append('runAsNonRoot is not true')
    if sc.get('runAsUser', psc.get('runAsUser')) == 0:
        p.append('runAsUser is 0')
    if sc.get('privileged'):
        p.append('privileged')
    if sc.get('allowPrivilegeEscalation') is not False:
        p.append('allowPrivilegeEscalation is not false')
    if sc.get('readOnlyRootFilesystem') is not True:
        p.append('readOnlyRootFilesystem is not true')
    if 'ALL' not in ((sc.get('capabilities') or {}).get('drop') or []):
        p.append('capabilities do not drop ALL')
    if strict and w.pod_spec.get('automountServiceAccountToken') is not False:
        p.append('automountServiceAccountToken is not false (the services never call the API server)')
    rep.add(f'{tag}: {c.get("name")} securityContext', p)


def check_resources(rep, tag, c):
    r = c.get('resources') or {}
    p = [f'no {kind}.{res}' for kind in ('requests', 'limits') for res in ('cpu', 'memory')
         if res not in (r.get(kind) or {})]
    rep.add(f'{tag}: {c.get("name")} resources', p)


def service_target(model, host, port):
    """(service, [(workload, target port number)]) for host:port, or a problem string."""
    svc = model.service_host(host)
    if svc is None:
        return None, f'no Service named {host}'
    sp = next((p for p in svc['spec'].get('ports', []) if p.get('port') == port), None)
    if sp is None:
        return None, f'Service {host} has no port {port}'
    pods = model.pods_selected(svc['spec'].get('selector'))
    if not pods:
        return None, f'Service {host} selects no pod'
    targets = []
    for w in pods:
        tp = w.resolve_port(sp.get('targetPort', port))
        if tp is None or tp not in w.container_ports():
            return None, f'Service {host}:{port} targetPort {sp.get("targetPort")} is not a port of {w.name}'
        targets.append((w, tp))
    return (svc, targets), None


def connections(env, b):
    """(variable, host, port, scheme) of every outbound address the env gives the binary.
    Values unknown to the manifests (external Secrets) yield host None."""
    out = []
    for n, e in sorted(env.items()):
        v = e.value
        if n.endswith('_ENDPOINTS'):
            for ep in (v or '').split(','):
                if ep.strip():
                    hp = parse_tcp(ep)
                    out.append((n, hp[0] if hp else ep, hp[1] if hp else None, 'tcp'))
        elif n == 'OI_PG_CONNINFO':
            if v is None:
                out.append((n, None, PG_DEFAULT_PORT, 'postgres'))
                continue
            kv = dict(re.findall(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", v))
            port = kv.get('port', str(PG_DEFAULT_PORT))
            out.append((n, kv.get('host'), int(port) if port.isdigit() else None, 'postgres'))
        elif v and re.match(r'https?://', v):
            u = urlsplit(v)
            try:
                port = u.port or (443 if u.scheme == 'https' else 80)
            except ValueError:
                port = None
            out.append((n, u.hostname, port, u.scheme))
    for n in env:  # HOST/PORT pairs of a client (e.g. OI_REDIS_HOST + OI_REDIS_PORT)
        if n.endswith('_HOST') and n not in LISTEN_PORT_VARS.values():
            pv = n[:-5] + '_PORT'
            host = env[n].value
            port = effective(env, b, pv)
            out.append((n, host, int(port) if port and port.isdigit() else None, 'tcp'))
    return out


def expected_binary(var, binaries):
    m = re.fullmatch(r'OI_([A-Z0-9_]+)_ENDPOINTS', var)
    if not m:
        return None
    name = 'oi-' + m.group(1).lower().replace('_', '-')
    return name if name in binaries else None


def check_connections(rep, model, pols, w, b, env, binaries):
    tag = f'{w.kind}/{w.name}'
    ep, np_ = [], []
    for var, host, port, scheme in connections(env, b):
        if host is None:  # from a Secret outside the manifests (prod): an external address
            rep.note(f'{tag}: {var} comes from an external Secret (address not checked here)')
            if port is not None and not pols.egress_allowed(w, None, port, outside=True):
                np_.append(f'{var}: egress to an external address on port {port} is not allowed')
            continue
        if port is None:
            ep.append(f'{var}: no valid port in {host}')
            continue
        if not in_cluster_host(host):
            if not pols.egress_allowed(w, None, port, outside=True):
                np_.append(f'{var}: egress to {host}:{port} outside the cluster is not allowed')
            continue
        found, why = service_target(model, host, port)
        if why:
            ep.append(f'{var}={host}:{port}: {why}')
            continue
        want = expected_binary(var, binaries)
        for dst, tp in found[1]:
            if dst is w:  # an address it advertises for itself (e.g. OI_SIM_PUBLIC_URL)
                continue
            theirs = our_containers_of(dst, binaries)
            runs = {bb.name for _, _, bb in theirs}
            if want and want not in runs:
                ep.append(f'{var} reaches {dst.name}, which does not run {want}')
            if var.endswith('_ENDPOINTS'):
                for _, dc, db in theirs:
                    dports, _ = listen_ports(model.env_of(dc)[0], db)
                    if not dports.get(tp, '').endswith('_BIND'):
                        ep.append(f'{var}={host}:{port} reaches {dst.name} port {tp}, '
                                  f'not its RPC bind ({dports.get(tp, "nothing")} listens there)')
            if not pols.egress_allowed(w, dst, tp):
                np_.append(f'{var}: egress {w.name} -> {dst.name}:{tp} denied')
            if not pols.ingress_allowed(w, dst, tp):
                np_.append(f'{var}: ingress {w.name} -> {dst.name}:{tp} denied')
    rep.add(f'{tag}: endpoint variables name existing Services and ports', ep)
    rep.add(f'{tag}: network policies allow its calls', np_)


def our_containers_of(w, binaries):
    out = []
    for c in w.containers():
        argv = list(c.get('command') or []) + list(c.get('args') or [])
        for a in argv:
            if a.rsplit('/', 1)[-1] in binaries:
                out.append((w, c, binaries[a.rsplit('/', 1)[-1]]))
                break
    return out
