"""`make run` again on a running stack: it finds every piece running, starts nothing twice,
stops nothing, and writes a whole stack.env."""
import os

import oiclient

# what a user's shell does not have (test.sh exports them for the edge it starts)
EDGE_SETTINGS = ("OI_AGENT_SIP_URI", "OI_VOICEMAIL_SIP_URI", "OI_AGENT_RING_TIMEOUT_MS", "OI_SIP_API_URL")


def test_up_again_keeps_the_running_stack_and_writes_its_env(ctl):
    path = os.path.join(ctl.run_dir, "stack.env")
    with open(path, "rb") as f:
        kept = f.read()
    before = ctl.running()
    assert "oi-gateway" in before and "oi-sip-edge" in before, before
    try:
        ctl.up(unset=EDGE_SETTINGS)
        after = ctl.running()
        assert after == before
        assert all(ctl.alive(name) for name in after), after
        env = oiclient.load_stack_env(path)
        for name in ("OI_GATEWAY_URL", "OI_ADMIN_TOKEN", "OI_AGENT_SIP_URI", "OI_SIP_URI"):
            assert env.get(name), name
        assert oiclient.Client(env["OI_GATEWAY_URL"], timeout=5).get("/healthz").status == 200
    finally:
        with open(path, "wb") as f:  # the edge runs with the suite's settings: its file says so
            f.write(kept)
