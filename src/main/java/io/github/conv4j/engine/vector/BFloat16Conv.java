package io.github.conv4j.engine.vector;

import io.github.conv4j.BFloat16;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * bfloat16 on the float32 kernels: the Vector API has no bfloat16 lanes, so weights and bias are widened once when
 * planning, each call widens the input into float32 scratch (exact), {@link FloatConv} computes with float32 sums,
 * and each output is rounded to bfloat16 once (nearest, ties to even). The error is float32 accumulation plus that
 * one rounding, as for oneDNN's bf16 kernels.
 *
 * <p>Data layout: as {@link FloatConv}; {@code x[i] -> float}, {@code y[i] <- bf16(float y[i])} elementwise.
 */
final class BFloat16Conv implements ConvKernel {
    private final FloatConv inner;
    private final long imageIn, imageOut;

    BFloat16Conv(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        ConvSpec f32 = spec.toBuilder().dtype(DType.FLOAT32).build();
        imageIn = spec.inputElements() / spec.mb();
        imageOut = spec.outputElements() / spec.mb();
        // FloatConv packs weights and bias into its own arrays while it is made: the widened copies can go after
        try (Arena arena = Arena.ofConfined()) {
            inner = new FloatConv(f32, widen(arena, weights, spec.weightElements()),
                    bias == null ? null : widen(arena, bias, spec.oc()));
        }
    }

    private static MemorySegment widen(Arena arena, MemorySegment bits, long n) {
        MemorySegment out = arena.allocate(n * Float.BYTES, 64);
        for (long i = 0; i < n; i++) {
            out.setAtIndex(ValueLayout.JAVA_FLOAT, i, BFloat16.toFloat(bits.getAtIndex(ValueLayout.JAVA_SHORT, i)));
        }
        return out;
    }

    @Override
    public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
        long in = imageIn * batch, out = imageOut * batch;
        // scratch per call: concurrent calls share nothing, and it is small next to the convolution's work
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xf = widen(arena, x, in);
            MemorySegment yf = arena.allocate(out * Float.BYTES, 64);
            inner.forward(xf, yf, batch, threads);
            for (long i = 0; i < out; i++) {
                y.setAtIndex(ValueLayout.JAVA_SHORT, i, BFloat16.fromFloat(yf.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
            }
        }
    }

    @Override
    public String implementation() {
        return "bfloat16 widened to float32: " + inner.implementation() + ", output rounded to bfloat16";
    }

    @Override
    public void close() {
        inner.close();
    }
}
