"""The SIP edge in the container run of smoke_dev.py: the oneinbox-sip image started from the
dev overlay's Deployment oi-sip-edge, and a call placed through it to the suite running in the
other containers.

Its environment is the kubelet's (the ConfigMap, the Secret, $(NAME) expansions) with what a
pod network and a cluster give moved to loopback, as smoke_dev.py does for the services: the
pod's address and the public host become 127.0.0.1, every port p becomes p + offset, the
gateway's Service name becomes 127.0.0.1. Two values name things outside the suite and are
replaced here: the carriers' and agents' source ranges (the test's own UAs send from loopback)
and the agent endpoint (a UA of the test on a free loopback port instead of LiveKit)."""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import sipua  # noqa: E402

NAME = 'oi-sip-edge'
EXPANSION = re.compile(r'\$\(([A-Za-z_][A-Za-z0-9_]*)\)')
LISTEN_PORT = re.compile(r':(\d+)(?=$|[\s/])')


def find(model):
    """(workload, container) of the edge, or (None, None)."""
    for w in model.workloads:
        if w.name == NAME:
            return w, w.containers()[0]
    return None, None


def env_for_run(model, net, container, agent_port):
    """The edge's environment for a run on loopback (see the module's text)."""
    env, _ = model.env_of(container)
    raw = {n: ('127.0.0.1' if e.value is None and e.ref.startswith('field') else e.value) for n, e in env.items()}
    raw['OI_SIP_PUBLIC_HOST'] = '127.0.0.1'
    out = {}
    for n, v in raw.items():
        if v is None:
            continue
        v = EXPANSION.sub(lambda m: raw.get(m.group(1), m.group(0)) or '', v)
        if n == 'OI_SIP_LISTEN':
            v = LISTEN_PORT.sub(lambda m: ':%d' % net.port(int(m.group(1))), v)
        out[n] = net.value(n, v, '')
    for n in ('OI_SIP_TWILIO_SOURCES', 'OI_SIP_TELNYX_SOURCES', 'OI_SIP_AGENT_SOURCES'):
        out[n] = '127.0.0.0/8'
    out['OI_AGENT_SIP_URI'] = 'sip:{agent_id}@127.0.0.1:%d' % agent_port
    out['OI_VOICEMAIL_SIP_URI'] = 'sip:voicemail@127.0.0.1:%d' % agent_port
    return out


def sip_address(net, container):
    """(host, port) where the run's edge takes SIP over UDP."""
    port = next((p['containerPort'] for p in container.get('ports', []) if p.get('protocol') == 'UDP'), 5060)
    return '127.0.0.1', net.port(port)


def options(edge, timeout=5.0):
    """An OPTIONS ping's final status, or None without one."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    host, port = s.getsockname()
    call_id = '%x@smoke' % (time.monotonic_ns() & 0xffffffffff)
    msg = sipua.build('OPTIONS sip:%s:%d SIP/2.0' % edge, [
        ('Via', 'SIP/2.0/UDP %s:%d;branch=z9hG4bK%x;rport' % (host, port, os.getpid())),
        ('Max-Forwards', '70'), ('From', '<sip:smoke@%s>;tag=smoke' % host), ('To', '<sip:%s:%d>' % edge),
        ('Call-ID', call_id), ('CSeq', '1 OPTIONS')])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            s.sendto(msg, edge)
            s.settimeout(0.5)
            try:
                m = sipua.parse(s.recvfrom(65535)[0])
            except socket.timeout:
                continue
            if not m.is_request and m.get('Call-ID') == call_id and m.status >= 200:
                return m.status
        return None
    finally:
        s.close()


def check_calls(res, edge, agent, number):
    """OPTIONS 200; an unknown number 404 (the edge asked the gateway); the registered number's
    call reaches its agent at the endpoint UA with the suite's headers, answered 200."""
    st = options(edge)
    res.check('SIP edge: OPTIONS answered 200', [] if st == 200 else [f'OPTIONS -> {st}'])
    caller = sipua.Caller(edge)
    try:
        p = []
        try:
            final, _ = caller.invite('+12125550199', timeout=10)
            if final.status != 404:
                p.append(f'INVITE to an unknown number -> {final.status}')
        except TimeoutError as e:
            p.append(str(e))
        res.check('SIP edge: an INVITE to an unknown number -> 404 (decision asked of the gateway)', p)
        p = []
        before = len(agent.invites)
        try:
            final, _ = caller.invite(number['phone_number'], timeout=15)
            if final.status != 200:
                p.append(f'INVITE -> {final.status} {final.get("Reason", "")}')
        except TimeoutError as e:
            p.append(str(e))
        got = agent.invites[before:]
        if not p and not got:
            p.append('the agent endpoint saw no INVITE')
        if got and got[0].get('X-OI-Number-Id') != number['id']:
            p.append(f'X-OI-Number-Id {got[0].get("X-OI-Number-Id")!r}, want {number["id"]}')
        res.check('SIP edge: a call to the registered number reaches its agent (200, X-OI-Number-Id)', p)
    finally:
        caller.close()
