#!/bin/sh
# oneinbox SERVICE: runs one of the suite's binaries as PID 1 (exec, so SIGTERM reaches it).
# SERVICE is oi-gateway, oi-provisioning, oi-dispatch, oi-carrier or oi-carrier-sim
# (the "oi-" prefix may be left out).
set -eu
svc=${1:-}
case "$svc" in
  gateway|provisioning|dispatch|carrier|carrier-sim) svc="oi-$svc" ;;
esac
case "$svc" in
  oi-gateway|oi-provisioning|oi-dispatch|oi-carrier|oi-carrier-sim) ;;
  *)
    echo "usage: oneinbox oi-gateway|oi-provisioning|oi-dispatch|oi-carrier|oi-carrier-sim" >&2
    exit 64 ;;
esac
shift
exec "/opt/oneinbox/bin/$svc" "$@"
