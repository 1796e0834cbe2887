# Sourced by the timing scripts in bench/ that run harnesses from the library's test classes: moves to the
# project root, checks JAVA_HOME, sets $cp (classes, test classes and the OpenBLAS jars from ~/.m2) and defines
# `machine`, which prints the CPU, JDK and commit lines that every results file starts with.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${JAVA_HOME:?set JAVA_HOME to a JDK 22+}"
m2="${HOME}/.m2/repository/org/bytedeco"
cp="target/classes:target/test-classes"
for jar in "$m2"/javacpp/1.5.13/javacpp-1.5.13{,-linux-x86_64}.jar \
           "$m2"/openblas/0.3.31-1.5.13/openblas-0.3.31-1.5.13{,-linux-x86_64}.jar; do
  [ -f "$jar" ] || { echo "missing $jar: run ./mvnw test-compile first" >&2; exit 1; }
  cp="$cp:$jar"
done

machine() {
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores available"
  echo "- JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (with uncommitted changes)')"
}
