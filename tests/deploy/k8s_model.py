"""Rendering kustomizations and answering questions about the rendered objects: effective
environment of a container, which pods a Service or policy selects, named ports, and whether
the NetworkPolicies let one pod reach another."""

import base64
import os
import shutil
import subprocess
from dataclasses import dataclass, field

import yaml

WORKLOAD_KINDS = ('Deployment', 'StatefulSet', 'DaemonSet')


class RenderError(Exception):
    pass


def find_kubectl():
    k = os.environ.get('OI_KUBECTL') or shutil.which('kubectl')
    return k if k and os.access(k, os.X_OK) else None


def render(kubectl, kdir):
    """`kubectl kustomize DIR` as a list of objects; RenderError with kubectl's message."""
    try:
        p = subprocess.run([kubectl, 'kustomize', kdir], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RenderError(f'{kubectl} kustomize {kdir}: {e}') from e
    if p.returncode != 0:
        raise RenderError(f'kubectl kustomize {kdir} failed: {p.stderr.strip()}')
    return load_docs(p.stdout)


def load_docs(text):
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError as e:
        raise RenderError(f'invalid YAML: {e}') from e


def render_base_without_kubectl(kdir):
    """Fallback when kubectl is absent: the base's own resources and literal ConfigMaps (no
    hashes, no overlays). Enough for the per-container checks; Secrets stay external."""
    with open(os.path.join(kdir, 'kustomization.yaml'), encoding='utf-8') as f:
        k = yaml.safe_load(f) or {}
    docs = []
    for r in k.get('resources', []):
        with open(os.path.join(kdir, r), encoding='utf-8') as f:
            docs.extend(load_docs(f.read()))
    for g in k.get('configMapGenerator', []):
        data = dict(lit.split('=', 1) for lit in g.get('literals', []))
        docs.append({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': g['name']}, 'data': data})
    return docs


@dataclass
class EnvVar:
    name: str
    value: object          # str when known, None when it comes from a Secret not in the render
    source: str            # literal, configmap, secret, field, unknown
    ref: str = ''          # e.g. "secret oi-postgres/conninfo"
    optional: bool = False


@dataclass
class Workload:
    kind: str
    name: str
    obj: dict
    labels: dict = field(default_factory=dict)

    @property
    def pod_spec(self):
        return self.obj.get('spec', {}).get('template', {}).get('spec', {}) or {}

    @property
    def annotations(self):
        return self.obj.get('spec', {}).get('template', {}).get('metadata', {}).get('annotations', {}) or {}

    def containers(self):
        return self.pod_spec.get('containers', []) or []

    def named_ports(self):
        """{port name: containerPort} over all containers."""
        out = {}
        for c in self.containers():
            for p in c.get('ports', []) or []:
                if p.get('name'):
                    out[p['name']] = p.get('containerPort')
        return out

    def container_ports(self):
        return {p.get('containerPort') for c in self.containers() for p in c.get('ports', []) or []}

    def resolve_port(self, port):
        """A port given by number or name -> number, or None."""
        if isinstance(port, int):
            return port
        if isinstance(port, str) and port.isdigit():
            return int(port)
        return self.named_ports().get(port)


class Model:
    def __init__(self, docs):
        self.docs = docs
        self.by_kind = {}
        for d in docs:
            self.by_kind.setdefault(d.get('kind'), {})[d.get('metadata', {}).get('name')] = d
        self.workloads = []
        for kind in WORKLOAD_KINDS:
            for name, obj in self.by_kind.get(kind, {}).items():
                labels = obj.get('spec', {}).get('template', {}).get('metadata', {}).get('labels', {}) or {}
                self.workloads.append(Workload(kind, name, obj, labels))
        ns = {d.get('metadata', {}).get('namespace') for d in docs if d.get('kind') != 'Namespace'}
        ns.discard(None)
        self.namespace = ns.pop() if len(ns) == 1 else 'default'

    def objects(self, kind):
        return self.by_kind.get(kind, {})

    def secret_value(self, name, key):
        s = self.objects('Secret').get(name)
        if s is None:
            return None, False
        if key in (s.get('stringData') or {}):
            return str(s['stringData'][key]), True
        if key in (s.get('data') or {}):
            try:
                return base64.b64decode(s['data'][key]).decode('utf-8'), True
            except (ValueError, UnicodeDecodeError):
                return None, True
        return None, True

    def env_of(self, container):
        """{name: EnvVar}: envFrom first, then env (which wins), as the kubelet does.
        Problems (missing ConfigMap/keys, envFrom of an external Secret) go to the 2nd value."""
        env, problems = {}, []
        for ef in container.get('envFrom', []) or []:
            prefix = ef.get('prefix', '')
            if 'configMapRef' in ef:
                name = ef['configMapRef'].get('name')
                cm = self.objects('ConfigMap').get(name)
                if cm is None:
                    if not ef['configMapRef'].get('optional'):
                        problems.append(f'envFrom ConfigMap {name} is not in the manifests')
                    continue
                for k, v in (cm.get('data') or {}).items():
                    env[prefix + k] = EnvVar(prefix + k, str(v), 'configmap', f'configmap {name}')
            elif 'secretRef' in ef:
                name = ef['secretRef'].get('name')
                s = self.objects('Secret').get(name)
                if s is None:
                    problems.append(f'envFrom Secret {name} is external: its variable names cannot be '
                                    f'checked (use one secretKeyRef per variable)')
                    continue
                for k in list((s.get('data') or {}).keys()) + list((s.get('stringData') or {}).keys()):
                    val, _ = self.secret_value(name, k)
                    env[prefix + k] = EnvVar(prefix + k, val, 'secret', f'secret {name}/{k}')
        for e in container.get('env', []) or []:
            n = e.get('name')
            if 'value' in e or 'valueFrom' not in e:
                env[n] = EnvVar(n, str(e.get('value', '')), 'literal')
                continue
            vf = e['valueFrom']
            if 'configMapKeyRef' in vf:
                r = vf['configMapKeyRef']
                cm = self.objects('ConfigMap').get(r.get('name'))
                val = None if cm is None else (cm.get('data') or {}).get(r.get('key'))
                if val is None and not r.get('optional'):
                    problems.append(f'{n}: ConfigMap key {r.get("name")}/{r.get("key")} does not exist')
                env[n] = EnvVar(n, None if val is None else str(val), 'configmap',
                                f'configmap {r.get("name")}/{r.get("key")}', bool(r.get('optional')))
            elif 'secretKeyRef' in vf:
                r = vf['secretKeyRef']
                val, present = self.secret_value(r.get('name'), r.get('key'))
                if present and val is None and not r.get('optional'):
                    problems.append(f'{n}: Secret {r.get("name")} has no key {r.get("key")}')
                env[n] = EnvVar(n, val, 'secret', f'secret {r.get("name")}/{r.get("key")}',
                                bool(r.get('optional')))
            else:
                env[n] = EnvVar(n, None, 'field', 'fieldRef/resourceFieldRef')
        return env, problems

    def pods_selected(self, selector):
        """Workloads whose pod labels match a Service-style selector (dict of labels)."""
        if not selector:
            return []
        return [w for w in self.workloads if all(w.labels.get(k) == v for k, v in selector.items())]

    def service_host(self, host):
        """The Service a host name designates in this namespace, or None."""
        parts = host.split('.')
        if len(parts) == 1:
            return self.objects('Service').get(host)
        suffix = '.'.join(parts[2:])
        if len(parts) >= 3 and parts[1] == self.namespace and parts[2] == 'svc' and \
                suffix in ('svc', 'svc.cluster.local'):
            return self.objects('Service').get(parts[0])
        if len(parts) == 2 and parts[1] == self.namespace:
            return self.objects('Service').get(parts[0])
        return None


def in_cluster_host(host):
    """A name that only cluster DNS can resolve: no dot, or a .svc name."""
    return '.' not in host or '.svc' in host or host.endswith('.' + 'cluster.local')


def selector_matches(sel, labels):
    """metav1.LabelSelector semantics; {} matches everything."""
    if sel is None:
        return False
    for k, v in (sel.get('matchLabels') or {}).items():
        if labels.get(k) != v:
            return False
    for ex in sel.get('matchExpressions') or []:
        key, op, values = ex.get('key'), ex.get('operator'), ex.get('values') or []
        if op == 'In' and labels.get(key) not in values:
            return False
        if op == 'NotIn' and key in labels and labels[key] in values:
            return False
        if op == 'Exists' and key not in labels:
            return False
        if op == 'DoesNotExist' and key in labels:
            return False
    return True


def policy_types(pol):
    spec = pol.get('spec', {})
    types = spec.get('policyTypes')
    if types:
        return set(types)
    return {'Ingress'} | ({'Egress'} if 'egress' in spec else set())


def ports_allow(rule_ports, port, proto, dst):
    """Does a rule's ports list admit (port, proto) on workload dst (None: an outside address)?"""
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get('protocol', 'TCP') != proto:
            continue
        if 'port' not in p:
            return True
        want = p['port']
        num = dst.resolve_port(want) if dst is not None else (want if isinstance(want, int) else None)
        if num is None:
            continue
        if num == port or (p.get('endPort') and num <= port <= p['endPort']):
            return True
    return False


def peer_matches_pod(peer, pod, model, own_namespace_labels):
    """A policy peer against one of our pods (same namespace as the policy)."""
    if 'ipBlock' in peer:
        return False  # pod traffic is matched by selectors; ipBlock on pod IPs is CNI-specific
    nss = peer.get('namespaceSelector')
    if nss is not None and not selector_matches(nss, own_namespace_labels):
        return False
    ps = peer.get('podSelector')
    return True if ps is None else selector_matches(ps, pod.labels)


def peer_matches_outside(peer):
    ip = peer.get('ipBlock')
    return ip is not None and ip.get('cidr') in ('0.0.0.0/0', '::/0')


class Policies:
    def __init__(self, model):
        self.model = model
        self.pols = list(model.objects('NetworkPolicy').values())
        self.ns_labels = {'kubernetes.io/metadata.name': model.namespace}

    def _selecting(self, pod, ptype):
        return [p for p in self.pols
                if ptype in policy_types(p) and selector_matches(p['spec'].get('podSelector', {}), pod.labels)]

    def ingress_allowed(self, src, dst, port, proto='TCP', src_namespace_labels=None):
        pols = self._selecting(dst, 'Ingress')
        if not pols:
            return True
        ns_labels = src_namespace_labels or self.ns_labels
        for p in pols:
            for rule in p['spec'].get('ingress') or []:
                peers = rule.get('from')
                if not ports_allow(rule.get('ports'), port, proto, dst):
                    continue
                if not peers:
                    return True
                for peer in peers:
                    if src is None and src_namespace_labels is not None:
                        nss = peer.get('namespaceSelector')
                        if nss is not None and selector_matches(nss, ns_labels):
                            return True
                    elif src is not None and peer_matches_pod(peer, src, self.model, ns_labels):
                        return True
        return False

    def egress_allowed(self, src, dst, port, proto='TCP', outside=False, dns=False):
        pols = self._selecting(src, 'Egress')
        if not pols:
            return True
        for p in pols:
            for rule in p['spec'].get('egress') or []:
                if not ports_allow(rule.get('ports'), port, proto, None if outside or dns else dst):
                    continue
                peers = rule.get('to')
                if not peers:
                    return True
                for peer in peers:
                    if outside and peer_matches_outside(peer):
                        return True
                    if dns and 'namespaceSelector' in peer:
                        return True
                    if dst is not None and peer_matches_pod(peer, dst, self.model, self.ns_labels):
                        return True
        return False

    def default_deny(self):
        """Names of policies that select every pod for both directions with no rules."""
        return [p['metadata']['name'] for p in self.pols
                if p['spec'].get('podSelector') in ({}, None)
                and {'Ingress', 'Egress'} <= policy_types(p)
                and not p['spec'].get('ingress') and not p['spec'].get('egress')]
