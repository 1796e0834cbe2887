#!/usr/bin/env bash
# Images per second of Conv2dSpark.convolve on local[1] and local[2], with the executor's plan cache and with a
# plan per partition, against a plain loop on one plan at 1 and 2 threads (io.github.conv4j.spark.SparkThroughput).
# Prints a markdown table on stdout, progress on stderr. Run it on an otherwise idle machine.
#   spark/throughput.sh [--images N] [--partition-images N] [--runs N]
# It builds this module against the installed library (./mvnw install -DskipTests puts it in the local
# repository). Maven reads more flags from MAVEN_ARGS, e.g. MAVEN_ARGS=-o for an offline build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAVA_HOME=$("$root/conv4j" java-home)
export JAVA_HOME
# Maven's and Spark's libraries use sun.misc.Unsafe, which JDK 24+ warns about; the flag does not exist before 24
unsafe=()
if [ "$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$JAVA_HOME/release")" -ge 24 ]; then
  unsafe=(--sun-misc-unsafe-memory-access=allow)
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
cp_file="$root/spark/target/throughput.classpath"
"$root/mvnw" -q -B -f "$root/spark/pom.xml" package -DskipTests
# compile scope includes provided: Spark, which a cluster would supply, comes from the local repository
"$root/mvnw" -q -B -f "$root/spark/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath \
  -Dmdep.includeScope=compile -Dmdep.outputFile="$cp_file"
cd "$root"   # the report names the commit checked out here
# SPARK_LOCAL_IP: Spark binds to the loopback address instead of searching for an interface (and warning);
# the log configuration is the tests', which keeps Spark's warnings and errors only
SPARK_LOCAL_IP=127.0.0.1 exec "$JAVA_HOME/bin/java" @"$root/native-config/jvm.args" "${unsafe[@]}" -Xmx6g \
  -Dlog4j2.configurationFile="$root/spark/src/test/resources/log4j2-test.properties" \
  -cp "$root/spark/target/classes:$(cat "$cp_file")" io.github.conv4j.spark.SparkThroughput "$@"
