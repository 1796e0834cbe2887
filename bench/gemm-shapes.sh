#!/usr/bin/env bash
# OpenBLAS's cblas_sgemm alone on im2col's GEMMs for R1..R5 (GemmShapesBench), 1 thread, OpenBLAS core left to
# choose: the ceiling the im2col engines work under. Writes bench/results/openblas-gemm-<date>.md. About
# 3 minutes on an idle machine. Build first: ./mvnw test-compile
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:?set JAVA_HOME to a JDK 22+}"
m2="${HOME}/.m2/repository/org/bytedeco"
cp="target/classes:target/test-classes"
for jar in "$m2"/javacpp/1.5.13/javacpp-1.5.13{,-linux-x86_64}.jar \
           "$m2"/openblas/0.3.31-1.5.13/openblas-0.3.31-1.5.13{,-linux-x86_64}.jar; do
  cp="$cp:$jar"
done
out="bench/results/openblas-gemm-$(date +%F).md"
{
  echo "# OpenBLAS sgemm on im2col's GEMMs, $(date +%F)"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores available"
  echo "- JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
  echo "- harness: src/test/java/io/github/conv4j/engine/im2col/GemmShapesBench.java via bench/gemm-shapes.sh;"
  echo "  1 thread, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset; medians of 5 interleaved rounds, each the"
  echo "  best of 3 runs"
  echo
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$JAVA_HOME/bin/java" @native-config/jvm.args -Xmx2g -cp "$cp" \
    io.github.conv4j.engine.im2col.GemmShapesBench 2>&1 | grep -v '^WARNING'
} | tee "$out"
echo "wrote $out" >&2
