#!/usr/bin/env bash
# sip.sh: INVITEs per second through the SIP edge to an agent endpoint that answers at once, and
# the INVITE's response time, beside the same Kamailio taking every INVITE to one agent by a
# static rule (no decision asked). Two phases per target: capacity (CONC calls at once, as fast
# as they go) and latency (a steady RATE well below both capacities, so the response time is the
# path's and not a queue's). The difference of the latency phases' response times is what the
# suite's routing adds at the edge (sipp's resolution: 1 ms). Prints a table and FIGURE lines;
# asserts nothing.
#
# Needs a running stack with its SIP edge (make run, or deploy/local/stack.sh up; OI_STACK_ENV
# names its stack.env, default .run/stack.env) and sipp (Debian's sip-tester). The agent
# endpoint's port (OI_AGENT_SIP_URI) must be free: sipp plays it. tcpdump (as root) captures the
# latency runs on loopback. Release build for figures.
# Settings: CALLS (20000 per capacity run), ROUNDS (3 alternating static/edge pairs of capacity
# runs and of latency runs; the ratio and the added p99 are the medians of the pairs'), CONC (64 calls at once), RATE (200 calls/s) and LAT_CALLS (4000)
# for the latency runs, NUMBERS (200 registered for the run).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
env_file=${OI_STACK_ENV:-$root/.run/stack.env}
CALLS=${CALLS:-20000}
CONC=${CONC:-64}
RATE=${RATE:-200}
LAT_CALLS=${LAT_CALLS:-4000}
ROUNDS=${ROUNDS:-3}
NUMBERS=${NUMBERS:-200}
die() { echo "sip.sh: $*" >&2; exit 1; }
command -v sipp >/dev/null || die "sipp not found (apt-get install sip-tester)"
command -v tcpdump >/dev/null || die "tcpdump not found (apt-get install tcpdump; root, for the in->out capture)"
[[ -r "$env_file" ]] || die "$env_file not found: start the stack first"
# shellcheck disable=SC1090
set -a; . "$env_file"; set +a
[[ -n "${OI_SIP_PORT:-}" ]] || die "the stack has no SIP edge"
agent_port=$(sed -n 's/^sip:{agent_id}@[^:]*:\([0-9]*\).*/\1/p' <<<"$OI_AGENT_SIP_URI")
[[ -n "$agent_port" ]] || die "cannot read the agent port from OI_AGENT_SIP_URI=$OI_AGENT_SIP_URI"
static_port=$((OI_SIP_PORT + 1))

tmp=$(mktemp -d -t oi-sip-bench.XXXXXX)
pids=()
main_pid=$BASHPID
cleanup() {
  [[ $BASHPID == "$main_pid" ]] || return 0 # subshells inherit the trap
  local p; for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
  [[ "${KEEP:-0}" == 1 ]] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT

echo "sip.sh: registering $NUMBERS numbers" >&2
PYTHONPATH=$root/tests/integration python3 - "$NUMBERS" >"$tmp/numbers.csv" <<'EOF'
import os, sys
import oiclient
from oiclient import path_c_body
admin = oiclient.Client(os.environ["OI_GATEWAY_URL"], os.environ["OI_ADMIN_TOKEN"])
r = admin.post("/v1/api-keys", {"name": "sip-bench", "workspace": "sip-bench"})
assert r.status == 201, r
c = admin.with_token(r.json["key"])
a = [c.agent("sip-bench-%d" % i)["id"] for i in range(3)]
print("SEQUENTIAL")
for _ in range(int(sys.argv[1])):
    n = c.register(path_c_body(a[0], a[1], a[2])).json
    print(n["phone_number"])
EOF

# the agent endpoint
(cd "$tmp" && exec setsid sipp -sf "$here/sip/uas.xml" -i 127.0.0.1 -p "$agent_port" -buff_size 8388608 -nostdin \
  >"$tmp/uas.out" 2>&1) &
pids+=($!)
# the baseline: the same edge with its static rule
(cd "$root" && OI_SIP_LISTEN="udp:127.0.0.1:$static_port" OI_SIP_OPS_PORT=$((static_port + 4000)) OI_SIP_API_URL=$OI_GATEWAY_URL \
  OI_SIP_TWILIO_SOURCES=127.0.0.0/8 OI_SIP_TELNYX_SOURCES=127.0.0.0/8 \
  exec setsid deploy/sip/edge.sh -A OI_SIP_STATIC_RULE >"$tmp/static.log" 2>&1) &
pids+=($!)
sleep 1
sipsak -s "sip:ping@127.0.0.1:$static_port" -H 127.0.0.1 >/dev/null 2>&1 || { tail "$tmp/static.log" >&2; die "the static edge did not start"; }

# run NAME PORT CALLS RATE: one sipp caller run (RATE 0 = unpaced); writes "calls/s p50 p99
# failed answered" to $tmp/NAME.result, and for a paced run the edge's own hold time of each
# INVITE (in → out, from a loopback capture) as "count p50 p99" to $tmp/NAME.hop
run() {
  local name=$1 port=$2 calls=$3 rate=$4 dir=$tmp/$1 t0 t1 cap=""
  mkdir -p "$dir"
  local pace=(-r 1000000 -rp 1000)
  if ((rate > 0)); then
    pace=(-r "$rate" -rp 1000)
    tcpdump -i lo -n -s 0 -B 16384 -w "$dir/cap.pcap" "udp and (dst port $port or dst port $agent_port)" \
      >"$dir/tcpdump.log" 2>&1 &
    cap=$!
    sleep 1
  fi
  t0=$(date +%s.%N)
  (cd "$dir" && exec sipp -sf "$here/sip/uac.xml" -inf "$tmp/numbers.csv" -i 127.0.0.1 "127.0.0.1:$port" \
    -m "$calls" -l "$CONC" "${pace[@]}" -trace_rtt -rtt_freq 1 -trace_stat -fd 1 -buff_size 8388608 -nostdin \
    -timeout 600s >"$dir/out" 2>&1) || true
  t1=$(date +%s.%N)
  if [[ -n "$cap" ]]; then
    sleep 0.5
    kill -INT "$cap" 2>/dev/null || true
    wait "$cap" 2>/dev/null || true
    python3 "$here/sip/hop_latency.py" "$dir/cap.pcap" "$port" "$agent_port" >"$tmp/$name.hop"
  fi
  python3 - "$dir" "$t0" "$t1" >"$tmp/$name.result" <<'EOF'
import csv, glob, sys
d, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
rtts = []
for f in glob.glob(d + "/*_rtt.csv"):
    for row in csv.reader(open(f), delimiter=";"):
        try:
            rtts.append(float(row[1]))
        except (ValueError, IndexError):
            pass
failed = 0
for f in glob.glob(d + "/*_.csv"):
    rows = list(csv.reader(open(f), delimiter=";"))
    if len(rows) > 1 and "FailedCall(C)" in rows[0]:
        failed = int(rows[-1][rows[0].index("FailedCall(C)")])
rtts.sort()
pick = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))] if rtts else 0.0
print("%.0f %.1f %.1f %d %d" % (len(rtts) / (t1 - t0), pick(0.5), pick(0.99), failed, len(rtts)))
EOF
}

echo "sip.sh: capacity ($ROUNDS x $CALLS calls, $CONC at once) and latency ($ROUNDS x $LAT_CALLS calls at $RATE/s), static rule (:$static_port) then edge (:$OI_SIP_PORT)" >&2
# capacity in ROUNDS alternating pairs (static, edge): the host's noise comes in bursts of a few
# seconds, so each pair is measured under the same conditions and the ratio is the median of the
# pairs'; the table's capacity columns show the round whose ratio is that median
for ((k = 1; k <= ROUNDS; k++)); do
  run "static_capacity_$k" "$static_port" "$CALLS" 0
  run "edge_capacity_$k" "$OI_SIP_PORT" "$CALLS" 0
done
# latency the same way: ROUNDS alternating pairs, the added p99 of each pair, the median pair
for ((k = 1; k <= ROUNDS; k++)); do
  run "static_latency_$k" "$static_port" "$LAT_CALLS" "$RATE"
  run "edge_latency_$k" "$OI_SIP_PORT" "$LAT_CALLS" "$RATE"
done
median=$(python3 - "$tmp" "$ROUNDS" <<'EOF2'
import sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def rate(name):
    return float(open("%s/%s.result" % (tmp, name)).read().split()[0])
ratios = sorted((rate("edge_capacity_%d" % k) / max(rate("static_capacity_%d" % k), 1), k) for k in range(1, rounds + 1))
ratio, k = ratios[len(ratios) // 2]
print(k, "%.2f" % ratio, " ".join("%.2f" % r for r, _ in sorted(ratios, key=lambda x: x[1])))
def hop99(name):
    return float(open("%s/%s.hop" % (tmp, name)).read().split()[2])
added = sorted((hop99("edge_latency_%d" % k) - hop99("static_latency_%d" % k), k) for k in range(1, rounds + 1))
a, k = added[len(added) // 2]
print(k, " ".join("%.3f" % x for x, _ in sorted(added, key=lambda x: x[1])))
EOF2
)
{ read -r k_med ratio ratios; read -r k_lat added99s; } <<<"$median"
read -r s_rate s_p50c s_p99c s_failed s_n <"$tmp/static_capacity_$k_med.result"
read -r e_rate e_p50c e_p99c e_failed e_n <"$tmp/edge_capacity_$k_med.result"
for ((k = 1; k <= ROUNDS; k++)); do # a failed call in any round counts
  read -r _ _ _ f _ <"$tmp/static_capacity_$k.result"; ((s_failed += k == k_med ? 0 : f)) || true
  read -r _ _ _ f _ <"$tmp/edge_capacity_$k.result"; ((e_failed += k == k_med ? 0 : f)) || true
done
read -r _ s_p50 s_p99 s_lfailed _ <"$tmp/static_latency_$k_lat.result"
read -r _ e_p50 e_p99 e_lfailed _ <"$tmp/edge_latency_$k_lat.result"
read -r s_hops s_hop50 s_hop99 <"$tmp/static_latency_$k_lat.hop"
read -r e_hops e_hop50 e_hop99 <"$tmp/edge_latency_$k_lat.hop"
for ((k = 1; k <= ROUNDS; k++)); do
  read -r _ _ _ f _ <"$tmp/static_latency_$k.result"; ((s_lfailed += k == k_lat ? 0 : f)) || true
  read -r _ _ _ f _ <"$tmp/edge_latency_$k.result"; ((e_lfailed += k == k_lat ? 0 : f)) || true
done
row() { printf '%-28s %9s %7s %8s %13s %13s %17s %7s\n' "$@"; }
row "" "INVITE/s" "failed" "answers" "p50/p99 @max" "p50/p99 @rate" "in->out p50/p99" "failed"
row "static rule (same Kamailio)" "$s_rate" "$s_failed" "$s_n" "$s_p50c/$s_p99c" "$s_p50/$s_p99" "$s_hop50/$s_hop99" "$s_lfailed"
row "edge (suite's decision)" "$e_rate" "$e_failed" "$e_n" "$e_p50c/$e_p99c" "$e_p50/$e_p99" "$e_hop50/$e_hop99" "$e_lfailed"
echo "response times in ms as sipp sees them (1 ms resolution); in->out: the edge's hold time of each INVITE from a loopback capture at $RATE calls/s ($e_hops and $s_hops INVITEs)"
added50=$(python3 -c "print('%.3f' % ($e_hop50 - $s_hop50))")
added99=$(python3 -c "print('%.3f' % ($e_hop99 - $s_hop99))")
echo "edge / static: $ratio (median of $ROUNDS alternating rounds: $ratios; the capacity columns are that round's)"
echo "latency the edge adds (in->out, minus the static rule's) at $RATE calls/s: p50 $added50 ms, p99 $added99 ms (the median of $ROUNDS alternating rounds' p99: $added99s; the latency columns are that round's)"
printf 'FIGURE\tsip_edge_invites_per_s\t%s\tcalls/s\n' "$e_rate"
printf 'FIGURE\tsip_static_invites_per_s\t%s\tcalls/s\n' "$s_rate"
printf 'FIGURE\tsip_edge_vs_static\t%s\tratio\n' "$ratio"
printf 'FIGURE\tsip_edge_in_out_p50\t%s\tms\n' "$e_hop50"
printf 'FIGURE\tsip_edge_in_out_p99\t%s\tms\n' "$e_hop99"
printf 'FIGURE\tsip_edge_added_p50\t%s\tms\n' "$added50"
printf 'FIGURE\tsip_edge_added_p99\t%s\tms\n' "$added99"
printf 'FIGURE\tsip_failed_calls\t%s\tcalls\n' "$((s_failed + e_failed + s_lfailed + e_lfailed))"
