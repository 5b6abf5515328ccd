#!/usr/bin/env bash
# base-image.sh [--force]: makes the image `debian:12` that the Dockerfiles build FROM, out of
# Debian's own archive, since no container registry is reachable here: debootstrap (minbase,
# bookworm) into a temporary directory, apt pointed at bookworm, -updates and -security, docs,
# man pages, locales and apt's lists dropped, then imported into podman's or docker's store.
# Nothing is done when the store already holds it (--force makes it again).
# OI_DEBIAN_MIRROR (default http://deb.debian.org/debian) picks the archive.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/docker/engine.sh
source "$HERE/engine.sh"
oi_engine_init

NAME=debian:12
MIRROR=${OI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [[ ${1:-} != --force ]] && oi_image_exists "$NAME"; then
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "base-image: debootstrap is missing (apt-get install debootstrap)" >&2
  exit 1
fi

root=$(mktemp -d /var/tmp/oi-debian12.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap bookworm from $MIRROR" >&2
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"

security=${MIRROR%/debian}/debian-security
if [[ $MIRROR != */debian ]]; then security=http://deb.debian.org/debian-security; fi
cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $security bookworm-security main
SOURCES
# what the slim images leave out, for the packages installed later too
cat >"$root/etc/dpkg/dpkg.cfg.d/01-oi-slim" <<'EXCLUDES'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EXCLUDES
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/01-oi-norecommends"
printf 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };\n' >"$root/etc/apt/apt.conf.d/01-oi-clean"
find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/lib/apt/lists/* \
  "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +

echo "base-image: importing as $NAME into $ENGINE" >&2
tar --numeric-owner -C "$root" -c . |
  "${ENGINE_CMD[@]}" import --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$NAME" >"$root.log" 2>&1 || {
  cat "$root.log" >&2
  rm -f "$root.log"
  exit 1
}
rm -f "$root.log"
echo "base-image: $NAME ready" >&2
