#!/usr/bin/env bash
# fuzz.sh [TARGET...]: every fuzz target (tests/fuzz/<name>/fuzz.c) as a real libFuzzer binary
# (clang, ASan+UBSan, the libraries instrumented too) in build-fuzz/, run FUZZ_SECONDS each
# (default 1800) from a copy of its corpus. New inputs that add coverage are merged back into
# tests/fuzz/<name>/corpus (which `make test` replays); a crash leaves its input in
# .run/fuzz/<name>/ and makes the run fail. FUZZ_JOBS parallel targets (default: the cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-1800}
jobs=${FUZZ_JOBS:-$(nproc)}
command -v clang >/dev/null || { echo "fuzz: clang is not installed (apt-get install clang)" >&2; exit 1; }
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DOI_FUZZ=ON -DOI_TESTS=OFF -DOI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*/fuzz.c; do targets+=("$(basename "$(dirname "$f")")"); done
fi
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

run_one() {
  local n=$1 out=.run/fuzz/$1
  rm -rf "$out"; mkdir -p "$out/corpus"
  cp tests/fuzz/"$n"/corpus/* "$out/corpus/" 2>/dev/null || true
  local rc=0
  (cd "$out" && "$root/build-fuzz/fuzz_$n" corpus -max_total_time="$seconds" -max_len=4096 >log 2>&1) || rc=$?
  "$root/build-fuzz/fuzz_$n" -merge=1 "tests/fuzz/$n/corpus" "$out/corpus" >>"$out/log" 2>&1 || true
  printf 'fuzz: %-16s %s  (%s)\n' "$n" "$( ((rc == 0)) && echo ok || echo "FAILED: see $out/log")" \
    "$(grep -m1 -E 'DONE' "$out/log" | sed 's/^#//')"
  return "$rc"
}

rc=0
pids=()
for n in "${targets[@]}"; do
  run_one "$n" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then wait "${pids[0]}" || rc=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit "$rc"
