#!/usr/bin/env bash
# The sweep behind winograd's block sizes (WinogradConv.Blocking.DEFAULT): runs the test-scope harness
# WinogradBlockingBench (1 thread, float32 NHWC, R1/R3/R4/R5 at both tile sizes, variants interleaved) and writes
# bench/results/winograd-blocking-DATE.md (or $1/...). Refuses a tree whose code differs from its commit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
. "$root/bench/lib.sh"
require_committed_code "$root"
JAVA_HOME=$("$root/conv4j" java-home)
export JAVA_HOME
"$root/mvnw" -B -q -f "$root/pom.xml" test-compile >&2
file="$out/winograd-blocking-$(date +%F).md"
{
  echo "# winograd block sizes, $(date +%F)"
  echo
  echo "Recorded by \`bench/winograd-blocking.sh\` at commit \`$(git -C "$root" rev-parse --short=12 HEAD)\`: whole"
  echo "forwards of the float32 kernel on one thread, NHWC, batch 8, each cell the median of ${ROUNDS:-5} round"
  echo "medians (variants interleaved round by round, after one round not kept), with the tiles per block the variant chose. Every variant"
  echo "makes equal blocks, or one block when the tiles overfill one by at most a quarter."
  echo
  echo "- CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(nproc) processors"
  echo "- JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
  echo
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$root/target/test-classes:$root/target/classes" \
    io.github.conv4j.engine.winograd.WinogradBlockingBench "${ROUNDS:-5}" 0.3 2>/dev/null
} > "$file"
echo "wrote $file" >&2
