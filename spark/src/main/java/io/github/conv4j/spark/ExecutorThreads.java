package io.github.conv4j.spark;

import io.github.conv4j.Settings;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;

/**
 * Sets conv4j's thread setting, once per application in each executor JVM, to the cores that executor runs
 * tasks on. The setting is JVM-wide and every plan shares it among the forward calls in flight, so tasks that
 * compute at once split the executor's cores between them, and a task alone gets them all.
 */
final class ExecutorThreads {
    /** {@code local}, {@code local[N]}, {@code local[*]}, and either with a failure count: {@code local[N,F]}. */
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[\\s*([0-9]+|\\*)\\s*(?:,\\s*[0-9]+\\s*)?])?");
    /** {@code local-cluster[executors, cores per executor, memory]}. */
    private static final Pattern LOCAL_CLUSTER =
            Pattern.compile("local-cluster\\[\\s*[0-9]+\\s*,\\s*([0-9]+)\\s*,\\s*[0-9]+\\s*]");

    /** The application the setting was last made for; tasks of that application skip the work. */
    private static volatile String appliedFor;

    private ExecutorThreads() {
    }

    /**
     * Sets {@link Settings#setThreads} to this executor's cores, unless it was already done for
     * {@code application} or the JVM was started with {@code -Dconv4j.threads}, which then stays.
     */
    static void apply(String application, SparkConf conf) {
        if (application.equals(appliedFor)) {
            return;
        }
        synchronized (ExecutorThreads.class) {
            if (application.equals(appliedFor)) {
                return;
            }
            if (System.getProperty(Settings.THREADS) == null) {
                Settings.setThreads(cores(conf.get("spark.master", ""), conf.get("spark.executor.cores", null),
                        Runtime.getRuntime().availableProcessors()));
            }
            appliedFor = application;
        }
    }

    /**
     * The cores one executor runs tasks on: N for a local master ({@code local[N]}; all processors for
     * {@code local[*]}, one for {@code local}) and the cores per executor of {@code local-cluster}, since local
     * modes ignore {@code spark.executor.cores}; otherwise {@code spark.executor.cores} when set; otherwise the
     * JVM's available processors (an executor that was given no core count takes the machine's).
     *
     * @param executorCores {@code spark.executor.cores}, or null when not set
     */
    static int cores(String master, String executorCores, int processors) {
        Matcher local = LOCAL.matcher(master.trim());
        if (local.matches()) {
            String n = local.group(1);
            return n == null ? 1 : n.equals("*") ? processors : Math.max(1, Integer.parseInt(n));
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(master.trim());
        if (cluster.matches()) {
            return Math.max(1, Integer.parseInt(cluster.group(1)));
        }
        if (executorCores != null && !executorCores.isBlank()) {
            try {
                int n = Integer.parseInt(executorCores.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
            throw new IllegalArgumentException("spark.executor.cores must be an integer >= 1: " + executorCores);
        }
        return processors;
    }
}
