#!/usr/bin/env bash
# run.sh: `make run` after the build — stack up, an API key, what to try; in the foreground
# until Ctrl-C / SIGTERM, then everything it started is stopped.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export OI_RUN_DIR=${OI_RUN_DIR:-$ROOT/.run}
STACK="$HERE/stack.sh"

stopping=0
stop() {
  ((stopping)) && return
  stopping=1
  echo
  echo "stopping the suite..."
  "$STACK" down || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$STACK" up

# shellcheck disable=SC1091
source "$OI_RUN_DIR/stack.env"
URL=$OI_GATEWAY_URL

json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

resp=$(curl -fsS --max-time 30 -X POST "$URL/v1/api-keys" \
  -H "Authorization: Bearer $OI_ADMIN_TOKEN" -H 'Content-Type: application/json' \
  -d '{"name":"local","workspace":"local"}') || { echo "could not create an API key" >&2; exit 1; }
KEY=$(json_field key <<<"$resp")
WORKSPACE=$(json_field workspace_id <<<"$resp")

cat <<EOT

OneInbox is running.

  gateway          $URL   (GET $URL/healthz)
  API key          $KEY   (workspace "local", $WORKSPACE)
  admin token      $OI_ADMIN_TOKEN
  internal token   $OI_INTERNAL_TOKEN
  logs             $OI_LOG_DIR/*.log
  carrier sim      $OI_SIM_URL
  SIP edge         $OI_SIP_URI   (UDP and TCP; agent endpoint $OI_AGENT_SIP_URI)

Try it:

  export OI=$URL KEY=$KEY
  AGENT=\$(curl -s -X POST \$OI/v1/agents -H "Authorization: Bearer \$KEY" \\
      -H 'Content-Type: application/json' -d '{"name":"Sales agent"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -s -X POST \$OI/v1/phone-numbers -H "Authorization: Bearer \$KEY" -H 'Content-Type: application/json' -d '{
      "phone_number": "+15739693824", "friendly_name": "Sales Line", "provider": "twilio",
      "agent_id": "'\$AGENT'",
      "provider_config": {"trunk_address": "yourtrunk.pstn.twilio.com", "auth_username": "oneinbox", "auth_password": "s3cret-pass"},
      "inbound_routing": {"agent_id": "'\$AGENT'", "voicemail_message": "Sorry, we missed you."}}'
  curl -s \$OI/v1/phone-numbers -H "Authorization: Bearer \$KEY"
  curl -s "\$OI/v1/routing/resolve?to=%2B15739693824" -H "Authorization: Bearer $OI_INTERNAL_TOKEN"
  tools/test-call +15739693824      # a call through the SIP edge: where it went and why

Ctrl-C stops everything.
EOT

# stay in the foreground; leave (and stop the rest) if a service dies
while :; do
  sleep 2 &
  wait $! || true
  for f in "$OI_RUN_DIR"/pids/oi-*.pid; do
    [[ -e "$f" ]] || continue
    if ! kill -0 "$(cat "$f")" 2>/dev/null; then
      name=$(basename "$f" .pid)
      echo "$name exited; last lines of its log:" >&2
      tail -n 20 "$OI_LOG_DIR/${name}.log" >&2 2>/dev/null || true
      exit 1
    fi
  done
done
