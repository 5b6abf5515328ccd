# shellcheck shell=bash disable=SC2034
# engine.sh: sourced by the image scripts. Picks the container engine (podman, or a docker whose
# daemon answers; OI_CONTAINER_ENGINE=podman|docker chooses when both are) and the
# flags these machines need: rootful podman runs with runc (crun refuses a hybrid cgroup
# hierarchy) and every container gets explicit nofile/nproc limits, within this shell's own. Builds and the container
# run use the host's network: there is no registry to pull from and nothing to publish.
oi_engine_init() {
  ENGINE=${OI_CONTAINER_ENGINE:-}
  if [[ -z $ENGINE ]]; then
    if command -v podman >/dev/null 2>&1; then
      ENGINE=podman
    elif command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; then
      ENGINE=docker
    else
      echo "no container engine (or a docker client whose daemon does not answer): apt-get install" \
        "podman runc (deploy/local/bootstrap.sh does)" >&2
      return 1
    fi
  fi
  ENGINE_CMD=("$ENGINE")
  if [[ $ENGINE == podman ]]; then
    ENGINE_CMD+=(--runtime "${OI_PODMAN_RUNTIME:-runc}")
  fi
  local nofile nproc
  nofile=$(oi_limit "$(ulimit -Hn)" 65536) nproc=$(oi_limit "$(ulimit -Hu)" 32768)
  ENGINE_LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
}

# oi_limit HARD WANT: WANT, or the caller's hard limit when lower (a container cannot raise it;
# runc here refuses an nproc above podman's own default, 32768, even under a higher hard limit)
oi_limit() {
  if [[ $1 == unlimited ]] || (($1 > $2)); then echo "$2"; else echo "$1"; fi
}

# oi_image_exists NAME: the engine's store holds NAME
oi_image_exists() {
  if [[ $ENGINE == podman ]]; then
    "${ENGINE_CMD[@]}" image exists "$1"
  else
    "${ENGINE_CMD[@]}" image inspect "$1" >/dev/null 2>&1
  fi
}

# oi_image_bytes NAME: the image's size, in bytes, as the engine counts it
oi_image_bytes() {
  "${ENGINE_CMD[@]}" image inspect --format '{{.Size}}' "$1"
}
