"""The carrier simulator's admin API (faults, counters, taking numbers), and its carrier APIs
as the carriers' own clients see them (what a trunk, credential list or connection looks like
on the account), for tests."""
import base64
import json
import urllib.error
import urllib.parse
import urllib.request


class Sim:
    def __init__(self, url, stack=None):
        self.url = url.rstrip("/")
        self.stack = stack or {}

    def carrier(self, provider, path):
        """GET path on the simulated carrier API with the platform's credentials (JSON)."""
        if provider == "twilio":
            sid = self.stack["OI_SIM_TWILIO_ACCOUNT_SID"]
            raw = ("%s:%s" % (sid, self.stack["OI_SIM_TWILIO_AUTH_TOKEN"])).encode()
            auth = "Basic " + base64.b64encode(raw).decode()
            path = path.replace("{AC}", sid)
        else:
            auth = "Bearer " + self.stack["OI_SIM_TELNYX_API_KEY"]
            path = "/v2" + path
        req = urllib.request.Request(self.url + path, headers={"Authorization": auth})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def carrier_send(self, provider, method, path, form=None):
        """method on path of the simulated carrier API with the platform's credentials, as the
        carrier's own console or another client would (behind the suite's back). form: Twilio's
        form fields, or Telnyx's JSON body. Returns (status, JSON or None)."""
        if provider == "twilio":
            sid = self.stack["OI_SIM_TWILIO_ACCOUNT_SID"]
            raw = ("%s:%s" % (sid, self.stack["OI_SIM_TWILIO_AUTH_TOKEN"])).encode()
            headers = {"Authorization": "Basic " + base64.b64encode(raw).decode(),
                       "Content-Type": "application/x-www-form-urlencoded"}
            path = path.replace("{AC}", sid)
            data = urllib.parse.urlencode(form).encode() if form is not None else None
        else:
            headers = {"Authorization": "Bearer " + self.stack["OI_SIM_TELNYX_API_KEY"],
                       "Content-Type": "application/json"}
            path = "/v2" + path
            data = json.dumps(form).encode() if form is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def twilio_trunk(self, name):
        """The trunk named name with its credential lists and their usernames, or None."""
        t = next((t for t in self.carrier("twilio", "/v1/Trunks?PageSize=1000")["trunks"]
                  if t["friendly_name"] == name), None)
        if t is None:
            return None
        t["credential_lists"] = self.carrier("twilio", "/v1/Trunks/%s/CredentialLists" % t["sid"])["credential_lists"]
        for cl in t["credential_lists"]:
            creds = self.carrier("twilio", "/2010-04-01/Accounts/{AC}/SIP/CredentialLists/%s/Credentials.json" % cl["sid"])
            cl["usernames"] = [c["username"] for c in creds["credentials"]]
        return t

    def twilio_credential_lists(self, name):
        return [cl for cl in self.carrier("twilio", "/2010-04-01/Accounts/{AC}/SIP/CredentialLists.json?PageSize=1000")
                ["credential_lists"] if cl["friendly_name"] == name]

    def telnyx_credential_connections(self, name):
        q = urllib.parse.quote(name)
        found = self.carrier("telnyx", "/credential_connections?filter%%5Bconnection_name%%5D%%5Bcontains%%5D=%s" % q)
        return [c for c in found["data"] if c["connection_name"] == name]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    def fault(self, route, **effects):
        return self._call("POST", "/sim/faults", {"route": route, **effects})

    def clear(self):
        return self._call("DELETE", "/sim/faults")

    def counters(self):
        return self._call("GET", "/sim/counters")

    def mark(self):
        """Counters are cumulative over the run; later checks count from this point."""
        self._base = self.counters()

    def _since(self, kind, number):
        base = getattr(self, "_base", None) or {"purchases": {}, "releases": {}}
        return self.counters()[kind].get(number, 0) - base[kind].get(number, 0)

    def purchases(self, number):
        return self._since("purchases", number)

    def releases(self, number):
        return self._since("releases", number)

    def owned(self):
        return set(self.counters()["owned"])

    def calls(self, route):
        return self.counters()["calls"].get(route, 0)

    def take(self, number):
        return self._call("POST", "/sim/take", {"phone_number": number})
