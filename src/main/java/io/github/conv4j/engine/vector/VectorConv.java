package io.github.conv4j.engine.vector;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorShape;

/**
 * The engine's entry into {@code jdk.incubator.vector}: only loaded after {@link JavaVectorEngine#probe()} found
 * the module. Also holds what the float and double kernels share: the register block height and rounding.
 */
final class VectorConv {
    /**
     * Output pixels (NHWC rows) per register block of the GEMM micro-kernel: 12 rows by 2 vectors are 24
     * accumulators, which with two weight vectors and a broadcast fit AVX-512's 32 vector registers. A CPU with
     * 16 (AVX2) spills some of them to the stack; a smaller block for such CPUs was not measured. The height is a
     * choice for 32 registers, not a measured optimum.
     */
    static final int ROWS = 12;

    private VectorConv() {
    }

    /** The preferred vector size in bits; loading this answer is what proves the Vector API works. */
    static int preferredBitSize() {
        return VectorShape.preferredShape().vectorBitSize();
    }

    static ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        return switch (spec.dtype()) {
            case FLOAT32 -> new FloatConv(spec, weights, bias);
            case FLOAT64 -> new DoubleConv(spec, weights, bias);
            case INT8, UINT8, INT32 -> throw new IllegalArgumentException("java-vector declines " + spec.dtype());
            case BFLOAT16 -> new BFloat16Conv(spec, weights, bias);
        };
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
