#!/usr/bin/env bash
# Reduced precision against float32, back to back on one machine (OpenBLAS's core unset, as in the native runs):
#   compare-native-{1,2}t-rp-float32   onednn and auto in float32 at accuracy exact: the baseline
#   compare-native-{1,2}t-bf16         float32 tensors at accuracy bf16 (onednn in oneDNN's bf16 math mode)
#   compare-native-{1,2}t-bfloat16     bfloat16 tensors (onednn, java-vector, auto)
#   compare-native-{1,2}t-{uint8,int8} quantized activations, int8 weights and output (onednn, auto)
# on every benchmark shape, then reduced-precision-DATE.md: each run's onednn time against the baseline's, and
# its max error. Writes to bench/results/ (or $1). Refuses a tree whose tracked files differ from the commit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
. "$root/bench/lib.sh"
require_committed_code "$root"
mkdir -p "$out"
"$root/conv4j" build
native=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
for threads in 1 2; do
  run() {
    local name="compare-native-${threads}t-$1"
    shift
    echo "== $name" >&2
    "${native[@]}" OMP_NUM_THREADS="$threads" "$root/conv4j" compare --shapes all --threads "$threads" "$@" \
      --json "$out/$name.json" | tee "$out/$name.txt"
  }
  run rp-float32 --engines onednn,auto
  run bf16 --engines onednn,auto --accuracy bf16
  run bfloat16 --engines onednn,java-vector,auto --dtype bfloat16
  run uint8 --engines onednn,auto --dtype uint8
  run int8 --engines onednn,auto --dtype int8
done
python3 "$root/bench/precision.py" "$out" > "$out/reduced-precision-$(date +%F).md"
echo "wrote $out/reduced-precision-$(date +%F).md" >&2
