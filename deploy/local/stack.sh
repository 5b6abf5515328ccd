#!/usr/bin/env bash
# stack.sh up|down|status|env: the whole suite on loopback — a private PostgreSQL cluster,
# a redis-server without persistence, and the five processes from the build directory.
#
# Everything lives under OI_RUN_DIR (default <repo>/.run): pg/ (cluster), sock/ (unix
# socket), logs/<svc>.log, pids/<name>.pid, env (generated secrets, reused on the next run)
# and stack.env (what a client needs: URLs, tokens, log directory).
#
# Ports (docs/WIRING.md) are the defaults plus OI_PORT_OFFSET (default 0); each can be set
# on its own: OI_PG_PORT 25432, OI_REDIS_PORT 26379, OI_HTTP_PORT 8080, OI_GATEWAY_OPS_PORT
# 9080, OI_PROVISIONING_RPC_PORT 7201 / OI_PROVISIONING_OPS_PORT 9201, OI_DISPATCH_RPC_PORT
# 7301 / OI_DISPATCH_OPS_PORT 9301, OI_CARRIER_RPC_PORT 7401 / OI_CARRIER_OPS_PORT 9401,
# OI_SIM_PORT 8901, OI_SIP_PORT 5080 (the SIP edge, UDP and TCP), OI_SIP_OPS_PORT 9500 (its HTTP). OI_REPLICAS=N runs N replicas of each service (not the simulator) on
# consecutive ports. OI_BUILD_DIR (default <repo>/build) holds the binaries. OI_PG_EXTRA_OPTS adds
# "-c name=value" settings to the PostgreSQL server.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${OI_RUN_DIR:-$ROOT/.run}
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
BUILD=${OI_BUILD_DIR:-$ROOT/build}
OFF=${OI_PORT_OFFSET:-0}
REPLICAS=${OI_REPLICAS:-1}
START_TIMEOUT=${OI_START_TIMEOUT_S:-90}
PG_USER_OS=${OI_PG_OS_USER:-oneinbox}

PG_PORT=${OI_PG_PORT:-$((25432 + OFF))}
REDIS_PORT=${OI_REDIS_PORT:-$((26379 + OFF))}
HTTP_PORT=${OI_HTTP_PORT:-$((8080 + OFF))}
GW_OPS=${OI_GATEWAY_OPS_PORT:-$((9080 + OFF))}
PROV_RPC=${OI_PROVISIONING_RPC_PORT:-$((7201 + OFF))}
PROV_OPS=${OI_PROVISIONING_OPS_PORT:-$((9201 + OFF))}
DSP_RPC=${OI_DISPATCH_RPC_PORT:-$((7301 + OFF))}
DSP_OPS=${OI_DISPATCH_OPS_PORT:-$((9301 + OFF))}
CAR_RPC=${OI_CARRIER_RPC_PORT:-$((7401 + OFF))}
CAR_OPS=${OI_CARRIER_OPS_PORT:-$((9401 + OFF))}
SIM_PORT=${OI_SIM_PORT:-$((8901 + OFF))}
SIP_PORT=${OI_SIP_PORT:-$((5080 + OFF))}
SIP_OPS_PORT=${OI_SIP_OPS_PORT:-$((9500 + OFF))}

# the simulator's account credentials; oi-carrier is given the same ones
SIM_TWILIO_SID=AC5f2c9e0d1b7a48e6a3c4d5e6f7a8b9c0
SIM_TWILIO_TOKEN=0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f
SIM_TELNYX_KEY=KEYsim0000000000000000000000000000_simtelnyxsecret

SERVICES=(oi-dispatch oi-carrier oi-provisioning oi-gateway) # started after oi-carrier-sim, in this order

log() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------- helpers
pg_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir)
    [[ -x "$d/initdb" ]] && { echo "$d"; return; }
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [[ -n "$d" && -x "$d/initdb" ]] || die "PostgreSQL server binaries not found (run deploy/local/bootstrap.sh)"
  echo "$d"
}

# run a command as the cluster owner (postgres refuses to run as root)
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u "$PG_USER_OS" -- "$@"; else "$@"; fi
}

ensure_pg_user() {
  [[ $(id -u) -eq 0 ]] || return 0
  if ! id "$PG_USER_OS" >/dev/null 2>&1; then
    log "creating system user $PG_USER_OS (owner of the private PostgreSQL cluster)"
    useradd --system --user-group --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin "$PG_USER_OS"
  fi
}

pid_of() { [[ -f "$RUN/pids/$1.pid" ]] && cat "$RUN/pids/$1.pid" || true; }

# alive NAME BINARY: the recorded pid runs BINARY (guards against a recycled pid)
alive() {
  local pid; pid=$(pid_of "$1")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ -z "${2:-}" ]] && return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

show_tail() {
  local f=$1
  [[ -f "$f" ]] || { echo "  (no log at $f)" >&2; return; }
  echo "---- last lines of $f ----" >&2
  tail -n 30 "$f" >&2
  echo "----" >&2
}

# wait_http NAME URL LOGFILE: until URL answers 2xx, the process dies, or the timeout
wait_http() {
  local name=$1 url=$2 logf=$3 deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    http_ok "$url" && return 0
    if ! alive "$name"; then
      log "$name exited during start-up"
      show_tail "$logf"
      return 1
    fi
    sleep 0.2
  done
  log "$name did not answer $url within ${START_TIMEOUT}s"
  show_tail "$logf"
  return 1
}

# port_taken LOG PORT WHAT VAR: when LOG says the port was in use, says so by name and what to do.
port_taken() {
  grep -q "Address already in use" "$1" 2>/dev/null || return 0
  log "port $2 ($3) is in use: by a listener, or a recent connection still holding it (ss -tanp | grep :$2)"
  log "choose another: $4=<free port>, or OI_PORT_OFFSET=<n> to shift every port of this stack"
}

# ---------------------------------------------------------------------------------- secrets
load_secrets() {
  local f="$RUN/env" changed=0 k v line
  if [[ -f "$f" ]]; then
    # split by hand: read with IFS='=' drops a value's one trailing '=' (Z85 keys end in one)
    while IFS= read -r line; do
      k=${line%%=*} v=${line#*=}
      case "$k" in
        OI_SECRET_KEY|OI_ADMIN_TOKEN|OI_INTERNAL_TOKEN|OI_REDIS_PASSWORD) [[ -n "${!k:-}" ]] || export "$k=$v" ;;
        # each process is given its own (rpc_env): never exported to all of them
        OI_RPC_CURVE_*) [[ -n "${!k:-}" ]] || printf -v "$k" '%s' "$v" ;;
      esac
    done <"$f"
  fi
  if [[ -z "${OI_SECRET_KEY:-}" ]]; then
    OI_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n'); changed=1
  fi
  if [[ -z "${OI_ADMIN_TOKEN:-}" ]]; then
    OI_ADMIN_TOKEN=oi_admin_$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n'); changed=1
  fi
  if [[ -z "${OI_INTERNAL_TOKEN:-}" ]]; then
    OI_INTERNAL_TOKEN=oi_internal_$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n'); changed=1
  fi
  if [[ -z "${OI_REDIS_PASSWORD:-}" ]]; then
    OI_REDIS_PASSWORD=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n'); changed=1
  fi
  # the RPC plane's CURVE keys (libcommon/src/rpc_curve.c): a server pair for each service that
  # serves (OI_RPC_CURVE_<SVC>_SERVER_KEY, the public half clients expect, and _SERVER_SECRET); a
  # client pair for each service that calls another (gateway, provisioning) and one for tools
  # (bench_loadgen, as OI_RPC_CURVE_CLIENT_*); each server admits only its callers (rpc_env
  # below). None when this build has no oi-rpc-keygen
  if [[ -z "${OI_RPC_CURVE_CARRIER_SERVER_SECRET:-}" && -x "$BUILD/oi-rpc-keygen" ]]; then
    local pair s
    for s in PROVISIONING DISPATCH CARRIER; do
      pair=$("$BUILD/oi-rpc-keygen") && printf -v "OI_RPC_CURVE_${s}_SERVER_KEY" '%s' "${pair%% *}" \
        && printf -v "OI_RPC_CURVE_${s}_SERVER_SECRET" '%s' "${pair#* }"
    done
    pair=$("$BUILD/oi-rpc-keygen") && OI_RPC_CURVE_CLIENT_PUBLIC_KEY=${pair%% *} OI_RPC_CURVE_CLIENT_SECRET_KEY=${pair#* }
    pair=$("$BUILD/oi-rpc-keygen") && OI_RPC_CURVE_GATEWAY_PUBLIC_KEY=${pair%% *} OI_RPC_CURVE_GATEWAY_SECRET_KEY=${pair#* }
    pair=$("$BUILD/oi-rpc-keygen") && OI_RPC_CURVE_PROVISIONING_PUBLIC_KEY=${pair%% *} \
      OI_RPC_CURVE_PROVISIONING_SECRET_KEY=${pair#* }
    changed=1
  fi
  export OI_SECRET_KEY OI_ADMIN_TOKEN OI_INTERNAL_TOKEN OI_REDIS_PASSWORD
  if ((changed)) || [[ ! -f "$f" ]]; then
    (umask 077; printf 'OI_SECRET_KEY=%s\nOI_ADMIN_TOKEN=%s\nOI_INTERNAL_TOKEN=%s\nOI_REDIS_PASSWORD=%s\n' \
      "$OI_SECRET_KEY" "$OI_ADMIN_TOKEN" "$OI_INTERNAL_TOKEN" "$OI_REDIS_PASSWORD" >"$f"
     if [[ -n "${OI_RPC_CURVE_CARRIER_SERVER_SECRET:-}" ]]; then
       local k pub sec
       for k in PROVISIONING DISPATCH CARRIER; do
         pub=OI_RPC_CURVE_${k}_SERVER_KEY sec=OI_RPC_CURVE_${k}_SERVER_SECRET
         printf '%s=%s\n%s=%s\n' "$pub" "${!pub}" "$sec" "${!sec}"
       done
       for k in CLIENT GATEWAY PROVISIONING; do
         pub=OI_RPC_CURVE_${k}_PUBLIC_KEY sec=OI_RPC_CURVE_${k}_SECRET_KEY
         printf '%s=%s\n%s=%s\n' "$pub" "${!pub}" "$sec" "${!sec}"
       done
     fi >>"$f")
  fi
}

# rpc_env SVC: the CURVE variables of one service (printed VAR=VALUE, one a line): the server
# keys of the services it calls, its own server secret and the callers it admits, its own client
# pair. Nothing without keys.
rpc_env() {
  [[ -n "${OI_RPC_CURVE_CARRIER_SERVER_SECRET:-}" && -n "${OI_RPC_CURVE_PROVISIONING_SECRET_KEY:-}" ]] || return 0
  local gw=$OI_RPC_CURVE_GATEWAY_PUBLIC_KEY pv=$OI_RPC_CURVE_PROVISIONING_PUBLIC_KEY
  local tools=$OI_RPC_CURVE_CLIENT_PUBLIC_KEY pub="" sec="" admits="" serves="" calls=""
  case "$1" in
    oi-gateway) pub=$gw sec=$OI_RPC_CURVE_GATEWAY_SECRET_KEY calls="PROVISIONING DISPATCH CARRIER" ;;
    oi-provisioning) pub=$pv sec=$OI_RPC_CURVE_PROVISIONING_SECRET_KEY admits=$gw serves=PROVISIONING
      calls="DISPATCH CARRIER" ;;
    oi-dispatch) admits=$gw,$pv,$tools serves=DISPATCH ;; # tools: the benchmarks' load generator
    oi-carrier) admits=$gw,$pv serves=CARRIER ;;
  esac
  local s v
  for s in $calls; do v=OI_RPC_CURVE_${s}_SERVER_KEY; printf '%s=%s\n' "$v" "${!v}"; done
  if [[ -n "$serves" ]]; then
    v=OI_RPC_CURVE_${serves}_SERVER_SECRET
    printf '%s\n' "OI_RPC_CURVE_SERVER_SECRET_KEY=${!v}" "OI_RPC_CURVE_CLIENT_KEYS=$admits"
  fi
  [[ -z "$pub" ]] || printf '%s\n' "OI_RPC_CURVE_CLIENT_PUBLIC_KEY=$pub" "OI_RPC_CURVE_CLIENT_SECRET_KEY=$sec"
}

# ---------------------------------------------------------------------------------- postgres
# The cluster lives in .run/pg. When the cluster owner cannot reach .run (a checkout under a
# directory closed to other users, e.g. /root), the data, socket and log go to a private
# directory under /var/lib/oneinbox-local instead, with .run/pg and .run/sock as symlinks.
pg_paths() {
  PG_DATA="$RUN/pg"; PG_SOCK="$RUN/sock"; PG_LOG="$RUN/logs/postgres.log"
  if [[ $(id -u) -eq 0 ]] && { [[ -L "$RUN/pg" ]] || ! runuser -u "$PG_USER_OS" -- test -x "$RUN" 2>/dev/null; }; then
    local base; base=/var/lib/oneinbox-local/$(printf '%s' "$RUN" | md5sum | cut -c1-12)
    PG_DATA="$base/pg"; PG_SOCK="$base/sock"; PG_LOG="$base/postgres.log"
  fi
}

# A cluster kept under /var/lib/oneinbox-local records the run directory it belongs to (owner);
# one whose run directory is gone (a fresh clone that was deleted) is removed when any stack
# starts, unless its postgres still runs. Clusters from before the record are left alone.
sweep_orphans() {
  local dir owner pid
  for dir in /var/lib/oneinbox-local/*/; do
    [[ -f "$dir/owner" ]] || continue
    owner=$(cat "$dir/owner")
    [[ -n "$owner" && ! -e "$owner" ]] || continue
    pid=$(head -n1 "$dir/pg/postmaster.pid" 2>/dev/null || true)
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
    log "removing the cluster of $owner (gone): $dir"
    rm -rf "$dir"
  done
}

pg_up() {
  local bin; bin=$(pg_bindir)
  ensure_pg_user
  [[ $(id -u) -eq 0 && -d /var/lib/oneinbox-local ]] && sweep_orphans
  pg_paths
  local data="$PG_DATA" sock="$PG_SOCK"
  mkdir -p "$data" "$sock"
  if [[ "$data" != "$RUN/pg" ]]; then
    log "$PG_USER_OS cannot reach $RUN: cluster kept in $(dirname "$data")"
    chmod 755 /var/lib/oneinbox-local "$(dirname "$data")"
    printf '%s\n' "$RUN" >"$(dirname "$data")/owner"
    ln -sfn "$data" "$RUN/pg"; ln -sfn "$sock" "$RUN/sock"; ln -sfn "$PG_LOG" "$RUN/logs/postgres.log"
  fi
  if [[ $(id -u) -eq 0 ]]; then
    touch "$PG_LOG"
    chown "$PG_USER_OS:" "$data" "$sock" "$PG_LOG"
    chmod 700 "$data"
    as_pg test -w "$data" || die "$PG_USER_OS cannot write $data"
  fi
  if [[ ! -f "$data/PG_VERSION" ]]; then
    log "initdb $data"
    as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$RUN/logs/initdb.log" 2>&1 \
      || { show_tail "$RUN/logs/initdb.log"; die "initdb failed"; }
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "postgres already running"
  else
    local opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$sock -c max_connections=300"
    if [[ "${OI_PG_FAST:-0}" == 1 ]]; then
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    # more server settings for a look inside, e.g. OI_PG_EXTRA_OPTS="-c shared_preload_libraries=auto_explain
    # -c auto_explain.log_min_duration=20" (plans of slow statements in the cluster's log)
    opts+=${OI_PG_EXTRA_OPTS:+" $OI_PG_EXTRA_OPTS"}
    log "postgres on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$data" -l "$PG_LOG" -o "$opts" -w -t 60 start >/dev/null \
      || { show_tail "$PG_LOG"; port_taken "$PG_LOG" "$PG_PORT" PostgreSQL OI_PG_PORT; die "postgres did not start"; }
  fi
  head -n1 "$data/postmaster.pid" >"$RUN/pids/postgres.pid"
  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tA)
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'oneinbox'") ]]; then
    "${psql[@]}" -c "CREATE ROLE oneinbox LOGIN" >/dev/null
  fi
  if [[ -z $("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'oneinbox'") ]]; then
    "${psql[@]}" -c "CREATE DATABASE oneinbox OWNER oneinbox" >/dev/null
  fi
}

pg_down() {
  pg_paths
  local data="$PG_DATA"
  [[ -f "$data/PG_VERSION" ]] || return 0
  local bin; bin=$(pg_bindir)
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "stopping postgres"
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null || log "pg_ctl stop failed"
  fi
  rm -f "$RUN/pids/postgres.pid"
}

# ---------------------------------------------------------------------------------- redis
redis_up() {
  if alive redis redis-server; then log "redis already running"; return; fi
  mkdir -p "$RUN/redis"
  log "redis on 127.0.0.1:$REDIS_PORT"
  # the password goes in a file only its owner reads, never on a command line (ps shows those)
  (umask 077; printf 'requirepass %s\n' "$OI_REDIS_PASSWORD" >"$RUN/redis/auth.conf")
  redis-server "$RUN/redis/auth.conf" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --daemonize yes --pidfile "$RUN/pids/redis.pid" --logfile "$RUN/logs/redis.log" \
    --dir "$RUN/redis" --protected-mode yes >/dev/null
  local deadline=$((SECONDS + 20))
  until REDISCLI_AUTH=$OI_REDIS_PASSWORD redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; do
    ((SECONDS < deadline)) || { show_tail "$RUN/logs/redis.log"; port_taken "$RUN/logs/redis.log" "$REDIS_PORT" Redis OI_REDIS_PORT; die "redis did not start"; }
    sleep 0.1
  done
}

redis_down() {
  if alive redis redis-server; then
    log "stopping redis"
    kill -TERM "$(pid_of redis)" 2>/dev/null || true
    local i; for ((i = 0; i < 50; i++)); do alive redis || break; sleep 0.1; done
    alive redis && kill -KILL "$(pid_of redis)" 2>/dev/null || true
  fi
  rm -f "$RUN/pids/redis.pid"
}

# ---------------------------------------------------------------------------------- services
endpoints() { # endpoints BASEPORT → tcp://127.0.0.1:p,... one per replica
  local base=$1 i out=""
  for ((i = 0; i < REPLICAS; i++)); do out+="${out:+,}tcp://127.0.0.1:$((base + i))"; done
  echo "$out"
}

common_env() {
  export OI_PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=oneinbox user=oneinbox connect_timeout=5"
  export OI_PG_POOL_SIZE=${OI_PG_POOL_SIZE:-4}
  export OI_REDIS_HOST=127.0.0.1 OI_REDIS_PORT=$REDIS_PORT
  export OI_PROVISIONING_ENDPOINTS; OI_PROVISIONING_ENDPOINTS=$(endpoints "$PROV_RPC")
  export OI_DISPATCH_ENDPOINTS; OI_DISPATCH_ENDPOINTS=$(endpoints "$DSP_RPC")
  export OI_CARRIER_ENDPOINTS; OI_CARRIER_ENDPOINTS=$(endpoints "$CAR_RPC")
  export OI_TWILIO_API_BASE=http://127.0.0.1:$SIM_PORT
  export OI_TWILIO_TRUNKING_BASE=http://127.0.0.1:$SIM_PORT
  export OI_TELNYX_API_BASE=http://127.0.0.1:$SIM_PORT/v2
  export OI_TWILIO_ACCOUNT_SID=${OI_TWILIO_ACCOUNT_SID:-$SIM_TWILIO_SID}
  export OI_TWILIO_AUTH_TOKEN=${OI_TWILIO_AUTH_TOKEN:-$SIM_TWILIO_TOKEN}
  export OI_TELNYX_API_KEY=${OI_TELNYX_API_KEY:-$SIM_TELNYX_KEY}
  export OI_SIM_TWILIO_ACCOUNT_SID=$OI_TWILIO_ACCOUNT_SID OI_SIM_TWILIO_AUTH_TOKEN=$OI_TWILIO_AUTH_TOKEN
  export OI_SIM_TELNYX_API_KEY=$OI_TELNYX_API_KEY
  export OI_SIP_INGRESS_URI=${OI_SIP_INGRESS_URI:-sip:voice.oneinbox.ai:5060}
  export OI_LOG_LEVEL=${OI_LOG_LEVEL:-info}
  # ASan: fail loudly, but a leak report at exit must not turn a clean SIGTERM into an error
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
}

# start NAME BINARY LOGFILE VAR=VALUE...: runs BINARY detached with extra env
start_proc() {
  local name=$1 bin=$2 logf=$3; shift 3
  if alive "$name" "$(basename "$bin")"; then log "$name already running"; return 0; fi
  [[ -x "$bin" ]] || die "$bin is missing: build first (make build)"
  printf '\n==== %s start %s\n' "$name" "$(date -u +%FT%TZ)" >>"$logf"
  (cd "$ROOT" && exec setsid env "$@" "$bin" </dev/null >>"$logf" 2>&1) &
  echo $! >"$RUN/pids/$name.pid"
}

log_name() { if (($2 == 0)); then echo "$RUN/logs/$1.log"; else echo "$RUN/logs/$1.$2.log"; fi; }
proc_name() { if (($2 == 0)); then echo "$1"; else echo "$1.$2"; fi; }

# svc_up_one SVC I: starts replica I of SVC and waits for its /healthz
svc_up_one() {
  local svc=$1 i=$2 name logf ops rpc
  name=$(proc_name "$svc" "$i"); logf=$(log_name "$svc" "$i")
  mapfile -t rpc < <(rpc_env "$svc")
  case "$svc" in
    oi-gateway)
      ops=$((GW_OPS + i))
      start_proc "$name" "$BUILD/$svc" "$logf" OI_HTTP_HOST=127.0.0.1 OI_HTTP_PORT=$((HTTP_PORT + i)) \
        OI_OPS_PORT=$ops "${rpc[@]}" ;;
    oi-provisioning)
      ops=$((PROV_OPS + i))
      start_proc "$name" "$BUILD/$svc" "$logf" OI_RPC_BIND=tcp://127.0.0.1:$((PROV_RPC + i)) OI_OPS_PORT=$ops "${rpc[@]}" ;;
    oi-dispatch)
      ops=$((DSP_OPS + i))
      start_proc "$name" "$BUILD/$svc" "$logf" OI_RPC_BIND=tcp://127.0.0.1:$((DSP_RPC + i)) OI_OPS_PORT=$ops "${rpc[@]}" ;;
    oi-carrier)
      ops=$((CAR_OPS + i))
      start_proc "$name" "$BUILD/$svc" "$logf" OI_RPC_BIND=tcp://127.0.0.1:$((CAR_RPC + i)) OI_OPS_PORT=$ops "${rpc[@]}" ;;
    *) die "unknown service: $svc" ;;
  esac
  wait_http "$name" "http://127.0.0.1:$ops/healthz" "$logf" || return 1
  log "$name ready (ops :$ops)"
}

svc_up() {
  local svc=$1 i
  for ((i = 0; i < REPLICAS; i++)); do svc_up_one "$svc" "$i" || return 1; done
}

# ---------------------------------------------------------------------------------- SIP edge
# Kamailio with deploy/sip/kamailio.cfg on loopback UDP and TCP $SIP_PORT, pointed at the first
# gateway. Every OI_SIP_*, OI_AGENT_* and OI_VOICEMAIL_* variable of the caller's environment
# passes through; nothing is bound on the agent endpoint's port (another system's).
sip_env() {
  export OI_SIP_API_URL=${OI_SIP_API_URL:-http://127.0.0.1:$HTTP_PORT}
  export OI_SIP_TWILIO_SOURCES=${OI_SIP_TWILIO_SOURCES-127.0.0.0/8}
  export OI_SIP_TELNYX_SOURCES=${OI_SIP_TELNYX_SOURCES-127.0.0.0/8}
  export OI_SIP_AGENT_SOURCES=${OI_SIP_AGENT_SOURCES-127.0.0.0/8}
  local agent_uri='sip:{agent_id}@127.0.0.1:5090'
  export OI_AGENT_SIP_URI=${OI_AGENT_SIP_URI:-$agent_uri}
  export OI_VOICEMAIL_SIP_URI=${OI_VOICEMAIL_SIP_URI:-sip:voicemail@127.0.0.1:5090}
  export OI_AGENT_RING_TIMEOUT_MS=${OI_AGENT_RING_TIMEOUT_MS:-20000}
  export OI_SIP_LISTEN="udp:127.0.0.1:$SIP_PORT tcp:127.0.0.1:$SIP_PORT"
  export OI_SIP_OPS_HOST=127.0.0.1 OI_SIP_OPS_PORT=$SIP_OPS_PORT
}

sip_ping() { sipsak -s "sip:ping@127.0.0.1:$SIP_PORT" -H 127.0.0.1 >/dev/null 2>&1; }

sip_up() {
  sip_env # stack.env names the edge's settings, whether it runs already or starts now
  if alive oi-sip-edge kamailio; then log "SIP edge already running"; return 0; fi
  command -v kamailio >/dev/null || die "kamailio is missing (deploy/local/bootstrap.sh installs it)"
  local logf=$RUN/logs/oi-sip-edge.log
  printf '\n==== oi-sip-edge start %s\n' "$(date -u +%FT%TZ)" >>"$logf"
  (cd "$ROOT" && exec setsid deploy/sip/edge.sh </dev/null >>"$logf" 2>&1) &
  echo $! >"$RUN/pids/oi-sip-edge.pid"
  local deadline=$((SECONDS + 20))
  until sip_ping; do
    if ! alive oi-sip-edge || ((SECONDS >= deadline)); then
      show_tail "$logf"; die "the SIP edge did not answer OPTIONS on 127.0.0.1:$SIP_PORT"
    fi
    sleep 0.1
  done
  log "oi-sip-edge ready (udp+tcp :$SIP_PORT)"
}

sip_down() {
  if alive oi-sip-edge kamailio; then
    log "stopping the SIP edge"
    local pid; pid=$(pid_of oi-sip-edge)
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i; for ((i = 0; i < 50; i++)); do alive oi-sip-edge || break; sleep 0.1; done
    alive oi-sip-edge && kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/pids/oi-sip-edge.pid"
}

write_stack_env() {
  local urls="" i
  for ((i = 0; i < REPLICAS; i++)); do urls+="${urls:+,}http://127.0.0.1:$((HTTP_PORT + i))"; done
  (umask 077; cat >"$RUN/stack.env" <<EOF
OI_GATEWAY_URL=http://127.0.0.1:$HTTP_PORT
OI_ADMIN_TOKEN=$OI_ADMIN_TOKEN
OI_INTERNAL_TOKEN=$OI_INTERNAL_TOKEN
OI_SIM_URL=http://127.0.0.1:$SIM_PORT
OI_SIM_TWILIO_ACCOUNT_SID=${OI_TWILIO_ACCOUNT_SID:-$SIM_TWILIO_SID}
OI_SIM_TWILIO_AUTH_TOKEN=${OI_TWILIO_AUTH_TOKEN:-$SIM_TWILIO_TOKEN}
OI_SIM_TELNYX_API_KEY=${OI_TELNYX_API_KEY:-$SIM_TELNYX_KEY}
OI_LOG_DIR=$RUN/logs
OI_RUN_DIR=$RUN
OI_REPLICAS=$REPLICAS
OI_GATEWAY_URLS=$urls
OI_GATEWAY_OPS_PORT=$GW_OPS
OI_PROVISIONING_OPS_PORT=$PROV_OPS
OI_DISPATCH_OPS_PORT=$DSP_OPS
OI_CARRIER_OPS_PORT=$CAR_OPS
OI_PROVISIONING_RPC_PORT=$PROV_RPC
OI_DISPATCH_RPC_PORT=$DSP_RPC
OI_CARRIER_RPC_PORT=$CAR_RPC
OI_PG_PORT=$PG_PORT
OI_REDIS_PORT=$REDIS_PORT
OI_REDIS_PASSWORD=$OI_REDIS_PASSWORD
OI_SIP_PORT=$SIP_PORT
OI_SIP_OPS_PORT=$SIP_OPS_PORT
OI_SIP_URI=sip:127.0.0.1:$SIP_PORT
OI_AGENT_SIP_URI=$OI_AGENT_SIP_URI
OI_VOICEMAIL_SIP_URI=$OI_VOICEMAIL_SIP_URI
OI_AGENT_RING_TIMEOUT_MS=$OI_AGENT_RING_TIMEOUT_MS
EOF
  )
}

sim_up() {
  start_proc oi-carrier-sim "$BUILD/oi-carrier-sim" "$RUN/logs/oi-carrier-sim.log" \
    OI_SIM_HOST=127.0.0.1 OI_SIM_PORT="$SIM_PORT"
  wait_http oi-carrier-sim "http://127.0.0.1:$SIM_PORT/healthz" "$RUN/logs/oi-carrier-sim.log" || return 1
  log "oi-carrier-sim ready (:$SIM_PORT)"
}

up() {
  mkdir -p "$RUN/logs" "$RUN/pids"
  load_secrets
  pg_up
  redis_up
  common_env
  sim_up || return 1
  local svc
  for svc in "${SERVICES[@]}"; do svc_up "$svc" || return 1; done
  local i
  for ((i = 0; i < REPLICAS; i++)); do
    wait_http "$(proc_name oi-gateway "$i")" "http://127.0.0.1:$((HTTP_PORT + i))/healthz" \
      "$(log_name oi-gateway "$i")" || return 1
  done
  sip_up || return 1
  write_stack_env
  log "all services ready: http://127.0.0.1:$HTTP_PORT"
}

# start_one NAME: postgres, redis, oi-carrier-sim, or one replica oi-<svc>[.<i>] with the environment of `up`
start_one() {
  local name=$1 svc i
  mkdir -p "$RUN/logs" "$RUN/pids"
  load_secrets
  case "$name" in
    postgres) pg_up; return ;;
    redis) redis_up; return ;;
    oi-carrier-sim) common_env; sim_up; return ;;
    oi-sip-edge) sip_up; return ;;
    oi-*) ;;
    *) die "unknown piece: $name" ;;
  esac
  common_env
  svc=${name%%.*}; i=0
  [[ "$name" == *.* ]] && i=${name##*.}
  local saved=$REPLICAS
  REPLICAS=$((i + 1))
  local rc=0
  svc_up_one "$svc" "$i" || rc=$?
  REPLICAS=$saved
  return $rc
}

stop_one() {
  case "$1" in
    postgres) pg_down ;;
    redis) redis_down ;;
    oi-sip-edge) sip_down ;;
    *) stop_procs "$1" ;;
  esac
}

# stop_procs NAME...: SIGTERM to all, then SIGKILL to what is left after the grace period
stop_procs() {
  local grace_ms=${OI_SHUTDOWN_GRACE_MS:-10000} n names=()
  for n in "$@"; do
    if alive "$n" oi-; then
      kill -TERM "$(pid_of "$n")" 2>/dev/null || true
      names+=("$n")
    else
      rm -f "$RUN/pids/$n.pid"
    fi
  done
  ((${#names[@]})) || return 0
  log "stopping ${names[*]}"
  local deadline=$((SECONDS + grace_ms / 1000 + 3)) left
  while :; do
    left=()
    for n in "${names[@]}"; do alive "$n" && left+=("$n"); done
    ((${#left[@]})) || break
    if ((SECONDS >= deadline)); then
      for n in "${left[@]}"; do
        log "$n ignored SIGTERM: SIGKILL"
        kill -KILL "$(pid_of "$n")" 2>/dev/null || true
      done
      break
    fi
    sleep 0.1
  done
  for n in "${names[@]}"; do rm -f "$RUN/pids/$n.pid"; done
}

down() {
  mkdir -p "$RUN/pids"
  local f n gw=() rest=()
  sip_down # calls stop arriving first
  for f in "$RUN"/pids/oi-*.pid; do
    [[ -e "$f" ]] || continue
    n=$(basename "$f" .pid)
    case "$n" in oi-gateway*) gw+=("$n") ;; *) rest+=("$n") ;; esac
  done
  # the gateway first so no new work arrives, then the rest together
  ((${#gw[@]})) && stop_procs "${gw[@]}"
  ((${#rest[@]})) && stop_procs "${rest[@]}"
  redis_down
  pg_down
  rm -f "$RUN/stack.env"
}

status() {
  local f n pid rc=0
  for f in "$RUN"/pids/*.pid; do
    [[ -e "$f" ]] || continue
    n=$(basename "$f" .pid); pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then printf '%-22s running (pid %s)\n' "$n" "$pid"
    else printf '%-22s stopped\n' "$n"; rc=1; fi
  done
  if http_ok "http://127.0.0.1:$HTTP_PORT/healthz"; then
    echo "gateway http://127.0.0.1:$HTTP_PORT/healthz: 200"
  else
    echo "gateway http://127.0.0.1:$HTTP_PORT/healthz: not ready"; rc=1
  fi
  return $rc
}

case "${1:-}" in
  up)
    trap 'rc=$?; set +e; if ((rc)); then log "start-up failed; stopping what was started"; down; fi; exit $rc' EXIT
    up
    ;;
  down) down ;;
  purge) # down, then remove every piece of state (a fresh cluster on the next up)
    down
    pg_paths
    [[ "$PG_DATA" != "$RUN/pg" ]] && rm -rf "$(dirname "$PG_DATA")"
    rm -rf "$RUN"
    ;;
  discard) # down, then remove the database cluster (wherever it is kept); logs stay
    down
    pg_paths
    if [[ "$PG_DATA" != "$RUN/pg" ]]; then
      cp -f "$PG_LOG" "$RUN/logs/postgres.log.kept" 2>/dev/null || true
      rm -rf "$(dirname "$PG_DATA")"
      rm -f "$RUN/pg" "$RUN/sock" "$RUN/logs/postgres.log"
      mv -f "$RUN/logs/postgres.log.kept" "$RUN/logs/postgres.log" 2>/dev/null || true
    else
      rm -rf "$RUN/pg"
    fi
    ;;
  status) status ;;
  start) # start NAME: one stopped piece again (postgres, redis, oi-<svc>[.<replica>]), e.g. in fault tests
    start_one "${2:?usage: $0 start NAME}" ;;
  stop) # stop NAME: SIGTERM (postgres: fast shutdown) and wait
    stop_one "${2:?usage: $0 stop NAME}" ;;
  env) [[ -f "$RUN/stack.env" ]] && cat "$RUN/stack.env" || die "stack is not up ($RUN/stack.env missing)" ;;
  *) echo "usage: $0 up|down|status|env|purge|discard" >&2; exit 2 ;;
esac
