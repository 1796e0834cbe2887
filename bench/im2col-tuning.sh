#!/usr/bin/env bash
# Times the im2col kernel's tuning choices interleaved in one JVM (Im2colTuningBench): the weight order and
# tile rule at 1 and 2 threads, float32 and float64, and Java workers against OpenBLAS's threads at 2 threads;
# OpenBLAS core as set (Haswell) and unset. Writes bench/results/im2col-tuning-<date>.md. About 10 minutes on
# an idle machine. Build first: ./mvnw test-compile
set -euo pipefail
source "$(dirname "$0")/harness.sh"
out="bench/results/im2col-tuning-$(date +%F).md"
# bench haswell|native THREADS ROUNDS [-Dbench.*=...]
bench() {
  local core=$1 threads=$2 rounds=$3
  shift 3
  local envs=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
  if [ "$core" = haswell ]; then
    envs=(env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512)
  fi
  "${envs[@]}" "$JAVA_HOME/bin/java" @native-config/jvm.args -Xmx2g "$@" -cp "$cp" \
    io.github.conv4j.engine.im2col.Im2colTuningBench "$threads" "$rounds" 2>&1 | grep -v '^WARNING'
}
{
  echo "# im2col tuning choices, $(date +%F)"
  echo
  machine
  echo "- harness: src/test/java/io/github/conv4j/engine/im2col/Im2colTuningBench.java via bench/im2col-tuning.sh;"
  echo "  whole forwards of im2col-ffm on a prepared kernel, NHWC, no bias or ReLU; each cell the median of"
  echo "  5 round medians, the variants interleaved round by round"
  echo
  echo "## Weight order and tile rule, OpenBLAS core unset, 1 thread, float32"
  echo
  bench native 1 5 -Dbench.compare=tuning
  echo
  echo "## Weight order and tile rule, OpenBLAS core unset, 1 thread, float64"
  echo
  bench native 1 5 -Dbench.compare=tuning -Dbench.dtype=float64 -Dbench.shapes=S1,R1,R3,R4,R5
  echo
  echo "## Weight order and tile rule, OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512, 1 thread, float32"
  echo
  bench haswell 1 5 -Dbench.compare=tuning
  echo
  echo "## Weight order and tile rule, OpenBLAS core unset, 2 threads (OpenBLAS's), float32"
  echo
  bench native 2 5 -Dbench.compare=tuning -Dbench.shapes=R1,R2,R3,R4,R5,R6
  echo
  echo "## Java workers against OpenBLAS's threads, OpenBLAS core unset, 2 threads, float32"
  echo
  bench native 2 5 -Dbench.compare=split
  echo
  echo "## Java workers against OpenBLAS's threads, OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512, 2 threads, float32"
  echo
  bench haswell 2 5 -Dbench.compare=split
} | tee "$out"
echo "wrote $out" >&2
