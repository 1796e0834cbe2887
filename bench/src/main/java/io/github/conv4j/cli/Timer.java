package io.github.conv4j.cli;

import java.util.Arrays;

/**
 * Times a call the way {@code compare} reports it: warm up, then repeat for about a given time, timing
 * batches of calls long enough that the clock's own cost does not matter, and report the median and minimum
 * time of one call.
 */
final class Timer {
    /** A batch lasts at least this long, so {@code nanoTime}'s cost (tens of ns) stays below 0.1%. */
    private static final long MIN_BATCH_NS = 50_000;

    record Result(double medianNs, double minNs) {
    }

    private Timer() {
    }

    /**
     * Runs {@code call} for {@code warmupNs}, then for at least {@code measureNs} and {@code minSamples}
     * batches; returns per-call median and minimum.
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
}
