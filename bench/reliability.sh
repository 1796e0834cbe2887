#!/usr/bin/env bash
# The long versions of the CI reliability tests, recorded to bench/results/reliability-DATE.md (or $1/...):
# differential fuzzing of every engine against naive (small and large specs, in one JVM), oneDNN at 1, 2, 8 and
# 16 threads in child JVMs (a crash is a finding), and the native-memory check over many plan cycles.
# Counts can be lowered for a trial run: FUZZ=100000 LARGE=300 THREADED=5000 PLANS=30000 FORWARDS=300000.
# Takes about 15 minutes with the defaults on a 2-core machine; bench/record.sh runs it after the benchmarks.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
fuzz=${FUZZ:-100000} large=${LARGE:-300} threaded=${THREADED:-5000}
plans=${PLANS:-30000} forwards=${FORWARDS:-300000}
mkdir -p "$out"
# -dirty only when the code differs from the commit, not when results or prose are being written meanwhile
commit=$(git -C "$root" rev-parse --short=12 HEAD)
if [ -n "$(git -C "$root" diff --name-only HEAD -- pom.xml src native-config bench/pom.xml bench/src)" ]; then
  commit="$commit-dirty"
fi
file="$out/reliability-$(date +%F).md"
log=$(mktemp)
JAVA_HOME=$("$root/conv4j" java-home)
export JAVA_HOME
start=$(date +%s)
"$root/mvnw" -B -o -f "$root/pom.xml" test -Dtest='FuzzTest,ThreadedFuzzTest,NativeMemoryTest' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dconv4j.fuzz.count="$fuzz" -Dconv4j.fuzz.large="$large" \
  -Dconv4j.fuzz.threaded.count="$threaded" -Dconv4j.leak.plans="$plans" -Dconv4j.leak.forwards="$forwards" \
  -Dconv4j.fork.timeout=10800 \
  > "$log" 2>&1 && status=passed || status=FAILED
minutes=$(( ($(date +%s) - start + 59) / 60 ))
{
  echo "# Reliability runs, $(date +%F)"
  echo
  echo "Recorded by \`bench/reliability.sh\` at commit \`$commit\`: the long versions of \`FuzzTest\`,"
  echo "\`ThreadedFuzzTest\` and \`NativeMemoryTest\` (src/test/java/io/github/conv4j/), $minutes minutes, $status."
  echo
  echo "- CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(nproc) processors"
  echo "- JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
  echo "- Environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-(unset)}"
  echo "- Command: \`./mvnw test -Dtest=FuzzTest,ThreadedFuzzTest,NativeMemoryTest -Dconv4j.fuzz.count=$fuzz"
  echo "  -Dconv4j.fuzz.large=$large -Dconv4j.fuzz.threaded.count=$threaded -Dconv4j.leak.plans=$plans"
  echo "  -Dconv4j.leak.forwards=$forwards\`"
  echo
  echo "## Differential fuzzing against naive, in one JVM (\`FuzzTest\`)"
  echo
  echo "Seeded random specs: small (sizes 1..40, channels per group 1..6, both dtypes, every padding mode, groups,"
  echo "depthwise, bias, ReLU) and large (batch 1..8, sizes 1..200, channels per group 1..128, at most 4e7"
  echo "multiply-adds). Even seeds use small-integer inputs (compared exactly), odd seeds uniform floats (within"
  echo "\`8 * eps * (kh*kw*ic/groups + 1)\`). onednn declines float64 and nothing else."
  echo
  echo '```'
  grep -E '^fuzz [a-z0-9-]+, (small|large) specs' "$log" || true
  echo '```'
  echo
  echo "## oneDNN at 1, 2, 8 and 16 threads, in child JVMs (\`ThreadedFuzzTest\`)"
  echo
  echo "Every spec split over all the threads (\`conv4j.thread.min.flops=0\`). The edges profile aims at the"
  echo "geometry of oneDNN 3.11's SIGSEGV and wrong results (see \`bench/onednn-repro/\`); a crash would be listed"
  echo "with its seed."
  echo
  echo '```'
  grep -E '^fuzz onednn, [0-9]+ threads' "$log" || true
  echo '```'
  echo
  echo "## Native memory (\`NativeMemoryTest\`)"
  echo
  echo '```'
  grep -E '^(leak|native)' "$log" || true
  echo '```'
  if [ "$status" = FAILED ]; then
    echo
    echo "## Failures"
    echo
    echo '```'
    grep -E 'FAIL|ERROR|differs|crash' "$log" | head -40 || true
    echo '```'
  fi
} > "$file"
echo "wrote $file ($status)" >&2
rm -f "$log"
[ "$status" = passed ]
