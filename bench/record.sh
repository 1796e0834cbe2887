#!/usr/bin/env bash
# Records every measurement README.md quotes, at the commit checked out (it refuses a tree whose tracked files
# differ from it, so each file names the code it measured):
#   compare-{haswell,native}-{1,2}t   every engine on every shape, at 1 and 2 threads, with OpenBLAS's core forced
#                                     to Haswell (OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512, as some
#                                     environments set it) and with both variables unset (OpenBLAS picks the core)
#   compare-native-1t-float64         the same in float64, one thread
#   compare-native-{1,2}t-fast        the 3x3 stride-1 shapes at accuracy fast (winograd's F(4x4,3x3)) against
#                                     onednn, OpenBLAS's core unset
#   compare-native-{1,2}t-measure     every engine but naive on every shape, the auto row planned by measured
#                                     planning (compare --plan measure), OpenBLAS's core unset
#   winograd-blocking-DATE.md         winograd's block-size sweep (bench/winograd-blocking.sh)
#   compare-native-{1,2}t-{rp-float32,bf16,bfloat16,uint8,int8}, reduced-precision-DATE.md
#                                     reduced precision against float32 (bench/reduced-precision.sh)
#   peers-{1,2}t                      NumPy's einsum over the strided split (bench/peers/peers.py)
#   jmh-concurrent-t{1,2,8}           many calling threads on one plan (JMH ConcurrentForwardBenchmark)
#   jmh-onednn-new-thread-count       a oneDNN plan's first call at a thread count it was not made for
#                                     (JMH OneDnnNewThreadCountBenchmark)
#   reliability-DATE.md               the long fuzz and leak runs (bench/reliability.sh)
# Writes to bench/results/ (or $1). Run it on an otherwise idle machine; about 50 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "error: the work tree differs from commit $(git -C "$root" rev-parse --short HEAD); commit or stash first," \
       "so that every result names the code it measured" >&2
  git -C "$root" status --short --untracked-files=no >&2
  exit 1
fi
mkdir -p "$out"
"$root/conv4j" build
native=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
for core in haswell native; do
  for threads in 1 2; do
    name="compare-$core-${threads}t"
    if [ "$core" = haswell ]; then
      envs=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512)
    else
      envs=("${native[@]}")
    fi
    echo "== $name" >&2
    "${envs[@]}" OMP_NUM_THREADS="$threads" "$root/conv4j" compare --shapes all --engines all \
      --threads "$threads" --json "$out/$name.json" --chart "$out/$name.png" | tee "$out/$name.txt"
  done
done
echo "== compare-native-1t-float64" >&2
"${native[@]}" OMP_NUM_THREADS=1 "$root/conv4j" compare --shapes all --engines all --threads 1 --dtype float64 \
  --json "$out/compare-native-1t-float64.json" --chart "$out/compare-native-1t-float64.png" \
  | tee "$out/compare-native-1t-float64.txt"
for threads in 1 2; do
  name="compare-native-${threads}t-fast"
  echo "== $name" >&2
  "${native[@]}" OMP_NUM_THREADS="$threads" "$root/conv4j" compare --shapes R1,R3,R4,R5 --engines onednn,winograd,auto \
    --accuracy fast --threads "$threads" --json "$out/$name.json" | tee "$out/$name.txt"
  name="compare-native-${threads}t-measure"
  echo "== $name" >&2
  "${native[@]}" OMP_NUM_THREADS="$threads" "$root/conv4j" compare --shapes all \
    --engines onednn,java-vector,im2col-ffm,im2col-jni,winograd,auto --plan measure --threads "$threads" \
    --json "$out/$name.json" | tee "$out/$name.txt"
done
echo "== winograd-blocking" >&2
"${native[@]}" "$root/bench/winograd-blocking.sh" "$out"
echo "== reduced precision" >&2
"$root/bench/reduced-precision.sh" "$out"
for threads in 1 2; do
  echo "== peers-${threads}t" >&2
  "${native[@]}" python3 "$root/bench/peers/peers.py" --shapes all --threads "$threads" \
    --json "$out/peers-${threads}t.json"
done
for callers in 1 2 8; do
  echo "== jmh-concurrent-t$callers" >&2
  "${native[@]}" "$root/conv4j" jmh ConcurrentForwardBenchmark -t "$callers" -rf json \
    -rff "$out/jmh-concurrent-t$callers.json"
done
echo "== jmh-onednn-new-thread-count" >&2
"${native[@]}" "$root/conv4j" jmh OneDnnNewThreadCountBenchmark -rf json -rff "$out/jmh-onednn-new-thread-count.json"
echo "== reliability" >&2
"$root/bench/reliability.sh" "$out"
