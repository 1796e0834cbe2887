package io.github.conv4j.engine.vector;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Settings;
import io.github.conv4j.engine.Workers;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorShape;

/**
 * The engine's entry into {@code jdk.incubator.vector}: only loaded after {@link JavaVectorEngine#probe()} found
 * the module. Also holds what the float and double kernels share: the register block height and the fan-out
 * of a forward call over worker threads.
 */
final class VectorConv {
    /** Output pixels (NHWC rows) per register block of the GEMM micro-kernel: 12 x 2 vectors = 24 of 32 registers. */
    static final int ROWS = 12;

    private VectorConv() {
    }

    /** The preferred vector size in bits; loading this answer is what proves the Vector API works. */
    static int preferredBitSize() {
        return VectorShape.preferredShape().vectorBitSize();
    }

    static ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        return spec.dtype() == DType.FLOAT32 ? new FloatConv(spec, weights, bias) : new DoubleConv(spec, weights, bias);
    }

    /**
     * Runs {@code jobs} independent jobs in up to {@link Settings#threadsFor} contiguous chunks on the library's
     * {@link Workers}, the calling thread taking the first; stays on the calling thread when a segment is
     * confined to it (pass them through {@link Workers#shareable} first).
     */
    static void split(ConvSpec spec, int jobs, MemorySegment x, MemorySegment y, Workers.Range body) {
        Workers.run(Workers.shared(x, y) ? Settings.threadsFor(spec) : 1, jobs, body);
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
