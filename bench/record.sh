#!/usr/bin/env bash
# Records the comparison that README.md quotes: every engine on every shape, at 1 and 2 threads, with
# OpenBLAS's core forced to Haswell (OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512, as some environments set
# it) and with both variables unset (OpenBLAS picks the core for this CPU). Writes JSON and charts to
# bench/results/ (or $1). Run it on an otherwise idle machine; it takes about 8 minutes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
mkdir -p "$out"
"$root/conv4j" build
for core in haswell native; do
  for threads in 1 2; do
    name="compare-$core-${threads}t"
    if [ "$core" = haswell ]; then
      envs=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512)
    else
      envs=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    fi
    echo "== $name" >&2
    "${envs[@]}" OMP_NUM_THREADS="$threads" "$root/conv4j" compare --shapes all --engines all \
      --threads "$threads" --json "$out/$name.json" --chart "$out/$name.png" | tee "$out/$name.txt"
  done
done
