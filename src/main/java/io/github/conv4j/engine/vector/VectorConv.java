package io.github.conv4j.engine.vector;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Settings;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import jdk.incubator.vector.VectorShape;

/**
 * The engine's entry into {@code jdk.incubator.vector}: only loaded after {@link JavaVectorEngine#probe()} found
 * the module. Also holds what the float and double kernels share: the register block height and the fan-out
 * of a forward call over worker threads.
 */
final class VectorConv {
    /** Output pixels (NHWC rows) per register block of the GEMM micro-kernel: 12 x 2 vectors = 24 of 32 registers. */
    static final int ROWS = 12;

    /** Shared by every plan; daemon threads, sized to the machine, each call uses {@link Settings#threads()}. */
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    /**
     * A thread that never runs: a segment readable from it is readable from any thread (shared, global, auto
     * or heap), while a confined segment is not, and must then stay on the calling thread.
     */
    private static final Thread STRANGER = new Thread(() -> { });

    private VectorConv() {
    }

    /** The preferred vector size in bits; loading this answer is what proves the Vector API works. */
    static int preferredBitSize() {
        return VectorShape.preferredShape().vectorBitSize();
    }

    static ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        return spec.dtype() == DType.FLOAT32 ? new FloatConv(spec, weights, bias) : new DoubleConv(spec, weights, bias);
    }

    /** Work on jobs {@code [from, to)}; one call per worker, so it allocates its scratch once. */
    interface Range {
        void run(int from, int to);
    }

    /**
     * Runs {@code jobs} independent jobs in up to {@link Settings#threadsFor} contiguous chunks, the calling
     * thread taking the first; stays on the calling thread when a segment is confined to it.
     */
    static void split(ConvSpec spec, int jobs, MemorySegment x, MemorySegment y, Range body) {
        int threads = Math.min(Settings.threadsFor(spec), jobs);
        if (threads <= 1 || !x.isAccessibleBy(STRANGER) || !y.isAccessibleBy(STRANGER)) {
            body.run(0, jobs);
            return;
        }
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[threads - 1];
        for (int t = 1; t < threads; t++) {
            int from = chunk(jobs, threads, t), to = chunk(jobs, threads, t + 1);
            others[t - 1] = POOL.submit(() -> body.run(from, to));
        }
        try {
            body.run(0, chunk(jobs, threads, 1));
        } finally {
            // never return while a worker may still write the caller's output
            for (ForkJoinTask<?> task : others) {
                task.join();
            }
        }
    }

    private static int chunk(int jobs, int threads, int t) {
        return (int) ((long) jobs * t / threads);
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
