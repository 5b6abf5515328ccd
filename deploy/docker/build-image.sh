#!/usr/bin/env bash
# build-image.sh: `make image`. Builds, with podman or docker (whichever is installed),
#   oneinbox:dev         deploy/docker/Dockerfile: every service, from scratch plus the libraries
#                        the binaries load; must stay within OI_IMAGE_MAX_MB (default 120)
#   oneinbox-sip:dev     deploy/docker/Dockerfile.sip: the SIP edge (Kamailio from Debian and
#                        deploy/sip), which the dev overlay's oi-sip-edge runs
#   oneinbox-stores:dev  deploy/docker/Dockerfile.stores: PostgreSQL 15 and Redis from Debian, for
#                        the container run of the suite (tests/deploy/smoke_dev.py --image)
# on the base debian:12 that base-image.sh makes from Debian's archive when the store lacks it.
# Layers are cached by the engine, so a second build only redoes what changed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=deploy/docker/engine.sh
source "$ROOT/deploy/docker/engine.sh"
oi_engine_init
MAX_MB=${OI_IMAGE_MAX_MB:-120}
TAG=${OI_IMAGE_TAG:-dev}

if [[ ! -f $ROOT/tools/docs/node_modules/redoc/bundles/redoc.standalone.js ]]; then
  echo "build-image: tools/docs/node_modules is missing (deploy/local/bootstrap.sh runs npm ci)" >&2
  exit 1
fi
"$ROOT/deploy/docker/base-image.sh"

# the engine's own output goes to a log (its last lines are shown when a build fails)
LOG=${OI_IMAGE_LOG:-$ROOT/.run/image-build.log}
mkdir -p "$(dirname "$LOG")"
: >"$LOG"

build() { # build NAME DOCKERFILE
  local args=(build --network host -f "$ROOT/$2" -t "$1")
  if [[ $ENGINE == podman ]]; then
    args+=(--pull=never --layers "${ENGINE_LIMITS[@]}")
  fi
  echo "build-image: $1 ($ENGINE, $2; log $LOG)" >&2
  if ! "${ENGINE_CMD[@]}" "${args[@]}" "$ROOT" >>"$LOG" 2>&1; then
    tail -40 "$LOG" >&2
    echo "build-image: building $1 failed (whole log: $LOG)" >&2
    return 1
  fi
}
build "oneinbox:$TAG" deploy/docker/Dockerfile
build "oneinbox-sip:$TAG" deploy/docker/Dockerfile.sip
build "oneinbox-stores:$TAG" deploy/docker/Dockerfile.stores

bytes=$(oi_image_bytes "oneinbox:$TAG")
mb=$(( (bytes + 999999) / 1000000 ))
echo "build-image: oneinbox:$TAG is $mb MB ($bytes bytes; limit $MAX_MB MB)"
if (( bytes > MAX_MB * 1000000 )); then
  echo "build-image: oneinbox:$TAG is over $MAX_MB MB" >&2
  exit 1
fi
