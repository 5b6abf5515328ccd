"""A finished job keeps its sealed request (and the sealed secrets of its payload) only for
OI_JOB_RETENTION_DAYS; then they are cleared and the job itself stays."""
import subprocess
import time

from oiclient import path_c_body


def sql(stack, q):
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(stack["OI_PG_PORT"]), "-U", "postgres", "-d", "oneinbox",
                        "-At", "-c", q], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_old_jobs_lose_their_sealed_request_and_keep_the_rest(client, agents, stack):
    old = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
    fresh = client.register(path_c_body(agents["primary"], agents["routing"], agents["fallback"])).json
    where = "number_id = '%s' AND kind = 'register'"
    deadline = time.monotonic() + 10
    while sql(stack, "SELECT state FROM provisioning.jobs WHERE " + where % old["id"]) != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert sql(stack, "SELECT request_sealed <> '' FROM provisioning.jobs WHERE " + where % old["id"]) == "t"
    sql(stack, "UPDATE provisioning.jobs SET updated_at = now() - interval '31 days' WHERE " + where % old["id"])
    deadline = time.monotonic() + 15
    while sql(stack, "SELECT request_sealed FROM provisioning.jobs WHERE " + where % old["id"]) != "":
        assert time.monotonic() < deadline, "not cleared after its retention"
        time.sleep(0.3)
    assert sql(stack, "SELECT state FROM provisioning.jobs WHERE " + where % old["id"]) == "succeeded"
    assert sql(stack, "SELECT request_sealed <> '' FROM provisioning.jobs WHERE " + where % fresh["id"]) == "t"
    assert client.get("/v1/phone-numbers/" + old["id"]).status == 200
