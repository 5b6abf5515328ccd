"""Every thread of every service runs under SCHED_BATCH (oi/sched.h), and OI_SCHED_BATCH=0 keeps
the kernel's default policy."""
import os

SCHED_OTHER, SCHED_BATCH = 0, 3
SERVICES = ("oi-gateway", "oi-provisioning", "oi-dispatch", "oi-carrier")


def thread_policies(pid):
    """{thread id: policy} of a process, from /proc (stat field 41)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[tid] = int(fields[38])  # fields after "comm)" start at field 3
    return out


def test_every_thread_of_every_service_runs_under_sched_batch(ctl):
    for name in SERVICES:
        policies = thread_policies(ctl.pid(name))
        assert len(policies) > 2, (name, policies)  # the loop, ZeroMQ's I/O thread, ...
        assert set(policies.values()) == {SCHED_BATCH}, (name, policies)


def test_sched_batch_off_keeps_the_default_policy(ctl):
    with ctl.started_with(["oi-carrier"], {"OI_SCHED_BATCH": "0"}):
        policies = thread_policies(ctl.pid("oi-carrier"))
        assert set(policies.values()) == {SCHED_OTHER}, policies
    assert set(thread_policies(ctl.pid("oi-carrier")).values()) == {SCHED_BATCH}
