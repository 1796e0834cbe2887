/**
 * Convolution of Spark Datasets on the executors: {@link io.github.conv4j.spark.Conv2dSpark#convolve}.
 *
 * <p><b>Broadcast.</b> Each call broadcasts the spec (as its fields: {@code ConvSpec} is not serializable), the
 * weights and the bias once; tasks carry only the broadcast's handle.
 *
 * <p><b>Plans.</b> Each executor JVM makes one {@link io.github.conv4j.ConvPlan} per call of {@code convolve}
 * (per broadcast): the first task that needs it makes it while concurrent tasks wait, and every task of that
 * executor then shares it (a plan takes concurrent forward calls, each with its own output). Plans live in the
 * executor's memory, are never serialized, and are closed when the JVM exits; each call of {@code convolve}
 * makes new ones, so call it once per set of weights and reuse the resulting Dataset.
 *
 * <p><b>Engines.</b> Plans are made with {@code auto}, which uses the fastest engine that loads on the executor
 * and falls back to the pure-Java engines ({@code java-vector}, then {@code naive}) when the native libraries
 * cannot load there. {@code -Dconv4j.engines=...} in {@code spark.executor.extraJavaOptions} sets the order
 * {@code auto} tries engines in. Executors need the JVM flags in {@code native-config/jvm.args}
 * ({@code --enable-native-access=ALL-UNNAMED} for the natives, {@code --add-modules jdk.incubator.vector} for
 * {@code java-vector}).
 *
 * <p><b>Threads.</b> conv4j's thread setting ({@link io.github.conv4j.Settings#setThreads}) is one value per JVM,
 * which every forward call in flight shares. The first task of an application on an executor sets it to that
 * executor's cores: N for {@code local[N]} (all processors for {@code local[*]}), the cores per executor of
 * {@code local-cluster}, otherwise {@code spark.executor.cores} when set, otherwise the JVM's available
 * processors. Tasks that compute at once split it, so each of the {@code cores / spark.task.cpus} concurrent
 * tasks gets about {@code spark.task.cpus} threads, and a task alone gets them all. An executor started with
 * {@code -Dconv4j.threads=N} keeps N.
 *
 * <p><b>Batches.</b> A task gathers up to {@code mb} images of its partition into one buffer and convolves them
 * with one forward call; the last batch of a partition may be shorter.
 */
package io.github.conv4j.spark;
