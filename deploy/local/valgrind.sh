#!/usr/bin/env bash
# valgrind.sh [oi-gateway oi-provisioning oi-dispatch oi-carrier]: memcheck of the services
# under real traffic, on a running stack (`make up`, ideally from a non-sanitizer build:
# OI_BUILD_DIR=$PWD/build-release deploy/local/stack.sh up).
#
# Each named service is stopped and started again under valgrind with exactly the environment
# the stack gave it; registrations, resolves (ZeroMQ and HTTP), number reads and purchases run
# through it (tests/bench at small sizes), then it gets SIGTERM. It passes when valgrind reports
# no error and no definitely/indirectly lost block and the service exits 0. The service is then
# started normally again. Logs: .run/logs/valgrind-<svc>.log.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUN=${OI_RUN_DIR:-$ROOT/.run}
STACK="$HERE/stack.sh"
BUILD=${OI_BUILD_DIR:-$ROOT/build}
SERVICES=("$@")
((${#SERVICES[@]})) || SERVICES=(oi-gateway oi-provisioning oi-dispatch oi-carrier)
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[[ -f "$RUN/stack.env" ]] || { echo "no running stack in $RUN (make up)" >&2; exit 2; }
if nm -D "$BUILD/oi-gateway" 2>/dev/null | grep -q __asan_init; then
  echo "$BUILD is a sanitizer build: valgrind cannot run it (use a Release build, see above)" >&2
  exit 2
fi
ops_port() { case $1 in oi-gateway) echo 9080 ;; oi-provisioning) echo 9201 ;; oi-dispatch) echo 9301 ;; oi-carrier) echo 9401 ;; esac; }

rc=0
for svc in "${SERVICES[@]}"; do
  pid=$(cat "$RUN/pids/$svc.pid" 2>/dev/null) || { echo "$svc is not running" >&2; rc=1; continue; }
  mapfile -t env_of_svc < <(tr '\0' '\n' <"/proc/$pid/environ" | grep -E '^(OI_|TWILIO_|TELNYX_|PATH=|HOME=)')
  "$STACK" stop "$svc" >/dev/null
  log="$RUN/logs/valgrind-$svc.log"
  env -i "${env_of_svc[@]}" valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=9 --num-callers=30 \
    "$BUILD/$svc" >"$log.out" 2>"$log" &
  vpid=$!
  port=$(ops_port "$svc")
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  python3 "$ROOT/tests/bench/resolve.py" --loadgen "$BUILD/bench_loadgen" --numbers 100 --concurrency 8 \
    --seconds 2 --settle 0 >/dev/null 2>&1 || echo "$svc: resolve traffic reported an error" >&2
  python3 "$ROOT/tests/bench/purchase.py" --seconds 2 --concurrency 4 >/dev/null 2>&1 ||
    echo "$svc: purchase traffic reported an error" >&2
  kill -TERM "$vpid"
  wait "$vpid"
  status=$?
  errors=$(grep -oE 'ERROR SUMMARY: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  if [[ $status -eq 0 && $errors == 0 ]]; then
    echo "PASS $svc: valgrind clean, exit 0 after SIGTERM"
  else
    echo "FAIL $svc: exit $status, $errors valgrind errors (see $log)"
    rc=1
  fi
  "$STACK" start "$svc" >/dev/null
done
exit $rc
