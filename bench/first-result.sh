#!/usr/bin/env bash
# Time to a first convolution result in a fresh JVM, per engine: runs bench's FirstResult RUNS times (default
# 9) for auto and each engine with the flags from native-config/jvm.args, after one unmeasured run per engine
# (it fills JavaCPP's native cache, as any first use on a machine does), and writes the medians to
# bench/results/first-result-DATE.md (or $1/...), then splits a native engine's first plan into JavaCPP's
# start-up, the preset's library load and the rest. Refuses a tree whose code differs from its commit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/bench/results}
runs=${RUNS:-9}
. "$root/bench/lib.sh"
require_committed_code "$root"
"$root/conv4j" build
JAVA_HOME=$("$root/conv4j" java-home)
java=("$JAVA_HOME/bin/java" "@$root/native-config/jvm.args" -cp "$root/bench/target/conv4j-bench.jar"
      io.github.conv4j.bench.FirstResult)
file="$out/first-result-$(date +%F).md"
{
  echo "# Time to a first result in a fresh JVM, $(date +%F)"
  echo
  echo "Recorded by \`bench/first-result.sh\` at commit \`$(git -C "$root" rev-parse --short=12 HEAD)\`: one float32"
  echo "NHWC convolution (1x8x8x3, 3x3, 4 out) planned and run once in a new JVM, $runs runs per engine after one"
  echo "unmeasured run (JavaCPP's native cache warm), medians in milliseconds. \`auto\`'s first plan in a JVM is"
  echo "made in the background while the engine it prefers loads its natives, and a call as small as this one"
  echo "computes on naive meanwhile: \"first forward\" is naive's there, and \"plan's engine\" the engine the plan"
  echo "then uses."
  echo
  echo "- CPU: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), $(nproc) processors"
  echo "- JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p); flags from native-config/jvm.args"
  echo "- Environment: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OMP_NUM_THREADS=${OMP_NUM_THREADS:-(unset)}"
  echo
  echo "| asked for | plan's engine | JVM start to main | first plan | first forward | JVM start to result |"
  echo "|---|---|---:|---:|---:|---:|"
  for engine in auto onednn im2col-ffm im2col-jni java-vector naive; do
    "${java[@]}" "$engine" >/dev/null 2>&1 || true
    for _ in $(seq "$runs"); do
      "${java[@]}" "$engine" 2>/dev/null | grep '^first '
    done | awk '{ chosen = $3; jvm[NR] = $4; plan[NR] = $5; fwd[NR] = $6; total[NR] = $7 }
      function median(a, n,   i, j, t, b) { for (i = 1; i <= n; i++) b[i] = a[i]
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
        return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2 }
      END { printf "| %s | %s | %.0f | %.1f | %.1f | %.0f |\n", "'"$engine"'", chosen, median(jvm, NR),
            median(plan, NR), median(fwd, NR), median(total, NR) }'
  done
  echo
  echo "Where a native engine's first plan goes: the same program loading the engine's JavaCPP preset itself"
  echo "first (\`FirstResult ENGINE natives\`), medians of $runs fresh JVMs; then the first plan with the natives"
  echo "loaded (conv4j's classes, the engine's runtime and its first primitive or weight repack, on the caller's"
  echo "thread) and forward."
  echo
  echo "| asked for | JavaCPP start-up | preset's libraries loaded | first plan after that | first forward | JVM start to result |"
  echo "|---|---:|---:|---:|---:|---:|"
  for engine in auto im2col-ffm; do
    for _ in $(seq "$runs"); do
      "${java[@]}" "$engine" natives 2>/dev/null | grep '^natives '
    done | awk '{ a[NR] = $3; b[NR] = $4; c[NR] = $5; d[NR] = $6; e[NR] = $7 }
      function median(x, n,   i, j, t, y) { for (i = 1; i <= n; i++) y[i] = x[i]
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (y[j] < y[i]) { t = y[i]; y[i] = y[j]; y[j] = t }
        return n % 2 ? y[(n + 1) / 2] : (y[n / 2] + y[n / 2 + 1]) / 2 }
      END { printf "| %s | %.1f | %.1f | %.1f | %.1f | %.0f |\n", "'"$engine"'", median(a, NR), median(b, NR),
            median(c, NR), median(d, NR), median(e, NR) }'
  done
  dnnl=$(find "$HOME/.javacpp/cache" -name libdnnl.so.3 -type f 2>/dev/null | head -1)
  if [ -n "$dnnl" ] && command -v python3 >/dev/null; then
    echo
    echo "The dynamic linker alone, for comparison: \`dlopen\` of the cached \`libgomp.so.1\`, \`libOpenCL.so.1\` and"
    echo "\`libdnnl.so.3\` from Python's ctypes, median of $runs fresh processes:"
    for _ in $(seq "$runs"); do
      python3 -c "
import ctypes, os, sys, time
d = os.path.dirname(sys.argv[1]); t = time.perf_counter()
for name in ('libgomp.so.1', 'libOpenCL.so.1', 'libdnnl.so.3'):
    ctypes.CDLL(os.path.join(d, name), mode=ctypes.RTLD_GLOBAL)
print('%.1f' % ((time.perf_counter() - t) * 1e3))" "$dnnl"
    done | sort -n | awk '{ v[NR] = $1 } END { printf "%s ms.\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  fi
} > "$file"
echo "wrote $file" >&2
