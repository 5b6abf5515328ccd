"""The carrier simulator's admin API (faults, counters, taking numbers), for tests."""
import json
import urllib.request


class Sim:
    def __init__(self, url):
        self.url = url.rstrip("/")

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
