#!/usr/bin/env bash
# Times the im2col engines on the DESIGN.md shapes (Im2colBench), with OPENBLAS_CORETYPE=Haswell
# OPENBLAS_L2_SIZE=512 and with both unset, 1 and 2 threads, and writes bench/results/im2col-<date>.md.
# Run it on a quiet machine: other load distorts the 2-thread rows most. Build first: ./mvnw test-compile
set -euo pipefail
source "$(dirname "$0")/harness.sh"
out="bench/results/im2col-$(date +%F).md"
java=("$JAVA_HOME/bin/java" "@native-config/jvm.args" -Xmx2g -cp "$cp" io.github.conv4j.engine.im2col.Im2colBench "$@")
{
  echo "# im2col engines, $(date +%F)"
  echo
  machine
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
