#!/usr/bin/env python3
"""Proves check_manifests.py catches what it claims to: renders overlays/dev once, breaks one
thing at a time in a copy (a port, an env var, an endpoint, a probe, a policy, a Secret, a
variable the binary stops reading...) and expects the matching check to fail, and the intact
render to pass. Needs kubectl (skips with a message and exit 0 without it).

  /usr/bin/python3 tests/deploy/selftest.py
"""

import copy
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check_manifests as cm  # noqa: E402
import k8s_model  # noqa: E402
import oi_sources  # noqa: E402


def find(docs, kind, name):
    return next(d for d in docs if d['kind'] == kind and d['metadata']['name'] == name)


def container(docs, name):
    return find(docs, 'Deployment', name)['spec']['template']['spec']['containers'][0]


def configmap(docs, prefix):
    return next(d for d in docs if d['kind'] == 'ConfigMap'
                and (d['metadata']['name'] == prefix or d['metadata']['name'].startswith(prefix + '-'))
                and not d['metadata']['name'].startswith(prefix + '-sim'))


def set_cm(prefix, key, value):
    def f(docs, bins):
        configmap(docs, prefix)['data'][key] = value
    return f


def add_env(dep, name, value):
    def f(docs, bins):
        container(docs, dep).setdefault('env', []).append({'name': name, 'value': value})
    return f


def drop(dep, field):
    def f(docs, bins):
        del container(docs, dep)[field]
    return f


def drop_obj(kind, name):
    def f(docs, bins):
        docs.remove(find(docs, kind, name))
    return f


def forget_var(binary, var):
    def f(docs, bins):
        del bins[binary].vars[var]
    return f


def probe_port(dep, port):
    def f(docs, bins):
        container(docs, dep)['readinessProbe']['httpGet']['port'] = port
    return f


def secret_key_missing(docs, bins):
    s = find(docs, 'Secret', 'oi-app-secrets')
    del s['data']['secret-key']


def literal_secret(docs, bins):
    env = container(docs, 'oi-gateway')['env']
    for e in env:
        if e['name'] == 'OI_ADMIN_TOKEN':
            e.pop('valueFrom')
            e['value'] = 'x' * 32


def grace_too_long(docs, bins):
    find(docs, 'Deployment', 'oi-dispatch')['spec']['template']['spec']['terminationGracePeriodSeconds'] = 12


def bind_loopback(docs, bins):
    configmap(docs, 'oi-carrier')['data']['OI_RPC_BIND'] = 'tcp://127.0.0.1:7401'


def policy_opens_rpc(docs, bins):
    pol = find(docs, 'NetworkPolicy', 'oi-dispatch-ingress')
    pol['spec']['ingress'][0].pop('from')


def job_container(docs, name):
    cs = find(docs, 'Job', 'oi-migrate')['spec']['template']['spec']['containers']
    return next(c for c in cs if c['name'] == name)


def migrate_only_off(docs, bins):
    for e in job_container(docs, 'oi-dispatch')['env']:
        if e['name'] == 'OI_MIGRATE_ONLY':
            e['value'] = 'false'


def migrate_skips_schema(docs, bins):
    cs = find(docs, 'Job', 'oi-migrate')['spec']['template']['spec']['containers']
    cs.remove(job_container(docs, 'oi-provisioning'))


def postgres_refuses_migrate(docs, bins):
    pol = find(docs, 'NetworkPolicy', 'oi-egress-postgres')
    pol['spec']['podSelector']['matchExpressions'][0]['values'].remove('oi-migrate')


def service_wrong_target(docs, bins):
    find(docs, 'Service', 'oi-dispatch')['spec']['ports'][0]['targetPort'] = 7999


def root_user(docs, bins):
    container(docs, 'oi-carrier')['securityContext']['runAsUser'] = 0


def sip_service_tcp_only(docs, bins):
    svc = find(docs, 'Service', 'oi-sip-edge')
    svc['spec']['ports'] = [p for p in svc['spec']['ports'] if p.get('protocol') != 'UDP']


def sip_sources_lost(docs, bins):
    svc = find(docs, 'Service', 'oi-sip-edge')
    svc['spec'].pop('externalTrafficPolicy', None)


def sip_readiness_on_healthz(docs, bins):
    container(docs, 'oi-sip-edge')['readinessProbe']['httpGet']['path'] = '/healthz'


def sip_token_literal(docs, bins):
    for e in container(docs, 'oi-sip-edge')['env']:
        if e['name'] == 'OI_INTERNAL_TOKEN':
            e.pop('valueFrom')
            e['value'] = 'literal-token'


def sip_ops_public(docs, bins):
    pol = find(docs, 'NetworkPolicy', 'oi-sip-edge-ingress')
    pol['spec']['ingress'][0]['ports'].append({'protocol': 'TCP', 'port': 'ops'})


def share_rpc_identity(docs, bins):
    for e in container(docs, 'oi-provisioning')['env']:
        if e['name'] == 'OI_RPC_CURVE_CLIENT_SECRET_KEY':
            e['valueFrom']['secretKeyRef']['key'] = 'gateway-secret-key'


# (what is broken, mutation, a fragment of the check name that must fail)
CASES = [
    ('a service calls with another one\'s RPC key', share_rpc_identity, 'its own RPC identity'),
    ('ops port changed in ConfigMap only', set_cm('oi-dispatch', 'OI_OPS_PORT', '9999'), 'container ports match'),
    ('probe on the wrong port', probe_port('oi-gateway', 'http'), 'probes on the right port'),
    ('unknown variable', add_env('oi-provisioning', 'OI_NOT_A_VARIABLE', '1'), 'every env var is read'),
    ('variable meant for another service', add_env('oi-gateway', 'OI_ROUTE_CACHE_TTL_S', '60'), 'every env var is read'),
    ('binary stops reading a variable', forget_var('oi-dispatch', 'OI_ROUTE_CACHE_TTL_S'), 'every env var is read'),
    ('endpoint to a missing Service', set_cm('oi-gateway', 'OI_DISPATCH_ENDPOINTS', 'tcp://oi-dispatcher:7301'),
     'endpoint variables'),
    ('endpoint to the wrong port', set_cm('oi-provisioning', 'OI_CARRIER_ENDPOINTS', 'tcp://oi-carrier:9401'),
     'endpoint variables'),
    ('endpoint to the wrong service', set_cm('oi-gateway', 'OI_CARRIER_ENDPOINTS', 'tcp://oi-dispatch:7301'),
     'endpoint variables'),
    ('no readiness probe', drop('oi-carrier', 'readinessProbe'), 'probes on the right port'),
    ('no resources', drop('oi-gateway', 'resources'), 'resources'),
    ('no migration job', drop_obj('Job', 'oi-migrate'), 'Job/oi-migrate: exists'),
    ('migration job would serve', migrate_only_off, 'migrates from the image copy'),
    ('migration job skips a schema', migrate_skips_schema, 'migrates every schema'),
    ('migration job cannot reach postgres', postgres_refuses_migrate, 'network policies allow'),
    ('int value out of range', set_cm('oi-provisioning', 'OI_JOB_CARRIER_CONCURRENCY', '50000'), 'int/bool values'),
    ('int value not a number', set_cm('oi-dispatch', 'OI_PG_POOL_SIZE', 'eight'), 'int/bool values'),
    ('missing egress policy', drop_obj('NetworkPolicy', 'oi-gateway-egress'), 'network policies allow'),
    ('missing postgres policy', drop_obj('NetworkPolicy', 'oi-postgres-ingress'), 'network policies allow'),
    ('no default deny', drop_obj('NetworkPolicy', 'oi-default-deny'), 'default deny'),
    ('RPC port open to all', policy_opens_rpc, 'only the gateway API is public'),
    ('missing Secret key', secret_key_missing, 'every env var is read'),
    ('secret as a literal', literal_secret, 'secrets come from Secrets'),
    ('grace period too short', grace_too_long, 'termination grace'),
    ('RPC bound to loopback', bind_loopback, 'container ports match'),
    ('Service targets a closed port', service_wrong_target, 'selects pods with its target ports'),
    ('root user', root_user, 'securityContext'),
    ('no PDB', drop_obj('PodDisruptionBudget', 'oi-carrier'), 'PodDisruptionBudget for oi-carrier'),
    ('no HPA', drop_obj('HorizontalPodAutoscaler', 'oi-dispatch'), 'HorizontalPodAutoscaler for oi-dispatch'),
    ('no simulator in dev', drop_obj('Deployment', 'oi-carrier-sim'), 'workloads'),
    ('no SIP edge', drop_obj('Deployment', 'oi-sip-edge'), 'workload oi-sip-edge'),
    ('SIP edge: unknown variable', add_env('oi-sip-edge', 'OI_SIP_NOT_READ', '1'), "variables are the edge's own"),
    ('SIP edge: bad CIDR list', set_cm('oi-sip-edge', 'OI_SIP_TWILIO_SOURCES', '54.172.60.0'), 'edge.sh --check'),
    ('SIP edge: agent URI without {agent_id}', set_cm('oi-sip-edge', 'OI_AGENT_SIP_URI', 'sip:agent@x:5060'),
     'edge.sh --check'),
    ('SIP edge: ops port moved in ConfigMap only', set_cm('oi-sip-edge', 'OI_SIP_OPS_PORT', '9600'),
     'ops port and probes agree'),
    ('SIP edge: ops on loopback', set_cm('oi-sip-edge', 'OI_SIP_OPS_HOST', '127.0.0.1'), 'ops port and probes agree'),
    ('SIP edge: readiness on /healthz', sip_readiness_on_healthz, 'ops port and probes agree'),
    ('SIP edge: Service without UDP', sip_service_tcp_only, 'SIP on UDP and TCP'),
    ('SIP edge: source addresses lost', sip_sources_lost, 'sources preserved'),
    ('SIP edge: API URL to the wrong port', set_cm('oi-sip-edge', 'OI_SIP_API_URL', 'http://oi-gateway:9080'),
     'reaches the gateway'),
    ('SIP edge: API URL to another service', set_cm('oi-sip-edge', 'OI_SIP_API_URL', 'http://oi-dispatch:9301'),
     'reaches the gateway'),
    ('SIP edge: no egress to the gateway', drop_obj('NetworkPolicy', 'oi-sip-edge-egress'), 'reaches the gateway'),
    ('SIP edge: SIP closed', drop_obj('NetworkPolicy', 'oi-sip-edge-ingress'), 'takes SIP from anywhere'),
    ('SIP edge: ops port public', sip_ops_public, 'ops kept in'),
    ('SIP edge: token as a literal', sip_token_literal, "variables are the edge's own"),
    ('SIP edge: carriers sent elsewhere', set_cm('oi-carrier', 'OI_SIP_INGRESS_URI', 'sip:elsewhere.example:5060'),
     'OI_SIP_INGRESS_URI is the SIP edge'),
    ('SIP edge: no PDB', drop_obj('PodDisruptionBudget', 'oi-sip-edge'), 'PodDisruptionBudget for oi-sip-edge'),
]


def failing(docs, bins):
    rep = cm.check_overlay('dev', docs, bins)
    return [(name, reasons) for _, name, ok, reasons in rep.results if not ok]


def main():
    kubectl = k8s_model.find_kubectl()
    if kubectl is None:
        print('selftest: kubectl not found: skipped')
        print('0 passed, 0 failed')
        return 0
    docs = k8s_model.render(kubectl, os.path.join(cm.K8S, 'overlays', 'dev'))
    bins = oi_sources.load_binaries(cm.ROOT)
    passed = failed = 0
    base = failing(copy.deepcopy(docs), copy.deepcopy(bins))
    if base:
        failed += 1
        print(f'FAIL intact render has failures: {base}')
    else:
        passed += 1
    for what, mutate, expect in CASES:
        d, b = copy.deepcopy(docs), copy.deepcopy(bins)
        mutate(d, b)
        f = failing(d, b)
        if any(expect in name for name, _ in f):
            passed += 1
            print(f'PASS caught: {what}')
        else:
            failed += 1
            print(f'FAIL not caught: {what} (expected a failing "{expect}" check; got {[n for n, _ in f]})')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
