#!/usr/bin/env bash
# Times the im2col engines on the DESIGN.md shapes (Im2colBench), with OPENBLAS_CORETYPE=Haswell
# OPENBLAS_L2_SIZE=512 and with both unset, 1 and 2 threads, and writes bench/results/im2col-<date>.md.
# Run it on a quiet machine: other load distorts the 2-thread rows most. Build first: ./mvnw test-compile
set -euo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:?set JAVA_HOME to a JDK 22+}"
m2="${HOME}/.m2/repository/org/bytedeco"
cp="target/classes:target/test-classes"
for jar in "$m2"/javacpp/1.5.13/javacpp-1.5.13{,-linux-x86_64}.jar \
           "$m2"/openblas/0.3.31-1.5.13/openblas-0.3.31-1.5.13{,-linux-x86_64}.jar; do
  cp="$cp:$jar"
done
out="bench/results/im2col-$(date +%F).md"
java=("$JAVA_HOME/bin/java" "@native-config/jvm.args" -Xmx2g -cp "$cp" io.github.conv4j.engine.im2col.Im2colBench "$@")
{
  echo "# im2col engines, $(date +%F)"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores available"
  echo "- JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
  echo "- harness: src/test/java/io/github/conv4j/engine/im2col/Im2colBench.java via bench/im2col-bench.sh;"
  echo "  float32, NHWC, no bias or ReLU; median of forward on a prepared plan"
  echo
  echo "## OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512"
  echo
  env OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 "${java[@]}"
  echo "## OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
  echo
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${java[@]}"
} | tee "$out"
echo "wrote $out" >&2
