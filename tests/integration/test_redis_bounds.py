"""Every key the suite writes in Redis has a lifetime (or is one of a fixed few): numbers long
unused, deleted numbers and finished calls leave nothing behind."""
from urllib.parse import quote

import resp
from oiclient import path_c_body


def test_every_key_has_a_lifetime(stack, client, agents, internal):
    n = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
    to = quote(n["phone_number"])
    assert internal.get("/v1/routing/resolve?to=" + to).status == 200  # versions and caches it
    assert client.patch("/v1/phone-numbers/" + n["id"], {"friendly_name": "x"}).status == 200  # invalidates
    assert internal.post("/v1/routing/failures", {"call_id": "bounds-1", "agent_id": agents["routing"],
                                                  "to": n["phone_number"]}).status == 204
    assert internal.get("/v1/routing/resolve?to=%s&call_id=bounds-1" % to).status == 200
    r = resp.for_stack(stack)
    try:
        keys = r.keys()
        forever = [k for k in keys if k != b"dsp:gen" and r.call(b"TTL", k) == -1]
        version = b"dsp:rv:" + n["phone_number"].encode()
        assert version in keys and r.call(b"TTL", version) > 0
    finally:
        r.close()
    assert not forever, forever[:10]
