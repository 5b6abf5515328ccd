"""Checks of the SIP edge (Deployment oi-sip-edge, image deploy/docker/Dockerfile.sip) in one
rendered overlay. The edge is Kamailio run by deploy/sip/edge.sh, not one of the C binaries, so
what it reads comes from edge.sh and kamailio.cfg, and its values are checked by running
`edge.sh --check` on them (the same checks it makes at start)."""

import os
import re
import subprocess

import checks
import k8s_model

NAME = 'oi-sip-edge'
SIP_DIR = os.path.join('deploy', 'sip')
DOCKERFILE = os.path.join('deploy', 'docker', 'Dockerfile.sip')
REQUIRED = ('OI_SIP_API_URL', 'OI_INTERNAL_TOKEN')
# Kubernetes-only helpers: only referenced as $(NAME) in another variable's value
EXPANSION = re.compile(r'\$\(([A-Za-z_][A-Za-z0-9_]*)\)')
LISTEN = re.compile(r'^(udp|tcp|tls):([^/]+):(\d+)(?:/([^:]+)(?::(\d+))?)?$')


def edge_vars(root):
    """Every OI_* variable edge.sh or kamailio.cfg reads."""
    names = set()
    for f in ('edge.sh', 'kamailio.cfg'):
        with open(os.path.join(root, SIP_DIR, f), encoding='utf-8') as fh:
            text = fh.read()
        names |= set(re.findall(r'\$\{(OI_[A-Z0-9_]+)', text)) | set(re.findall(r'\$env\((OI_[A-Z0-9_]+)\)', text))
        names |= set(re.findall(r'^#!defenvs? [A-Za-z0-9_]+=(OI_[A-Z0-9_]+)', text, re.M))
    return names


def expand(value, env):
    """value with $(NAME) references replaced as the kubelet does; a value known at run time only
    (the pod's IP from a fieldRef) stands as 10.0.0.1."""
    def one(m):
        if m.group(1) not in env:
            return m.group(0)
        v = env[m.group(1)].value
        return '10.0.0.1' if v is None and env[m.group(1)].ref.startswith('field') else (v or '')
    return EXPANSION.sub(one, value or '')


def find_edge(model):
    for w in model.workloads:
        if w.name == NAME:
            return w, w.containers()[0]
    return None, None


def check_env(rep, tag, env, root, gateway_token):
    reads = edge_vars(root)
    helpers = {n for e in env.values() for n in EXPANSION.findall(e.value or '')}
    p = [f'{n} is not read by edge.sh or kamailio.cfg' for n in sorted(env)
         if n not in reads and n not in helpers]
    p += [f'{n} is not set' for n in REQUIRED if n not in env]
    tok = env.get('OI_INTERNAL_TOKEN')
    if tok is not None and not tok.ref.startswith('secret '):
        p.append('OI_INTERNAL_TOKEN must come from a Secret')
    elif tok is not None and gateway_token is not None and tok.ref != gateway_token.ref:
        p.append(f'OI_INTERNAL_TOKEN ({tok.ref}) is not the gateway\'s ({gateway_token.ref})')
    rep.add(f'{tag}: variables are the edge\'s own, from the right sources', p)

    values = {n: expand(e.value, env) for n, e in env.items() if n.startswith('OI_')}
    values['OI_INTERNAL_TOKEN'] = values.get('OI_INTERNAL_TOKEN') or 'placeholder-internal-token'
    run = subprocess.run(['bash', os.path.join(root, SIP_DIR, 'edge.sh'), '--check'], capture_output=True,
                         text=True, env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'), **values}, timeout=60)
    out = (run.stdout + run.stderr).strip().splitlines()
    rep.add(f'{tag}: edge.sh --check accepts the values', [] if run.returncode == 0 else out[-3:])


def sip_ports(env):
    """{(proto, port)} the edge listens on for SIP, from OI_SIP_LISTEN."""
    out = set()
    for w in expand(env['OI_SIP_LISTEN'].value, env).split() if 'OI_SIP_LISTEN' in env else []:
        m = LISTEN.match(w)
        if m:
            out.add((m.group(1).upper().replace('TLS', 'TCP'), int(m.group(3))))
    return out


def declared_ports(c):
    return {(p.get('protocol', 'TCP'), p.get('containerPort')) for p in c.get('ports') or []}


def check_ports_and_probes(rep, tag, w, c, env):
    p = []
    listen = sip_ports(env)
    if not listen:
        p.append('OI_SIP_LISTEN names no SIP socket')
    p += [f'listens on {pr} {port} but declares no such container port' for pr, port in sorted(listen - declared_ports(c))]
    if not {pr for pr, _ in listen} >= {'UDP', 'TCP'}:
        p.append('SIP must be on both UDP and TCP')
    ops = env['OI_SIP_OPS_PORT'].value if 'OI_SIP_OPS_PORT' in env else '9500'
    if w.named_ports().get('ops') != int(ops):
        p.append(f'container port "ops" is not OI_SIP_OPS_PORT ({ops})')
    if (env['OI_SIP_OPS_HOST'].value if 'OI_SIP_OPS_HOST' in env else '127.0.0.1') not in checks.ANY_ADDRESS:
        p.append('OI_SIP_OPS_HOST must be 0.0.0.0: probes and scrapes come from outside the pod')
    want = {'startupProbe': '/healthz', 'livenessProbe': '/healthz', 'readinessProbe': '/readyz'}
    for probe, path in want.items():
        hg = (c.get(probe) or {}).get('httpGet')
        if not hg:
            p.append(f'no {probe} (httpGet)')
        elif hg.get('path') != path or w.resolve_port(hg.get('port')) != int(ops):
            p.append(f'{probe} is {hg.get("path")} on {hg.get("port")}, expected {path} on the ops port')
    if str(w.annotations.get('prometheus.io/port', ops)) != str(ops):
        p.append('prometheus.io/port is not the ops port (/metrics)')
    rep.add(f'{tag}: SIP sockets, ops port and probes agree', p)
    return listen, int(ops)


def check_service(rep, model, w, listen):
    p, found = [], False
    for sname, svc in sorted(model.objects('Service').items()):
        if w not in model.pods_selected(svc['spec'].get('selector')):
            continue
        found = True
        exposed = {(sp.get('protocol', 'TCP'), w.resolve_port(sp.get('targetPort', sp.get('port'))))
                   for sp in svc['spec'].get('ports', [])}
        p += [f'Service/{sname} does not expose {pr} {port}' for pr, port in sorted(listen - exposed)]
        if svc['spec'].get('type') in ('LoadBalancer', 'NodePort') and \
                svc['spec'].get('externalTrafficPolicy') != 'Local':
            p.append(f'Service/{sname}: externalTrafficPolicy is not Local: the edge would see node '
                     'addresses instead of the carriers\' and refuse every call')
    if not found:
        p.append('no Service selects the edge')
    rep.add(f'Service for {NAME}: SIP on UDP and TCP, sources preserved', p)


def check_reachability(rep, model, pols, w, env, listen, ops):
    p = []
    u = env.get('OI_SIP_API_URL')
    m = re.match(r'https?://([^:/]+)(?::(\d+))?', (u.value or '') if u else '')
    if not m:
        p.append('OI_SIP_API_URL is not an http(s) URL')
    else:
        port = int(m.group(2) or 80)
        target, why = checks.service_target(model, m.group(1), port)
        if why:
            p.append(f'OI_SIP_API_URL: {why}')
        else:
            for gw, tp in target[1]:
                if gw.name != 'oi-gateway':
                    p.append(f'OI_SIP_API_URL reaches {gw.name}, not oi-gateway')
                if not pols.egress_allowed(w, gw, tp):
                    p.append(f'egress to {gw.name}:{tp} denied')
                if not pols.ingress_allowed(w, gw, tp):
                    p.append(f'{gw.name}:{tp} does not admit the edge')
    anyns = {'any': 'namespace'}
    for pr, port in sorted(listen):
        if not pols.ingress_allowed(None, w, port, proto=pr, src_namespace_labels=anyns):
            p.append(f'SIP {pr} {port} is closed to the carriers (any source)')
        if not pols.egress_allowed(w, None, 5060, proto=pr, outside=True):
            p.append(f'SIP {pr} to agents and trunks (5060) is denied')
    if pols.ingress_allowed(None, w, ops, src_namespace_labels=anyns):
        p.append(f'the ops port {ops} is open to any namespace')
    if not pols.ingress_allowed(None, w, ops, src_namespace_labels={'kubernetes.io/metadata.name': 'monitoring'}):
        p.append(f'the ops port {ops} is closed to the monitoring namespace')
    rep.add(f'NetworkPolicy: {NAME} reaches the gateway, takes SIP from anywhere, ops kept in', p)


def check_ingress_uri(rep, model, env):
    """oi-carrier tells the carriers to send calls to OI_SIP_INGRESS_URI: it must be the edge."""
    car = next((w for w in model.workloads if w.name == 'oi-carrier'), None)
    if car is None:
        return
    cenv, _ = model.env_of(car.containers()[0])
    uri = cenv['OI_SIP_INGRESS_URI'].value if 'OI_SIP_INGRESS_URI' in cenv else None
    m = re.match(r'sips?:(?:[^@]+@)?([^:;>]+)(?::(\d+))?', uri or '')
    host = m.group(1) if m else None
    public = expand(env['OI_SIP_PUBLIC_HOST'].value, env) if 'OI_SIP_PUBLIC_HOST' in env else None
    svc = model.service_host(host) if host else None
    ok = host is not None and (host == public or (svc is not None and svc['metadata']['name'] == NAME))
    rep.add('oi-carrier\'s OI_SIP_INGRESS_URI is the SIP edge',
            [] if ok else [f'{uri!r} is neither OI_SIP_PUBLIC_HOST ({public}) nor the {NAME} Service'])


def check_sip_edge(rep, model, pols, root):
    w, c = find_edge(model)
    if w is None:
        rep.add(f'workload {NAME}', ['no Deployment runs the SIP edge'])
        return
    tag = f'{w.kind}/{w.name}'
    env, problems = model.env_of(c)
    rep.add(f'{tag}: configuration sources exist', problems)
    image = (c.get('image') or '').rsplit('/', 1)[-1].split(':')[0]
    rep.add(f'{tag}: runs the oneinbox-sip image', [] if image == 'oneinbox-sip' else [f'image {c.get("image")}'])
    gw = next((x for x in model.workloads if x.name == 'oi-gateway'), None)
    gw_env = model.env_of(gw.containers()[0])[0] if gw else {}
    check_env(rep, tag, env, root, gw_env.get('OI_INTERNAL_TOKEN'))
    listen, ops = check_ports_and_probes(rep, tag, w, c, env)
    check_service(rep, model, w, listen)
    check_reachability(rep, model, pols, w, env, listen, ops)
    check_ingress_uri(rep, model, env)
    pdbs = model.objects('PodDisruptionBudget').values()
    rep.add(f'PodDisruptionBudget for {NAME}',
            [] if any(k8s_model.selector_matches(b['spec'].get('selector'), w.labels) for b in pdbs) else ['none'])
    checks.check_resources(rep, tag, c)
    checks.check_security(rep, tag, w, c, strict=True)


def module_packages(modules):
    """{module: Debian package} for the modules dpkg knows (kamailio installed), else {}."""
    out = {}
    for mod in modules:
        r = subprocess.run(['dpkg-query', '-S', f'/kamailio/modules/{mod}.so'], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            out[mod] = r.stdout.split(':', 1)[0].strip()
    return out


def check_dockerfile(rep, root):
    p = []
    try:
        with open(os.path.join(root, DOCKERFILE), encoding='utf-8') as f:
            text = f.read()
        with open(os.path.join(root, SIP_DIR, 'kamailio.cfg'), encoding='utf-8') as f:
            modules = re.findall(r'^loadmodule "([a-z_0-9]+)\.so"', f.read(), re.M)
    except OSError as e:
        rep.add('Dockerfile.sip exists', [str(e)])
        return
    lines = [ln.strip() for ln in text.splitlines()]
    if not all('debian:12' in ln for ln in lines if ln.upper().startswith('FROM ')):
        p.append('not built on debian:12')
    installed = set(re.findall(r'\b(kamailio[a-z-]*)\b', text))
    pkgs = module_packages(modules)
    if not pkgs:
        rep.note('kamailio is not installed here: the image\'s packages were not matched to the modules')
    p += [f'module {m} needs package {pk}, which the image does not install' for m, pk in sorted(pkgs.items())
          if pk not in installed]
    if 'deploy/sip/' not in text or 'edge.sh' not in text:
        p.append('deploy/sip (edge.sh, kamailio.cfg) is not copied in and run')
    users = [ln.split(None, 1)[1] for ln in lines if ln.upper().startswith('USER ')]
    if not users or users[-1].split(':')[0] in ('0', 'root'):
        p.append('does not switch to a non-root USER')
    rep.add('Dockerfile.sip: Debian 12, every loaded module\'s package, edge.sh as entry, non-root', p)
