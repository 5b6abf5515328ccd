#!/usr/bin/env python3
"""Offline check of deploy/k8s: renders each overlay with `kubectl kustomize` and verifies it
against what the binaries actually read (the C sources, scanned now, not a fixed list):
ports and probes, env var names, endpoints -> Services, Secrets, network policies, budgets,
autoscalers, security settings, and the Dockerfile's runtime layout.

  /usr/bin/python3 tests/deploy/check_manifests.py [--overlay dev|prod ...] [--kubectl PATH] [-v]

Needs PyYAML (Debian: python3-yaml). Without kubectl on PATH (Debian: kubernetes-client) the
overlays are skipped with a message and only the base is checked. Exit status 1 on any problem;
the last line is "N passed, M failed".
"""

import argparse
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

if importlib.util.find_spec('yaml') is None:  # k8s_model needs it: say so clearly
    print('check_manifests: PyYAML is missing (apt-get install python3-yaml)', file=sys.stderr)
    sys.exit(2)

import checks  # noqa: E402
import k8s_model  # noqa: E402
import oi_sources  # noqa: E402
import sip_checks  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
K8S = os.path.join(ROOT, 'deploy', 'k8s')
DOCKERFILE = os.path.join(ROOT, 'deploy', 'docker', 'Dockerfile')

# what each overlay must contain beyond the common rules (issue 5, "Kubernetes")
EXPECT = {
    'dev': {'simulator': True, 'statefulsets': ('oi-postgres', 'oi-redis')},
    'prod': {'simulator': False, 'statefulsets': ()},
    'base': {'simulator': False, 'statefulsets': ()},
}
SERVICES = ('oi-gateway', 'oi-provisioning', 'oi-dispatch', 'oi-carrier')
SIMULATOR = 'oi-carrier-sim'
AUTOSCALED = ('oi-gateway', 'oi-dispatch')


def check_overlay(name, docs, binaries, root=ROOT):
    rep = checks.Report(name)
    model = k8s_model.Model(docs)
    pols = k8s_model.Policies(model)
    ours = checks.our_containers(model, binaries)
    image = ours[0][1].get('image') if ours else None

    present = {w.name for w, _, _ in ours}
    want = set(SERVICES) | ({SIMULATOR} if EXPECT[name]['simulator'] else set())
    p = [f'no workload runs {s}' for s in sorted(want - present)]
    if not EXPECT[name]['simulator'] and SIMULATOR in present:
        p.append(f'{SIMULATOR} must only be in the dev overlay')
    p += [f'no StatefulSet {s}' for s in EXPECT[name]['statefulsets'] if s not in model.objects('StatefulSet')]
    rep.add('workloads: one per service' + (' + simulator and data stores' if name == 'dev' else ''), p)

    for w, c, b in ours:
        env = checks.check_container(rep, model, w, c, b, root, oi_sources.migrations_dir(root, b), image)
        checks.check_connections(rep, model, pols, w, b, env, binaries)
        dns_ok = pols.egress_allowed(w, None, 53, proto='UDP', dns=True)
        rep.add(f'{w.kind}/{w.name}: DNS allowed', [] if dns_ok else ['egress to port 53/UDP is denied'])

    for w in model.workloads:  # third-party containers (dev data stores)
        if w.name in present:
            continue
        for c in w.containers():
            p = [f'{c.get("name")}: no {pr}' for pr in ('readinessProbe', 'livenessProbe') if not c.get(pr)]
            rep.add(f'{w.kind}/{w.name}: {c.get("name")} probes', p)
            checks.check_resources(rep, f'{w.kind}/{w.name}', c)
            checks.check_security(rep, f'{w.kind}/{w.name}', w, c, strict=False)

    sip_checks.check_sip_edge(rep, model, pols, root)
    weak = [f'{w.name}: OI_ALLOW_WEAK_SECRET_KEY is set' for w, c, b in ours
            if (model.env_of(c)[0].get('OI_ALLOW_WEAK_SECRET_KEY') or k8s_model.EnvVar('', 'false', '')).value
            in ('true', '1')]
    rep.add('weak secret keys allowed only in dev', [] if name == 'dev' else weak)
    check_migration_job(rep, model, pols, binaries, image, root)
    check_services(rep, model)
    check_budgets(rep, model, present)
    check_policies(rep, model, pols, ours)
    return rep


def check_migration_job(rep, model, pols, binaries, image, root):
    """The Job oi-migrate runs, with OI_MIGRATE_ONLY=true, every binary that ships migrations,
    pointed at the image copy, with the database from a Secret and a way to it."""
    job = model.objects('Job').get('oi-migrate')
    if job is None:
        rep.add('Job/oi-migrate: exists', ['no migration Job'])
        return
    w = k8s_model.Workload('Job', 'oi-migrate', job, job['spec']['template'].get('metadata', {}).get('labels', {}))
    owners = {n for n, b in binaries.items() if oi_sources.migrations_dir(root, b)}
    ours = checks.our_containers_of(w, binaries)
    ran = {b.name for _, _, b in ours}
    rep.add('Job/oi-migrate: migrates every schema',
            [f'{n} (ships migrations) is not run' for n in sorted(owners - ran)] +
            [f'{n} has no migrations to run' for n in sorted(ran - owners)])
    rep.add('Job/oi-migrate: restarts only on failure',
            [] if w.pod_spec.get('restartPolicy') in ('OnFailure', 'Never') else ['restartPolicy must be OnFailure or Never'])
    for _, c, b in ours:
        tag = f'Job/oi-migrate: {c.get("name")}'
        env, p = model.env_of(c)
        p += [f'{n} is not read by {b.name}' for n in sorted(env) if not b.reads(n)]
        if (env.get('OI_MIGRATE_ONLY') and env['OI_MIGRATE_ONLY'].value) != 'true':
            p.append('OI_MIGRATE_ONLY is not "true": the binary would start serving')
        want = checks.IMAGE_PREFIX + (oi_sources.migrations_dir(root, b) or '')
        got = env['OI_MIGRATIONS_DIR'].value if 'OI_MIGRATIONS_DIR' in env else None
        if got != want:
            p.append(f'OI_MIGRATIONS_DIR={got!r}, expected {want!r}')
        pg = env.get('OI_PG_CONNINFO')
        if pg is None or not pg.ref.startswith('secret '):
            p.append('OI_PG_CONNINFO must come from a Secret')
        if c.get('image') != image:
            p.append(f'image {c.get("image")} differs from the services\' ({image})')
        if c.get('ports'):
            p.append('declares ports: a migrate-only run listens on nothing')
        rep.add(f'{tag} migrates from the image copy', p)
        checks.check_resources(rep, tag, c)
        checks.check_security(rep, tag, w, c, strict=False)
        checks.check_connections(rep, model, pols, w, b, env, binaries)


def check_services(rep, model):
    for sname, svc in sorted(model.objects('Service').items()):
        p = []
        pods = model.pods_selected(svc['spec'].get('selector'))
        if not pods:
            p.append('selects no workload')
        for sp in svc['spec'].get('ports', []):
            for w in pods:
                tp = w.resolve_port(sp.get('targetPort', sp.get('port')))
                if tp is None or tp not in w.container_ports():
                    p.append(f'port {sp.get("port")} -> targetPort {sp.get("targetPort")} not on {w.name}')
        rep.add(f'Service/{sname}: selects pods with its target ports', p)


def check_budgets(rep, model, present):
    pdbs = list(model.objects('PodDisruptionBudget').values())
    for s in sorted(present & set(SERVICES)):
        w = next(w for w in model.workloads if w.name == s)
        ok = [b for b in pdbs if k8s_model.selector_matches(b['spec'].get('selector'), w.labels)]
        rep.add(f'PodDisruptionBudget for {s}', [] if ok else ['none selects its pods'])
    hpas = {h['spec']['scaleTargetRef'].get('name'): h for h in model.objects('HorizontalPodAutoscaler').values()}
    for s in AUTOSCALED:
        p = []
        h = hpas.get(s)
        if h is None:
            p.append('no HorizontalPodAutoscaler')
        elif h['spec']['scaleTargetRef'].get('kind') != 'Deployment' or s not in model.objects('Deployment'):
            p.append('scaleTargetRef is not an existing Deployment')
        elif h['spec'].get('minReplicas', 1) > h['spec'].get('maxReplicas', 0):
            p.append('minReplicas > maxReplicas')
        rep.add(f'HorizontalPodAutoscaler for {s}', p)
    for hname, h in hpas.items():
        if hname not in model.objects('Deployment'):
            rep.add(f'HorizontalPodAutoscaler targets {hname}', ['no such Deployment'])


def check_policies(rep, model, pols, ours):
    rep.add('NetworkPolicy: default deny for ingress and egress',
            [] if pols.default_deny() else ['no policy denies all ingress and egress by default'])
    monitoring = {'kubernetes.io/metadata.name': 'monitoring'}
    p = []
    for w, c, b in ours:
        ops = w.named_ports().get('ops')
        if ops is not None and not pols.ingress_allowed(None, w, ops, src_namespace_labels=monitoring):
            p.append(f'{w.name}: ops port {ops} closed to the monitoring namespace')
    rep.add('NetworkPolicy: ops ports open to monitoring', p)
    gw = next((w for w, _, b in ours if b.name == 'oi-gateway'), None)
    p = []
    if gw is not None:
        http = gw.named_ports().get('http')
        if http is None or not pols.ingress_allowed(None, gw, http, src_namespace_labels={'any': 'namespace'}):
            p.append('the gateway API port is not reachable from outside the namespace')
        for w, c, b in ours:  # nothing else is reachable from an arbitrary namespace
            for port in w.container_ports():
                if w is gw and port == http:
                    continue
                if pols.ingress_allowed(None, w, port, src_namespace_labels={'any': 'namespace'}):
                    p.append(f'{w.name}:{port} is open to any namespace')
    rep.add('NetworkPolicy: only the gateway API is public', p)


def check_dockerfile(rep, binaries, root=ROOT):
    p = []
    try:
        with open(DOCKERFILE, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        rep.add('Dockerfile exists', [str(e)])
        return
    lines = [ln.strip() for ln in text.splitlines()]
    froms = [ln for ln in lines if ln.upper().startswith('FROM ')]
    # built on Debian 12; the runtime stage on Debian 12 too, or from scratch with what the
    # builder laid out (deploy/docker/rootfs.sh: the binaries' libraries, sh, passwd)
    runtime_from = froms[-1].split()[1] if froms else ''
    if len(froms) < 2 or 'debian:12' not in froms[0] or not (runtime_from.startswith('debian:12') or
                                                               runtime_from == 'scratch'):
        p.append('expected a multi-stage build on debian:12 (runtime: debian:12 or scratch)')
    if runtime_from == 'scratch' and 'rootfs' not in text[text.rfind('\nFROM '):]:
        p.append('a runtime stage from scratch copies no root filesystem from the builder')
    for b in binaries:
        if b not in text:
            p.append(f'{b} is not built/copied')
    if 'services/*/migrations' not in text or '/opt/oneinbox' not in text:
        p.append('migrations are not copied under /opt/oneinbox/services/<svc>/migrations')
    users = [ln.split(None, 1)[1] for ln in lines if ln.upper().startswith('USER ')]
    if not users or users[-1].split(':')[0] in ('0', 'root'):
        p.append('the runtime stage does not switch to a non-root USER')
    if not any(ln.upper().startswith('ENTRYPOINT') for ln in lines):
        p.append('no ENTRYPOINT')
    runtime = text[text.rfind('\nFROM '):]
    if '-dev' in runtime:
        p.append('the runtime stage installs -dev packages')
    rep.add('Dockerfile: multi-stage, non-root, all binaries and migrations', p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--overlay', action='append', choices=['dev', 'prod'],
                    help='overlay to check (default: both)')
    ap.add_argument('--kubectl', help='kubectl binary (default: $OI_KUBECTL or kubectl on PATH)')
    ap.add_argument('--no-kubectl', action='store_true',
                    help='behave as if kubectl were absent (checks the base alone)')
    ap.add_argument('-v', '--verbose', action='store_true', help='list passing checks too')
    args = ap.parse_args()

    binaries = oi_sources.load_binaries(ROOT)
    reports = []
    top = checks.Report('sources')
    p = [u for b in binaries.values() for u in b.unresolved]
    top.add(f'C sources: {len(binaries)} binaries, variables read found', p if binaries else ['no oi_service() in CMakeLists.txt'])
    check_dockerfile(top, binaries)
    sip_checks.check_dockerfile(top, ROOT)
    reports.append(top)

    kubectl = None if args.no_kubectl else (args.kubectl or k8s_model.find_kubectl())
    overlays = args.overlay or ['dev', 'prod']
    if kubectl is None:
        print('check_manifests: kubectl not found (Debian: apt-get install kubernetes-client): '
              f'overlays {", ".join(overlays)} NOT rendered; checking deploy/k8s/base alone')
        try:
            docs = k8s_model.render_base_without_kubectl(os.path.join(K8S, 'base'))
            reports.append(check_overlay('base', docs, binaries))
        except (OSError, k8s_model.RenderError) as e:
            top.add('base loads', [str(e)])
    else:
        for o in overlays:
            rep = checks.Report(o)
            try:
                docs = k8s_model.render(kubectl, os.path.join(K8S, 'overlays', o))
            except k8s_model.RenderError as e:
                rep.add(f'kubectl kustomize overlays/{o}', [str(e)])
                reports.append(rep)
                continue
            rep = check_overlay(o, docs, binaries)
            rep.results.insert(0, (o, f'kubectl kustomize overlays/{o} ({len(docs)} objects)', True, []))
            reports.append(rep)

    passed = failed = 0
    for rep in reports:
        for scope, name, ok, reasons in rep.results:
            if ok:
                passed += 1
                if args.verbose:
                    print(f'PASS [{scope}] {name}')
            else:
                failed += 1
                print(f'FAIL [{scope}] {name}')
                for r in reasons:
                    print(f'     - {r}')
        for n in rep.notes:
            print(f'note {n}')
        bad = sum(1 for r in rep.results if not r[2])
        print(f'== {rep.scope}: {len(rep.results) - bad} checks passed, {bad} failed')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
