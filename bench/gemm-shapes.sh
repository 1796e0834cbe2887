#!/usr/bin/env bash
# OpenBLAS's cblas_sgemm alone on im2col's GEMMs for R1..R5 (GemmShapesBench), 1 thread, OpenBLAS core left to
# choose: the ceiling the im2col engines work under. Writes bench/results/openblas-gemm-<date>.md. About
# 3 minutes on an idle machine. Build first: ./mvnw test-compile
set -euo pipefail
source "$(dirname "$0")/harness.sh"
out="bench/results/openblas-gemm-$(date +%F).md"
{
  echo "# OpenBLAS sgemm on im2col's GEMMs, $(date +%F)"
  echo
  machine
  echo "- harness: src/test/java/io/github/conv4j/engine/im2col/GemmShapesBench.java via bench/gemm-shapes.sh;"
  echo "  1 thread, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; medians of 5 interleaved rounds, each the"
  echo "  best of 3 runs"
  echo
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$JAVA_HOME/bin/java" @native-config/jvm.args -Xmx2g -cp "$cp" \
    io.github.conv4j.engine.im2col.GemmShapesBench 2>&1 | grep -v '^WARNING'
} | tee "$out"
echo "wrote $out" >&2
