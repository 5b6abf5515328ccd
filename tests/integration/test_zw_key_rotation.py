"""Rotating OI_SECRET_KEY: with the new key and the old one as OI_SECRET_KEY_PREVIOUS every
secret kept so far still opens, and each service re-seals what it keeps onto the new key at
start (every sealed value of the whole suite so far, which also proves that each value is bound
to the row the re-seal's SQL names); then the old key can go. Runs late so the database holds
what the other modules sealed; restores the stack's own key afterwards."""
import os
import secrets as pysecrets
import time
import uuid
from urllib.parse import quote

import pytest

from oiclient import outbound_body, secret
from stackctl import Stack

SEALED_SQL = " UNION ALL ".join([
    "SELECT headers AS v FROM gateway.idempotency_keys",
    "SELECT body FROM gateway.idempotency_keys",
    "SELECT auth_password_sealed FROM dispatch.outbound_trunks",
    "SELECT api_key_sealed FROM provisioning.integrations",
    "SELECT sip_password_sealed FROM provisioning.integrations",
    "SELECT metadata_secrets_sealed FROM provisioning.integrations",
    "SELECT request_sealed FROM provisioning.jobs",
    "SELECT payload->>'sip_password_sealed' FROM provisioning.jobs",
    "SELECT trunk_password_sealed FROM provisioning.phone_numbers",
])


def psql(stack, sql):
    return [line for line in Stack(stack).psql(sql).splitlines() if line]


def key_ids(stack):
    """The formats and key ids of every sealed value in the database: {"v2:<kid>", "v1"}."""
    out = {}
    for v in psql(stack, "SELECT v FROM (%s) s WHERE v ~ '^v[0-9]:'" % SEALED_SQL):
        tag = ":".join(v.split(":")[:2]) if v.startswith("v2:") else v.split(":")[0]
        out[tag] = out.get(tag, 0) + 1
    return out


def stack_key(stack):
    with open(os.path.join(stack["OI_RUN_DIR"], "env")) as f:
        for line in f:
            if line.startswith("OI_SECRET_KEY="):
                return line.strip().split("=", 1)[1]
    raise AssertionError("no OI_SECRET_KEY in the stack's env file")


def keyed_services(ctl):
    names = sorted(n[:-4] for n in os.listdir(os.path.join(ctl.run_dir, "pids")) if n.endswith(".pid"))
    return [n for n in names if n.split(".")[0] in ("oi-gateway", "oi-provisioning", "oi-dispatch")]


def restart(ctl, env):
    for n in keyed_services(ctl):
        ctl.stop(n)
        ctl.start(n, env=env)


def settled(stack, want_kid_count=1, timeout=60):
    """The key ids once the re-seal passes are over: one key id and no v1 value left."""
    deadline = time.time() + timeout
    ids = key_ids(stack)
    while time.time() < deadline and len(ids) != want_kid_count:
        time.sleep(0.5)
        ids = key_ids(stack)
    return ids


def outbound(internal, number, agent):
    r = internal.get("/v1/routing/outbound?from=%s&agent_id=%s" % (quote(number["phone_number"]), agent))
    assert r.status == 200, r
    return r.json["auth_username"], r.json["auth_password"]


@pytest.fixture(scope="module")
def keys(stack):
    ctl = Stack(stack)
    old, new = stack_key(stack), pysecrets.token_hex(32)
    yield ctl, old, new
    # the stack's own key again: the old key current (re-sealing what the new one sealed), then alone
    restart(ctl, {"OI_SECRET_KEY": old, "OI_SECRET_KEY_PREVIOUS": new})
    settled(stack)
    restart(ctl, {"OI_SECRET_KEY": old, "OI_SECRET_KEY_PREVIOUS": ""})


def test_a_rotated_key_keeps_every_secret_readable_and_moves_them_onto_it(keys, stack, client, agents, internal):
    ctl, old, new = keys
    password = secret("rotation")
    n1 = client.register(outbound_body(agents["primary"], provider_config={
        "trunk_address": "trunk.example.net", "auth_username": "before", "auth_password": password})).json
    integ_pw = secret("integration-sip")
    cred = client.post("/v1/integrations", {"name": "rotation", "provider": "twilio", "api_key": secret("api-key"),
                                            "metadata": {"sip_trunk": "integ.example.net", "sip_username": "integ",
                                                         "sip_password": integ_pw}})
    assert cred.status == 201, cred
    idem = uuid.uuid4().hex
    first = client.post("/v1/agents", {"name": "rotation-agent"}, headers={"Idempotency-Key": idem})
    assert first.status == 201, first
    before = settled(stack)
    assert len(before) == 1 and not [k for k in before if not k.startswith("v2:")], before

    restart(ctl, {"OI_SECRET_KEY": new, "OI_SECRET_KEY_PREVIOUS": old})
    assert outbound(internal, n1, agents["primary"]) == ("before", password)
    again = client.post("/v1/agents", {"name": "rotation-agent"}, headers={"Idempotency-Key": idem})
    assert again.status == 201 and again.json == first.json, again  # the kept answer still opens
    body = outbound_body(agents["primary"], credential_id=cred.json["id"])
    del body["provider_config"]
    n2 = client.register(body).json  # the integration's sealed SIP password opened
    assert outbound(internal, n2, agents["primary"]) == ("integ", integ_pw)
    p = client.patch("/v1/phone-numbers/" + n1["id"], {"provider_config": {"auth_username": "after"}})
    assert p.status == 200, p  # the number's stored password opened and carried to its trunk
    assert outbound(internal, n1, agents["primary"]) == ("after", password)
    after = settled(stack)
    assert len(after) == 1 and list(after)[0] not in before, (before, after)  # every value moved

    restart(ctl, {"OI_SECRET_KEY": new, "OI_SECRET_KEY_PREVIOUS": ""})  # the old key gone
    assert outbound(internal, n1, agents["primary"]) == ("after", password)
    assert outbound(internal, n2, agents["primary"]) == ("integ", integ_pw)
    third = client.post("/v1/agents", {"name": "rotation-agent"}, headers={"Idempotency-Key": idem})
    assert third.status == 201 and third.json == first.json, third
