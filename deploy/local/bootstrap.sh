#!/usr/bin/env bash
# bootstrap.sh: installs the Debian 12 packages the suite needs, and nothing when all are present.
# Runs as root (or through sudo when available); non-interactive; safe to re-run.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libuv1-dev libhiredis-dev
  libcurl4-openssl-dev libcriterion-dev libpq-dev libjansson-dev libhttp-parser-dev
  libsodium-dev libjwt-dev libssl-dev libicu-dev libphonenumber-dev libjemalloc-dev
  postgresql redis-server
  kamailio kamailio-utils-modules kamailio-extra-modules kamailio-json-modules sipsak
  python3 python3-pytest python3-jwt python3-cryptography python3-jsonschema curl
  chromium
)
# npm (the reference page's script and the OpenAPI linter, from the npm registry): Debian's
# unless one is on PATH already
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi
# `make image` and `make test`'s container run: a container engine (podman, unless a docker
# whose daemon answers is there already; rootful, with runc) and debootstrap for the Debian base
# image. A docker client without a daemon (some machines ship one) does not count.
PACKAGES+=(debootstrap)
if ! command -v podman >/dev/null 2>&1 &&
  ! { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }; then
  PACKAGES+=(podman runc)
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# tools/docs: redoc (GET /docs serves its script) and @redocly/cli (make test lints the OpenAPI
# document), at the versions package-lock.json pins; again only when the lock file changed.
docs_tools() {
  local dir=$ROOT/tools/docs
  if [[ -f $dir/node_modules/.package-lock.json && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
    return 0
  fi
  echo "bootstrap: npm ci in tools/docs" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
}

# Optional: what the offline Kubernetes manifest check (tests/deploy/check_manifests.py)
# uses. Installed when available, never fatal: without kubectl the check renders no overlay
# and says so. kubernetes-client (kubectl 1.20) only when no kubectl is on PATH already, so
# an existing kubectl is neither replaced nor conflicted with.
OPTIONAL=(python3-yaml)
if ! command -v kubectl >/dev/null 2>&1; then
  OPTIONAL+=(kubernetes-client)
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done
optional_missing=()
for p in "${OPTIONAL[@]}"; do
  is_installed "$p" || optional_missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 && ${#optional_missing[@]} -eq 0 ]]; then
  docs_tools
  exit 0
fi

echo "bootstrap: installing ${missing[*]} ${optional_missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  elif [[ ${#missing[@]} -eq 0 ]]; then
    echo "bootstrap: optional packages (${optional_missing[*]}) missing and not root: skipped" >&2
    exit 0
  else
    echo "bootstrap: missing packages (${missing[*]}) and not root: run as root once" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# the postgresql package would create and start a system cluster on port 5432; we run our
# own private cluster, so keep the package from starting services during installation.
policy_created=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
  policy_created=1
fi
cleanup() { if [[ $policy_created -eq 1 ]]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

if [[ ${#missing[@]} -gt 0 ]]; then
  "${SUDO[@]}" apt-get update -qq </dev/null
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
else
  "${SUDO[@]}" apt-get update -qq </dev/null || true
fi
for p in "${optional_missing[@]}"; do
  if "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$p" </dev/null; then
    :
  else
    echo "bootstrap: optional package $p not installed (tests/deploy/check_manifests.py adapts)" >&2
  fi
done
docs_tools
echo "bootstrap: done" >&2
