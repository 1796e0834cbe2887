#!/usr/bin/env bash
# Builds the oneDNN reproducers against the oneDNN 3.11 that ships in bytedeco's dnnl jar and runs every case
# at several OpenMP thread counts, each run in its own process so that a crash is reported, not fatal.
#
#   bench/onednn-repro/run.sh                    # all cases at OMP_NUM_THREADS=1,2,8,16
#   THREADS="1 4" bench/onednn-repro/run.sh      # other thread counts
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/build"
threads="${THREADS:-1 2 8 16}"
jar="${M2_REPO:-$HOME/.m2/repository}/org/bytedeco/dnnl/3.11-1.5.13/dnnl-3.11-1.5.13-linux-x86_64.jar"

if [ ! -f "$jar" ]; then
  echo "missing $jar" >&2
  echo "fetch it with: ./mvnw dependency:get -Dartifact=org.bytedeco:dnnl:3.11-1.5.13:jar:linux-x86_64" >&2
  exit 1
fi

# headers, libdnnl.so.3 and the libgomp.so.1 it was built with, from the jar
lib="$build/org/bytedeco/dnnl/linux-x86_64"
if [ ! -f "$lib/libdnnl.so.3" ] || [ "$jar" -nt "$lib/libdnnl.so.3" ]; then
  mkdir -p "$build"
  unzip -q -o "$jar" 'org/bytedeco/dnnl/linux-x86_64/include/oneapi/*' \
    'org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3' 'org/bytedeco/dnnl/linux-x86_64/libgomp.so.1' -d "$build" \
    || { echo "cannot extract $jar" >&2; exit 1; }
fi

progs=()
for src in "$here"/*.c; do
  prog="$build/$(basename "$src" .c)"
  gcc -O1 -g -Wall -Wextra -std=c11 -D_GNU_SOURCE -I"$lib/include" "$src" -o "$prog" \
    -L"$lib" -l:libdnnl.so.3 -l:libgomp.so.1 -lm -Wl,-rpath,"$lib" || exit 1
  progs+=("$prog")
done

ulimit -c 0 # the crashes are expected: no core files

# One case, one variant, one thread count, in a child process: prints the implementation and the outcome.
run_one() { # prog case variant threads
  local out rc
  # the braces take bash's own "Segmentation fault" notice away from the terminal
  { out="$(OMP_NUM_THREADS="$4" "$1" "$2" "$3" 2>&1 </dev/null)"; rc=$?; } 2>/dev/null
  if [ "$rc" -gt 128 ]; then
    printf '%scrash (signal %d)\n' "$out" $((rc - 128))
  else
    printf '%s\n' "$out"
  fi
}

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $("${progs[0]}" | head -1); $(date -u +%Y-%m-%d)"
for prog in "${progs[@]}"; do
  name="$(basename "$prog")"
  echo
  echo "== $name"
  variants="$("$prog" variants)"
  "$prog" | tail -n +2 | while IFS=$'\t' read -r id desc; do
    echo "case $id: $desc"
    for v in $variants; do
      for t in $threads; do
        printf '  %-8s threads %2d: %s\n' "$v" "$t" "$(run_one "$prog" "$id" "$v" "$t")"
      done
    done
  done
done
