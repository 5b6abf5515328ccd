"""sipua.py: a minimal SIP user agent over UDP for the edge's tests and the test-call script.

Caller (the carrier side): sends an INVITE, collects the answers until a final one, ACKs it
(and, after a 2xx, hangs up with a BYE through the edge's Record-Route).
Endpoint (the agent endpoint or a trunk): answers each INVITE as its `plan` says, by
Request-URI user: ("answer",) 200, ("reject", code) a final error, ("ring",) 180 and never
answers (the edge's ring timeout then cancels it), ("challenge", user, password) a SIP trunk:
407 with a digest challenge (RFC 2617, qop=auth), then 200 to an INVITE whose
Proxy-Authorization answers it and 403 to one that does not. It records every INVITE it saw.

Plain RFC 3261 text over UDP, enough for loopback tests; no SDP negotiation, no TCP.
"""
import hashlib
import random
import re
import socket
import threading
import time

CRLF = "\r\n"


def _token():
    return "%x" % random.getrandbits(48)


class Message:
    def __init__(self, first, headers, body):
        self.first = first
        self.headers = headers  # list of (name, value), in order
        self.body = body

    @property
    def is_request(self):
        return not self.first.startswith("SIP/2.0")

    @property
    def status(self):
        return int(self.first.split()[1]) if not self.is_request else None

    @property
    def method(self):
        return self.first.split()[0] if self.is_request else None

    @property
    def uri(self):
        return self.first.split()[1] if self.is_request else None

    def get(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<%s %s>" % (self.first, dict(self.headers))


def parse(data):
    text = data.decode("utf-8", "replace")
    head, _, body = text.partition(CRLF + CRLF)
    lines = head.split(CRLF)
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return Message(lines[0], headers, body)


def build(first, headers, body=""):
    out = [first] + ["%s: %s" % kv for kv in headers] + ["Content-Length: %d" % len(body.encode()), "", body]
    return CRLF.join(out).encode()


class Caller:
    """One call from (host, port) to the edge at edge=(host, port)."""

    def __init__(self, edge, host="127.0.0.1"):
        self.edge = edge
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.host, self.port = self.sock.getsockname()

    def close(self):
        self.sock.close()

    def _send(self, data):
        self.sock.sendto(data, self.edge)

    def _recv(self, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            return parse(data)

    def invite(self, to, frm="+14155550100", timeout=15.0, uri_user=None, extra=()):
        """INVITE sip:<to>@edge; returns (final response, provisional responses). ACKs the final;
        hangs up an answered call."""
        call_id = "%s@%s" % (_token(), self.host)
        tag = _token()
        branch = "z9hG4bK" + _token()
        ruri = "sip:%s@%s:%d" % (uri_user if uri_user is not None else to, self.edge[0], self.edge[1])
        frm_hdr = "<sip:%s@%s>;tag=%s" % (frm, self.host, tag) if frm else "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag=%s" % tag
        to_hdr = "<sip:%s@%s>" % (to, self.edge[0])
        via = "SIP/2.0/UDP %s:%d;branch=%s;rport" % (self.host, self.port, branch)
        headers = [("Via", via), ("Max-Forwards", "70"), ("From", frm_hdr), ("To", to_hdr),
                   ("Call-ID", call_id), ("CSeq", "1 INVITE"),
                   ("Contact", "<sip:caller@%s:%d>" % (self.host, self.port)),
                   ("Content-Type", "application/sdp")] + list(extra)
        sdp = "v=0\r\no=- 0 0 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n" % (self.host, self.host)
        invite = build("INVITE %s SIP/2.0" % ruri, headers, sdp)
        self._send(invite)
        provisional, final = [], None
        deadline = time.monotonic() + timeout
        resend_at = time.monotonic() + 0.5
        while final is None:
            m = self._recv(min(deadline, resend_at))
            if m is None:
                if time.monotonic() >= deadline:
                    raise TimeoutError("no final answer to INVITE %s within %.1fs" % (to, timeout))
                if not provisional:  # Timer A: retransmit until something arrives
                    self._send(invite)
                resend_at = time.monotonic() + 0.5
                continue
            if m.is_request or m.get("Call-ID") != call_id:
                continue
            if m.status < 200:
                provisional.append(m)
            else:
                final = m
        to_final = final.get("To")
        if final.status >= 300:  # the ACK of a failure is hop by hop, same branch
            ack = [("Via", via), ("Max-Forwards", "70"), ("From", frm_hdr), ("To", to_final),
                   ("Call-ID", call_id), ("CSeq", "1 ACK")]
            self._send(build("ACK %s SIP/2.0" % ruri, ack))
        else:
            self._end_answered(final, frm_hdr, to_final, call_id)
        return final, provisional

    def _end_answered(self, ok, frm_hdr, to_hdr, call_id):
        routes = list(reversed([r for v in ok.all("Record-Route") for r in v.split(",")]))
        contact = re.search(r"<([^>]+)>", ok.get("Contact", "")).group(1)
        for method, cseq in (("ACK", "1 ACK"), ("BYE", "2 BYE")):
            via = "SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (self.host, self.port, _token())
            h = [("Via", via), ("Max-Forwards", "70")] + [("Route", r.strip()) for r in routes] + [
                ("From", frm_hdr), ("To", to_hdr), ("Call-ID", call_id), ("CSeq", cseq)]
            self._send(build("%s %s SIP/2.0" % (method, contact), h))
        deadline = time.monotonic() + 3
        while True:  # the BYE's answer
            m = self._recv(deadline)
            if m is None or (not m.is_request and m.get("CSeq", "").endswith("BYE")):
                return


def _md5(*parts):
    return hashlib.md5(":".join(parts).encode()).hexdigest()


def digest_params(header):
    """'Digest a="b", c=d' -> {a: b, c: d}."""
    _, _, rest = header.partition(" ")
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', rest)}


def digest_valid(params, method, user, password, realm, nonce):
    if params.get("username") != user or params.get("realm") != realm or params.get("nonce") != nonce:
        return False
    ha1 = _md5(user, realm, password)
    ha2 = _md5(method, params.get("uri", ""))
    if params.get("qop") == "auth":
        want = _md5(ha1, nonce, params.get("nc", ""), params.get("cnonce", ""), "auth", ha2)
    else:
        want = _md5(ha1, nonce, ha2)
    return params.get("response") == want


class Endpoint:
    """A UAS on (host, port) answering INVITEs by Request-URI user as plan says."""

    def __init__(self, host="127.0.0.1", port=0, plan=None, default=("answer",)):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = self.sock.getsockname()
        self.plan = dict(plan or {})
        self.default = default
        self.invites = []  # every INVITE received (first transmission only)
        self.auth = []  # ("challenged" | "accepted" | "refused", INVITE) per challenge plan step
        self._nonces = {}  # Call-ID -> the nonce it was challenged with
        self.byes = 0
        self._seen = set()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self):
        self._stop = True
        self.sock.close()
        self._thread.join(timeout=2)

    def users(self):
        return [re.match(r"sips?:([^@;>]+)", m.uri).group(1) for m in self.invites]

    def _reply(self, req, addr, code, reason, extra=()):
        to = req.get("To")
        if ";tag=" not in to:
            to += ";tag=" + "uas" + str(abs(hash(req.get("Call-ID"))) % 100000)
        h = [("Via", v) for v in req.all("Via")] + [("Record-Route", v) for v in req.all("Record-Route")] + [
            ("From", req.get("From")), ("To", to), ("Call-ID", req.get("Call-ID")), ("CSeq", req.get("CSeq"))
        ] + list(extra)
        self.sock.sendto(build("SIP/2.0 %d %s" % (code, reason), h), addr)

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                return
            m = parse(data)
            if not m.is_request:
                continue
            if m.method == "INVITE":
                self._on_invite(m, addr)
            elif m.method in ("BYE", "CANCEL", "OPTIONS"):
                if m.method == "BYE":
                    self.byes += 1
                self._reply(m, addr, 200, "OK")
                if m.method == "CANCEL":
                    inv = self._pending.pop(m.get("Call-ID") + m.get("Via"), None) if hasattr(self, "_pending") else None
                    if inv:
                        self._reply(inv[0], inv[1], 487, "Request Terminated")

    def _on_invite(self, m, addr):
        key = m.get("Call-ID") + m.get("Via")
        user = re.match(r"sips?:([^@;>]+)", m.uri).group(1)
        action = self.plan.get(user, self.default)
        if key not in self._seen:
            self._seen.add(key)
            self.invites.append(m)
        if action[0] == "answer":
            self._reply(m, addr, 200, "OK", [("Contact", "<sip:%s@%s:%d>" % (user, self.host, self.port)),
                                             ("Content-Type", "application/sdp")])
        elif action[0] == "reject":
            self._reply(m, addr, action[1], "Refused")
        elif action[0] == "challenge":
            self._challenge(m, addr, user, action[1], action[2])
        elif action[0] == "ring":
            if not hasattr(self, "_pending"):
                self._pending = {}
            self._pending[key] = (m, addr)
            self._reply(m, addr, 180, "Ringing")

    def _challenge(self, m, addr, user, auth_user, password, realm="trunk.test"):
        call = m.get("Call-ID")
        answer = m.get("Proxy-Authorization")
        if answer is None:
            nonce = self._nonces.setdefault(call, _token() + _token())
            self.auth.append(("challenged", m))
            self._reply(m, addr, 407, "Proxy Authentication Required", [
                ("Proxy-Authenticate", 'Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"' % (realm, nonce))])
            return
        ok = digest_valid(digest_params(answer), "INVITE", auth_user, password, realm, self._nonces.get(call, ""))
        self.auth.append(("accepted" if ok else "refused", m))
        if ok:
            self._reply(m, addr, 200, "OK", [("Contact", "<sip:%s@%s:%d>" % (user, self.host, self.port)),
                                             ("Content-Type", "application/sdp")])
        else:
            self._reply(m, addr, 403, "Forbidden")
