"""Integrations: POST/GET /v1/integrations, GET/DELETE /v1/integrations/{id}; secrets write-only."""
import uuid

import pytest

from oiclient import is_uuid, secret


def seed_body(api_key=None):
    """The integration curl of seed 001, Path C step 3."""
    return {
        "name": "My Twilio Account",
        "provider": "twilio",
        "api_key": api_key or secret("twilio-token"),
        "metadata": {
            "account_sid": "AC" + uuid.uuid4().hex,
            "phone_number": "+15739693824",
            "sip_trunk": "yourtrunk.pstn.twilio.com",
        },
    }


def test_create_get_list_never_return_the_secret(client):
    body = seed_body()
    r = client.post("/v1/integrations", body)
    assert r.status == 201, r
    assert is_uuid(r.json["id"]) and r.json["provider"] == "twilio"
    assert body["api_key"] not in r.text and "api_key" not in r.json
    g = client.get("/v1/integrations/" + r.json["id"])
    assert g.status == 200, g
    assert g.json["id"] == r.json["id"] and g.json["name"] == "My Twilio Account"
    assert body["api_key"] not in g.text and "api_key" not in g.json
    assert g.json["metadata"]["sip_trunk"] == "yourtrunk.pstn.twilio.com"
    lst = client.get("/v1/integrations")
    assert lst.status == 200 and isinstance(lst.json, list)
    assert [x["id"] for x in lst.json] == [r.json["id"]]
    assert body["api_key"] not in lst.text


def test_telnyx_integration(client):
    r = client.post("/v1/integrations", {"name": "tx", "provider": "telnyx", "api_key": secret("telnyx-key")})
    assert r.status == 201, r
    assert r.json["provider"] == "telnyx"


@pytest.mark.parametrize("mutate,loc", [
    (lambda b: b.pop("name"), ("body", "name")),
    (lambda b: b.pop("provider"), ("body", "provider")),
    (lambda b: b.pop("api_key"), ("body", "api_key")),
    (lambda b: b.update(provider="vonage"), ("body", "provider")),
    (lambda b: b.update(api_key=""), ("body", "api_key")),
    (lambda b: b["metadata"].update(phone_number="+0123"), ("body", "metadata", "phone_number")),
    (lambda b: b["metadata"].update(sip_trunk="x" * 256), ("body", "metadata", "sip_trunk")),
    (lambda b: b.update(metadata="nope"), ("body", "metadata")),
])
def test_validation(client, mutate, loc):
    body = seed_body()
    mutate(body)
    r = client.post("/v1/integrations", body)
    assert r.status == 422, r
    assert loc in r.locs(), r


def test_delete(client):
    r = client.post("/v1/integrations", seed_body())
    iid = r.json["id"]
    d = client.delete("/v1/integrations/" + iid)
    assert d.status == 204 and d.text == "", d
    g = client.get("/v1/integrations/" + iid)
    assert g.status == 404 and g.code == "INTEGRATION_NOT_FOUND", g
    assert client.delete("/v1/integrations/" + iid).status == 404


def test_other_workspace_is_404(client, other):
    r = client.post("/v1/integrations", seed_body())
    iid = r.json["id"]
    assert other.get("/v1/integrations/" + iid).status == 404
    assert other.delete("/v1/integrations/" + iid).status == 404
    assert other.get("/v1/integrations").json == []
    assert client.get("/v1/integrations/" + iid).status == 200


def test_unknown_id(client):
    g = client.get("/v1/integrations/" + str(uuid.uuid4()))
    assert g.status == 404 and g.code == "INTEGRATION_NOT_FOUND", g


def test_metadata_secrets_at_any_depth_are_kept_out_of_every_answer(client):
    from oiclient import secret
    hidden = [secret("nested-token"), secret("private-key"), secret("creds")]
    meta = {"sip_trunk": "t.pstn.twilio.com", "region": "us1",
            "oauth": {"client_id": "cid-1", "token": hidden[0]},
            "keys": [{"id": "k1", "private_key": hidden[1]}],
            "credentials": {"user": "u", "pass": hidden[2]}}
    r = client.post("/v1/integrations", {"name": "deep", "provider": "twilio", "api_key": secret("api-key"),
                                         "metadata": meta})
    assert r.status == 201, r
    for text in (r.text, client.get("/v1/integrations/" + r.json["id"]).text, client.get("/v1/integrations").text):
        assert not [h for h in hidden if h in text], text
    m = r.json["metadata"]
    assert m["sip_trunk"] == "t.pstn.twilio.com" and m["region"] == "us1"
    assert m["oauth"] == {"client_id": "cid-1"} and m["keys"] == [{"id": "k1"}]
    assert "credentials" not in m
