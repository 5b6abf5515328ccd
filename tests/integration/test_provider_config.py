"""provider_config resolution: the tenant's sources (the request, the integration named by
credential_id, metadata.sip_trunk being the trunk address) or, only when they give nothing, the
platform's env {PROVIDER}_TRUNK_ADDRESS / _SIP_USERNAME / _SIP_PASSWORD whole; the credentials
always as a pair from one source; incomplete → 400 SIP_TRUNK_PROVISION_FAILED.

The test stack (deploy/local/test.sh) sets the TELNYX_* trio and no TWILIO_* variable, so
twilio registers must bring their configuration while telnyx ones may omit it."""
import uuid

from oiclient import is_uuid, outbound_body, secret


def assert_incomplete(r):
    assert r.status == 400, r
    assert r.code == "SIP_TRUNK_PROVISION_FAILED", r


def integration(client, sip_trunk="customer.pstn.twilio.com", provider="twilio"):
    meta = {"account_sid": "AC" + uuid.uuid4().hex}
    if sip_trunk:
        meta["sip_trunk"] = sip_trunk
    r = client.post("/v1/integrations", {"name": "creds", "provider": provider, "api_key": secret("api-key"),
                                         "metadata": meta})
    assert r.status == 201, r
    return r.json["id"]


def test_twilio_without_config_is_400(client, agents):
    body = outbound_body(agents["primary"])
    del body["provider_config"]
    assert_incomplete(client.register(body, expect=None))


def test_twilio_empty_config_is_400(client, agents):
    assert_incomplete(client.register(outbound_body(agents["primary"], provider_config={}), expect=None))


def test_twilio_nulls_are_missing(client, agents):
    cfg = {"trunk_address": None, "auth_username": "oneinbox", "auth_password": secret()}
    assert_incomplete(client.register(outbound_body(agents["primary"], provider_config=cfg), expect=None))


def test_twilio_missing_password_is_400(client, agents):
    cfg = {"trunk_address": "yourtrunk.pstn.twilio.com", "auth_username": "oneinbox"}
    assert_incomplete(client.register(outbound_body(agents["primary"], provider_config=cfg), expect=None))


def test_trunk_address_from_integration(client, agents):
    cred = integration(client)
    cfg = {"auth_username": "oneinbox", "auth_password": secret()}
    r = client.register(outbound_body(agents["primary"], provider_config=cfg, credential_id=cred), expect=None)
    assert r.status == 201, r
    assert r.json["outbound_trunk_id"]


def test_request_wins_over_integration(client, agents):
    cred = integration(client)
    body = outbound_body(agents["primary"], credential_id=cred)
    r = client.register(body, expect=None)
    assert r.status == 201, r
    assert is_uuid(r.json["id"]) and r.json["outbound_trunk_id"], r


def test_integration_without_sip_trunk_is_400(client, agents):
    cred = integration(client, sip_trunk=None)
    cfg = {"auth_username": "oneinbox", "auth_password": secret()}
    assert_incomplete(client.register(outbound_body(agents["primary"], provider_config=cfg, credential_id=cred),
                                      expect=None))


def test_unknown_credential(client, agents):
    cfg = {"auth_username": "oneinbox", "auth_password": secret()}
    r = client.register(outbound_body(agents["primary"], provider_config=cfg, credential_id=str(uuid.uuid4())),
                        expect=None)
    assert r.status in (400, 404), r
    assert r.code in ("INTEGRATION_NOT_FOUND", "SIP_TRUNK_PROVISION_FAILED"), r


def test_other_workspace_credential_is_not_used(client, other, agents):
    cred = integration(other)
    cfg = {"auth_username": "oneinbox", "auth_password": secret()}
    r = client.register(outbound_body(agents["primary"], provider_config=cfg, credential_id=cred), expect=None)
    assert r.status in (400, 404), r
    assert r.code in ("INTEGRATION_NOT_FOUND", "SIP_TRUNK_PROVISION_FAILED"), r


def test_telnyx_falls_back_to_env(client, agents):
    body = outbound_body(agents["primary"], provider="telnyx")
    del body["provider_config"]
    r = client.register(body, expect=None)
    assert r.status == 201, r
    assert r.json["provider"] == "telnyx" and r.json["outbound_trunk_id"]


def test_telnyx_partial_config_is_never_completed_from_env(client, agents):
    """The tenant's username with the platform's password would be the platform's secret."""
    body = outbound_body(agents["primary"], provider="telnyx",
                         provider_config={"trunk_address": "sip.telnyx.com", "auth_username": "mine"})
    r = client.register(body, expect=None)
    assert_incomplete(r)
    assert "auth_password" in r.json["detail"]["message"], r


def test_a_tenants_address_never_gets_the_platforms_credentials(client, agents):
    body = outbound_body(agents["primary"], provider="telnyx",
                         provider_config={"trunk_address": "pbx.tenant.example"})
    r = client.register(body, expect=None)
    assert_incomplete(r)
    assert "auth_username, auth_password" in r.json["detail"]["message"], r
    assert client.get("/v1/phone-numbers").json == []


def test_failed_register_leaves_nothing(client, agents):
    body = outbound_body(agents["primary"])
    number = body["phone_number"]
    del body["provider_config"]
    assert_incomplete(client.register(body, expect=None))
    assert client.get("/v1/phone-numbers").json == []
    r = client.register(outbound_body(agents["primary"], number=number), expect=None)
    assert r.status == 201, r
