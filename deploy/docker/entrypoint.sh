#!/bin/sh
# oneinbox SERVICE [ARGS...]: runs one of the suite's binaries as PID 1 (exec, so SIGTERM
# reaches it). SERVICE is oi-gateway, oi-provisioning, oi-dispatch, oi-carrier or
# oi-carrier-sim (the "oi-" prefix may be left out). ONEINBOX_PREFIX (default /opt/oneinbox,
# the image layout) only exists so tests/deploy/smoke_dev.py can run a copy of that layout.
set -eu
prefix=${ONEINBOX_PREFIX:-/opt/oneinbox}
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
if [ ! -x "$prefix/bin/$svc" ]; then
  echo "oneinbox: $prefix/bin/$svc is missing" >&2
  exit 127
fi
exec "$prefix/bin/$svc" "$@"
