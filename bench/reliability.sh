#!/usr/bin/env bash
# The long versions of the CI reliability tests, recorded to bench/results/reliability-DATE.md (or $1/...):
# differential fuzzing of every engine against naive (small and large specs, in one JVM), oneDNN at 1, 2, 8 and
# 16 threads in child JVMs (a crash is a finding), the native-memory check over many plan cycles, and the raw
# oneDNN reproducers in bench/onednn-repro/.
# Counts can be lowered for a trial run: FUZZ=100000 LARGE=300 THREADED=5000 PLANS=30000 FORWARDS=300000.
# Takes about 12 minutes with the defaults on a 2-core machine; bench/record.sh runs it after the benchmarks.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
fuzz=${FUZZ:-100000} large=${LARGE:-300} threaded=${THREADED:-5000}
plans=${PLANS:-30000} forwards=${FORWARDS:-300000}
mkdir -p "$out"
# -dirty only when the code differs from the commit, not when results or prose are being written meanwhile
commit=$(git -C "$root" rev-parse --short=12 HEAD)
. "$root/bench/lib.sh"
if [ -n "$(git -C "$root" diff --name-only HEAD -- "${code_paths[@]}")" ]; then
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
  echo
  echo "## oneDNN 3.11's two bugs, and what conv4j does about them"
  echo
  echo "Both are in oneDNN's \`brg_conv_fwd\` kernels; \`engine/onednn/Workarounds.java\` holds the exact conditions"
  echo "and \`bench/onednn-repro/\` the raw-oneDNN reproducers (C API only) whose output follows."
  echo
  echo "- **SIGSEGV** in \`brgemm_convolution_fwd_t::perform_outwork\` (oneDNN issue 5942, fixed by PR 5944 in 3.12"
  echo "  and 3.13, not 3.11): bias or ReLU, and an output column whose taps all miss the input and are not all in"
  echo "  the left padding. Whether it fires depends on how the threads split the width. conv4j builds such a"
  echo "  primitive without bias and ReLU and applies them in Java afterwards."
  echo "- **Wrong results**: one output column reached with sw > 1, one input channel per group, kw > 1, dw = 1,"
  echo "  sh = 1, oh > 1. conv4j passes sw = 1 with the right pad shrunk to keep one column, or plain weights when"
  echo "  that pad would be negative."
  echo "- onednn now declines float64 only (oneDNN has no f64 convolution on CPUs): the declined counts above are"
  echo "  exactly the float64 specs."
  echo
  echo '```'
  bash "$root/bench/onednn-repro/run.sh" 2>&1 || echo "(run.sh exited $?)"
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
