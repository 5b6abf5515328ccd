#!/usr/bin/env bash
# edge.sh [kamailio options...]: checks the SIP edge's environment and runs Kamailio in the
# foreground with deploy/sip/kamailio.cfg. The same entry serves `make run`, the tests and the
# container. Listen sockets: OI_SIP_LISTEN (default udp:127.0.0.1:5080 tcp:127.0.0.1:5080, space
# separated; proto:addr:port/advertised-host:port where the edge sits behind NAT or a Service),
# plus HTTP on OI_SIP_OPS_HOST:OI_SIP_OPS_PORT (127.0.0.1:9500). See kamailio.cfg for the OI_*
# variables the routing reads.
#   edge.sh --check   checks the environment and the config (when kamailio is installed) and
#                     exits 0 without starting anything (tests/deploy/sip_checks.py runs it on
#                     the Kubernetes manifests' values)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cfg=${OI_SIP_CONFIG:-$here/kamailio.cfg}
die() { printf 'oi-sip-edge: %s\n' "$*" >&2; exit 2; }

: "${OI_SIP_API_URL:?OI_SIP_API_URL (the gateway URL) is required}"
: "${OI_INTERNAL_TOKEN:?OI_INTERNAL_TOKEN is required}"
export OI_SIP_TWILIO_SOURCES=${OI_SIP_TWILIO_SOURCES-}
export OI_SIP_TELNYX_SOURCES=${OI_SIP_TELNYX_SOURCES-}
export OI_SIP_AGENT_SOURCES=${OI_SIP_AGENT_SOURCES-}
agent_uri='sip:{agent_id}@127.0.0.1:5090'
export OI_AGENT_SIP_URI=${OI_AGENT_SIP_URI:-$agent_uri}
export OI_VOICEMAIL_SIP_URI=${OI_VOICEMAIL_SIP_URI:-sip:voicemail@127.0.0.1:5090}
export OI_AGENT_RING_TIMEOUT_MS=${OI_AGENT_RING_TIMEOUT_MS:-20000}
timeout_s=${OI_SIP_RESOLVE_TIMEOUT_S:-1}
children=${OI_SIP_CHILDREN:-4}
ops_host=${OI_SIP_OPS_HOST:-127.0.0.1}
ops_port=${OI_SIP_OPS_PORT:-9500}
shm_mb=${OI_SIP_SHM_MB:-512}

[[ "$OI_SIP_API_URL" =~ ^https?://[^[:space:]]+$ ]] || die "OI_SIP_API_URL must be an http(s) URL"
[[ "$OI_AGENT_SIP_URI" == sip:*'{agent_id}'* ]] || die "OI_AGENT_SIP_URI must be a sip: URI containing {agent_id}"
[[ "$OI_VOICEMAIL_SIP_URI" == sip:?* ]] || die "OI_VOICEMAIL_SIP_URI must be a sip: URI"
[[ "$OI_AGENT_RING_TIMEOUT_MS" =~ ^[1-9][0-9]{2,5}$ ]] || die "OI_AGENT_RING_TIMEOUT_MS must be 100-999999"
[[ "$timeout_s" =~ ^[1-9][0-9]?$ ]] || die "OI_SIP_RESOLVE_TIMEOUT_S must be 1-99 (whole seconds: http_client's unit)"
[[ "$children" =~ ^[1-9][0-9]?$ ]] || die "OI_SIP_CHILDREN must be 1-99"
[[ "$ops_port" =~ ^[1-9][0-9]{0,4}$ ]] && ((ops_port <= 65535)) || die "OI_SIP_OPS_PORT must be 1-65535"
[[ "$ops_host" =~ ^[0-9a-fA-F.:]+$ ]] || die "OI_SIP_OPS_HOST must be an IP address"
[[ "$shm_mb" =~ ^[1-9][0-9]{1,4}$ ]] || die "OI_SIP_SHM_MB must be 10-99999"
cidrs='^([0-9a-fA-F.:]+/[0-9]{1,3})(,[0-9a-fA-F.:]+/[0-9]{1,3})*$'
for v in OI_SIP_TWILIO_SOURCES OI_SIP_TELNYX_SOURCES OI_SIP_AGENT_SOURCES; do
  [[ -z "${!v}" || "${!v}" =~ $cidrs ]] || die "$v must be a comma-separated CIDR list (e.g. 54.172.60.0/23,34.203.250.0/23)"
done
[[ "$OI_INTERNAL_TOKEN" =~ ^[A-Za-z0-9._~-]+$ ]] || die "OI_INTERNAL_TOKEN must be URL-safe ([A-Za-z0-9._~-])"
# the config's HTTP connection to the gateway (kept open between calls): http_client connections
# carry credentials only as Basic, which the gateway takes for the internal token
export OI_SIP_API_CON="api=>${OI_SIP_API_URL%%://*}://sip-edge:${OI_INTERNAL_TOKEN}@${OI_SIP_API_URL#*://}"
# the template around its {agent_id}, for the config (Kamailio's transformations cannot take braces)
export OI_AGENT_SIP_URI_HEAD=${OI_AGENT_SIP_URI%%\{agent_id\}*}
export OI_AGENT_SIP_URI_TAIL=${OI_AGENT_SIP_URI#*\{agent_id\}}

listen=()
sock='^(udp|tcp|tls):([0-9.]+|\[[0-9a-fA-F:]+\]):[0-9]{1,5}(/[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$'
for l in ${OI_SIP_LISTEN:-udp:127.0.0.1:5080 tcp:127.0.0.1:5080}; do
  [[ "$l" =~ $sock ]] || die "OI_SIP_LISTEN: '$l' is not proto:address:port[/advertised-host[:port]]"
  listen+=(-l "$l")
done
listen+=(-l "tcp:$ops_host:$ops_port") # HTTP only: /healthz, /readyz, /metrics
defines=(-A "OI_SIP_RESOLVE_TIMEOUT_S=$timeout_s" -A "OI_SIP_CHILDREN=$children" -A "OI_SIP_OPS_PORT=$ops_port")
if [[ "${1:-}" == --check ]]; then
  command -v kamailio >/dev/null || { echo "oi-sip-edge: environment valid; kamailio not installed: config not loaded"; exit 0; }
fi
kamailio -c -f "$cfg" "${defines[@]}" >/dev/null 2>&1 || kamailio -c -f "$cfg" "${defines[@]}" || die "$cfg does not load"
[[ "${1:-}" == --check ]] && { echo "oi-sip-edge: environment and config valid"; exit 0; }
# shared memory holds every transaction until its wait timer ends (5 s after the final answer):
# 64 MB (Kamailio's default) ran out near 4,000 calls/s, 256 MB near 5,500; only pages in use count
exec kamailio -DD -E -x tlsf -m "$shm_mb" -f "$cfg" "${listen[@]}" "${defines[@]}" "$@"
