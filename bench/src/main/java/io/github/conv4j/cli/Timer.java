package io.github.conv4j.cli;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Times a call the way {@code compare} reports it: warm up until the JIT compiler has been idle for a while, then
 * repeat for about a given time, timing batches of calls long enough that the clock's own cost does not matter,
 * and report the median and minimum time of one call.
 */
final class Timer {
    /** A batch lasts at least this long, so {@code nanoTime}'s cost (tens of ns) stays below 0.1%. */
    private static final long MIN_BATCH_NS = 50_000;

    /**
     * Warm-up goes on until no method has been compiled for this long. A fixed warm-up was not enough: the first
     * shape in a JVM got timed while C2 was still compiling the Vector API kernels (their last compilations came
     * at about 2 s of uptime), so a pure-Java engine's first shape measured anywhere from 95 to 433 GFLOP/s over
     * ten runs (bench/results/winograd-threads-2026-11-30/).
     */
    private static final long QUIET_NS = 300_000_000;
    /** The most warm-up added to wait for the compiler, so that a compiler that never settles costs little. */
    private static final long MAX_EXTRA_WARMUP_NS = 3_000_000_000L;

    record Result(double medianNs, double minNs) {
    }

    private Timer() {
    }

    /**
     * Runs {@code call} for {@code warmupNs} and then until the JIT compiler has compiled nothing for
     * {@link #QUIET_NS} (at most {@link #MAX_EXTRA_WARMUP_NS} more), then for at least {@code measureNs} and
     * {@code minSamples} batches; returns per-call median and minimum.
     */
    static Result time(Runnable call, long warmupNs, long measureNs, int minSamples) {
        long t0 = System.nanoTime();
        long first = -1;
        int warm = 0;
        do {
            long s = System.nanoTime();
            call.run();
            if (first < 0) {
                first = System.nanoTime() - s;
            }
            warm++;
        } while (System.nanoTime() - t0 < warmupNs);
        waitForQuietCompiler(call);
        // calls per batch, from the first call's time (a slow first call only makes batches smaller)
        int batch = (int) Math.max(1, Math.min(1 << 20, MIN_BATCH_NS / Math.max(1, first)));
        double[] samples = new double[16];
        int n = 0;
        long start = System.nanoTime();
        while (n < minSamples || System.nanoTime() - start < measureNs) {
            long s = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                call.run();
            }
            long t = System.nanoTime() - s;
            if (n == samples.length) {
                samples = Arrays.copyOf(samples, n * 2);
            }
            samples[n++] = (double) t / batch;
            if (t < MIN_BATCH_NS / 2 && batch < (1 << 20)) {
                batch *= 2;   // warm-up made calls faster than the first one: grow batches
            }
        }
        double[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Result(median, sorted[0]);
    }

    /** Repeats {@code call} until no compilation has happened for {@link #QUIET_NS}, or for the extra maximum. */
    private static void waitForQuietCompiler(Runnable call) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;    // an interpreter-only JVM, or one that does not count: the fixed warm-up is all there is
        }
        long start = System.nanoTime(), quietSince = start;
        long seen = jit.getTotalCompilationTime();
        while (true) {
            long now = System.nanoTime();
            if (now - quietSince >= QUIET_NS || now - start >= MAX_EXTRA_WARMUP_NS) {
                return;
            }
            call.run();
            long compiled = jit.getTotalCompilationTime();
            if (compiled != seen) {
                seen = compiled;
                quietSince = System.nanoTime();
            }
        }
    }
}
