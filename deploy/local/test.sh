#!/usr/bin/env bash
# test.sh unit|integration|all: the test pipeline of `make test` (after bootstrap and build).
#  unit:        every <build>/unit_* Criterion runner (ASan/UBSan build), then the fuzz corpus
#               replays (<build>/fuzz_*).
#  integration: a private stack in .run/test on ports offset by 50 (so it runs next to
#               `make run`), `pytest -q tests/integration`, the stack stopped even on failure.
# Exit status non-zero on any failure; the last lines printed are the runners' own summaries.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${OI_BUILD_DIR:-$ROOT/build}
STACK="$HERE/stack.sh"
STACKLOG="$ROOT/.run/test-stack.log"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_unit() {
  local rc=0 r n found=0
  for r in "$BUILD"/unit_*; do
    [[ -x "$r" && -f "$r" ]] || continue
    found=1
    echo "== $(basename "$r")"
    "$r" --jobs "${OI_TEST_JOBS:-2}" || rc=1
  done
  for r in "$BUILD"/fuzz_*; do
    [[ -x "$r" && -f "$r" ]] || continue
    n=${r##*/fuzz_}
    [[ -d "$ROOT/tests/fuzz/$n/corpus" ]] || continue
    echo "== $(basename "$r") (corpus replay)"
    "$r" "$ROOT/tests/fuzz/$n/corpus" || rc=1
  done
  if ((!found)); then
    echo "no unit test runners in $BUILD (build first)" >&2
    return 1
  fi
  return $rc
}

pick_python() {
  local p
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import pytest' 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  echo "pytest is not installed (deploy/local/bootstrap.sh installs python3-pytest)" >&2
  return 1
}

run_integration() {
  local py; py=$(pick_python) || return 1
  export OI_RUN_DIR="$ROOT/.run/test"
  export OI_PORT_OFFSET=${OI_TEST_PORT_OFFSET:-50}
  export OI_PG_FAST=1
  # two replicas of every service: the fault and scale-out tests need them, and every other
  # test then runs through ZeroMQ round-robin over both
  export OI_REPLICAS=${OI_TEST_REPLICAS:-2}
  # short job leases and carrier timeouts so crash-resume tests finish in seconds
  export OI_JOB_LEASE_MS=${OI_JOB_LEASE_MS:-3000}
  export OI_JOB_BACKOFF_BASE_MS=${OI_JOB_BACKOFF_BASE_MS:-200}
  export OI_JOB_BACKOFF_CAP_MS=${OI_JOB_BACKOFF_CAP_MS:-2000}
  export OI_SHUTDOWN_GRACE_MS=${OI_SHUTDOWN_GRACE_MS:-5000}
  export OI_LOG_LEVEL=${OI_TEST_LOG_LEVEL:-debug}
  # the suite fires hundreds of calls at once from one key (concurrency, engine, fault tests):
  # limits far above them; test_rate_limits.py restarts the gateways with small ones
  export OI_RATE_KEY_RPS=${OI_RATE_KEY_RPS:-100000} OI_RATE_KEY_BURST=${OI_RATE_KEY_BURST:-100000}
  export OI_RATE_WORKSPACE_RPS=${OI_RATE_WORKSPACE_RPS:-100000} OI_RATE_WORKSPACE_BURST=${OI_RATE_WORKSPACE_BURST:-100000}
  export OI_RATE_PURCHASE_RPS=${OI_RATE_PURCHASE_RPS:-100000} OI_RATE_PURCHASE_BURST=${OI_RATE_PURCHASE_BURST:-100000}
  # the engine and fault tests buy hundreds of numbers per workspace; test_quotas.py sets small ones
  export OI_QUOTA_PURCHASES_PER_DAY=${OI_QUOTA_PURCHASES_PER_DAY:-1000000}
  export OI_BUILD_DIR="$BUILD"
  unset OI_HTTP_PORT OI_PG_PORT OI_REDIS_PORT OI_SIM_PORT OI_ADMIN_TOKEN OI_INTERNAL_TOKEN OI_SECRET_KEY
  # register fallbacks (docs/WIRING.md): the test stack sets the TELNYX_* trio only, so a
  # telnyx register may omit provider_config while a twilio one must bring it (or an
  # integration): both halves of the resolution are tested. Test-only dummy values.
  unset TWILIO_TRUNK_ADDRESS TWILIO_SIP_USERNAME TWILIO_SIP_PASSWORD
  export TELNYX_TRUNK_ADDRESS=sip.telnyx.com
  export TELNYX_SIP_USERNAME=oi-test-telnyx-user
  export TELNYX_SIP_PASSWORD=oi-test-telnyx-env-password
  export OI_TEST_ENV_SECRETS="$TELNYX_SIP_PASSWORD"
  # the SIP edge (tests/integration/test_sip_edge.py): Twilio sends from 127.0.0.1, Telnyx from
  # 127.0.0.3, agents place outbound calls from 127.0.0.4, anything else (127.0.0.2) is refused;
  # the tests play the agent endpoint and the outbound trunk
  local agent_port=$((5090 + OI_PORT_OFFSET)) agent_uri
  agent_uri="sip:{agent_id}@127.0.0.1:$agent_port"
  export OI_SIP_TWILIO_SOURCES=${OI_SIP_TWILIO_SOURCES-127.0.0.1/32}
  export OI_SIP_TELNYX_SOURCES=${OI_SIP_TELNYX_SOURCES-127.0.0.3/32}
  export OI_SIP_AGENT_SOURCES=${OI_SIP_AGENT_SOURCES-127.0.0.4/32}
  export OI_AGENT_SIP_URI=${OI_AGENT_SIP_URI:-$agent_uri}
  export OI_VOICEMAIL_SIP_URI=${OI_VOICEMAIL_SIP_URI:-sip:voicemail@127.0.0.1:$agent_port}
  export OI_AGENT_RING_TIMEOUT_MS=${OI_AGENT_RING_TIMEOUT_MS:-1500}
  # idempotency records and old jobs' sealed requests past their retention go within a second
  # (test_idempotency_at_rest.py, test_job_retention.py)
  export OI_IDEMPOTENCY_PURGE_MS=${OI_IDEMPOTENCY_PURGE_MS:-1000}
  export OI_JOB_RETENTION_PURGE_MS=${OI_JOB_RETENTION_PURGE_MS:-1000}
  # today's immediate release for the suite; test_quarantine.py restarts oi-provisioning with the default
  export OI_RELEASE_QUARANTINE_HOURS=${OI_RELEASE_QUARANTINE_HOURS:-0}

  mkdir -p "$ROOT/.run"
  "$STACK" purge >"$STACKLOG" 2>&1 || true
  # stopped even on failure or interruption, and its database cluster removed (nothing of a test
  # run outlives it; the logs stay in .run/test); quietly, so the last lines stay pytest's
  trap '"$STACK" discard >>"$STACKLOG" 2>&1' EXIT
  trap 'exit 130' INT TERM
  if ! "$STACK" up 2>&1 | tee -a "$STACKLOG"; then
    echo "the test stack did not start (above; full output in $STACKLOG)" >&2
  fi
  export OI_STACK_ENV="$OI_RUN_DIR/stack.env"
  local rc=0 r
  # the C tests of what talks to PostgreSQL itself (tests/pg): against the stack's server
  export OI_TEST_PG_CONNINFO
  OI_TEST_PG_CONNINFO="host=127.0.0.1 port=$(sed -n 's/^OI_PG_PORT=//p' "$OI_STACK_ENV") dbname=oneinbox user=postgres"
  for r in "$BUILD"/pgtest_*; do
    [[ -n "${OI_TEST_SELECT:-}" ]] && break
    [[ -x "$r" && -f "$r" ]] || continue
    echo "== $(basename "$r") (PostgreSQL at ${OI_TEST_PG_CONNINFO#host=})"
    "$r" --jobs "${OI_TEST_JOBS:-2}" || rc=1
  done
  # OI_TEST_SELECT narrows the run while working on something (pytest arguments, e.g.
  # "tests/integration/test_patch.py -k merge"); `make test` always runs everything
  # shellcheck disable=SC2086
  (cd "$ROOT" && timeout --signal=TERM "${OI_TEST_TIMEOUT_S:-900}" \
    "$py" -m pytest -q -p no:cacheprovider ${OI_TEST_SELECT:-tests/integration}) || rc=1
  # the services ran the sanitizer build: stopped now, any report they wrote (a leak is reported
  # at exit) fails the run, as a failing test would
  "$STACK" down >>"$STACKLOG" 2>&1 || true
  local reports
  reports=$(grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$OI_RUN_DIR"/logs/oi-*.log 2>/dev/null)
  if [[ -n "$reports" ]]; then
    echo "sanitizer reports in the services' logs:" >&2
    for f in $reports; do
      echo "== $f" >&2
      grep -h -A12 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$f" | head -40 >&2
    done
    rc=1
  fi
  return $rc
}

case "${1:-all}" in
  unit) run_unit ;;
  integration) run_integration ;;
  all)
    run_unit; unit_rc=$?
    echo "== deploy manifests (kustomize render + ports/env/probes check)"
    /usr/bin/python3 "$ROOT/tests/deploy/check_manifests.py" && /usr/bin/python3 "$ROOT/tests/deploy/selftest.py"
    dep_rc=$?
    # the dev overlay's containers (migration Job, then every service) started on loopback from
    # the rendered manifests, with the sanitizer build: probes, end-to-end calls, SIGTERM exit 0
    echo "== dev overlay smoke run (tests/deploy/smoke_dev.py)"
    /usr/bin/python3 "$ROOT/tests/deploy/smoke_dev.py" --build-dir "$BUILD" || dep_rc=1
    # the same, from the real image: make image (podman or docker, Debian base by debootstrap),
    # then every container of the overlay run from it, PostgreSQL and Redis included
    if [[ ${OI_TEST_IMAGE:-1} == 0 ]]; then
      echo "== container image: skipped (OI_TEST_IMAGE=0)"
    else
      echo "== container image (deploy/docker/build-image.sh) and the suite run from it"
      "$ROOT/deploy/docker/build-image.sh" &&
        /usr/bin/python3 "$ROOT/tests/deploy/smoke_dev.py" --image oneinbox:dev --port-offset 21000 || dep_rc=1
    fi
    echo "== OpenAPI document (docs/openapi/build.py --check, redocly lint)"
    /usr/bin/python3 "$ROOT/docs/openapi/build.py" --check &&
      REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
        "$ROOT/tools/docs/node_modules/.bin/redocly" lint "$ROOT/services/gateway/openapi.json"
    api_rc=$?
    run_integration; int_rc=$?
    exit $((unit_rc || dep_rc || api_rc || int_rc))
    ;;
  *) echo "usage: $0 unit|integration|all" >&2; exit 2 ;;
esac
