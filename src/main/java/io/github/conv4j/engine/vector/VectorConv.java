package io.github.conv4j.engine.vector;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorShape;

/**
 * The engine's entry into {@code jdk.incubator.vector}: only loaded after {@link JavaVectorEngine#probe()} found
 * the module. Also holds what the float and double kernels share: the register block height and rounding.
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

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
