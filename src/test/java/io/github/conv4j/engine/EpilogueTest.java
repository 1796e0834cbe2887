package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bias and ReLU against a reference loop, bit for bit: bias or none, ReLU or none, float32 and float64, over
 * NHWC pixel rows, NCHW channel planes and whole outputs of both layouts; elements outside the range given are
 * left as they were, and so is everything when there is nothing to apply.
 */
class EpilogueTest {
    private static final int SPECS = 40;
    /** Output elements past the end that no call may touch. */
    private static final int GUARD = 16;

    /** A small output shape: 1x1 kernel, VALID, so {@code oh = ih} and {@code ow = iw}. */
    private static ConvSpec spec(SplittableRandom rnd, Layout layout, DType dtype, boolean bias, boolean relu) {
        return ConvSpec.builder().layout(layout).dtype(dtype)
                .input(1 + rnd.nextInt(3), 1 + rnd.nextInt(5), 1 + rnd.nextInt(5), 1)
                .kernel(1, 1, 1 + rnd.nextInt(7))
                .bias(bias).relu(relu)
                .build();
    }

    /** The output channel of element {@code index}, from the layout's memory order. */
    private static int channel(ConvSpec s, long index) {
        long pixels = (long) s.oh() * s.ow();
        return (int) (s.layout() == Layout.NHWC ? index % s.oc() : index / pixels % s.oc());
    }

    private static double get(DType t, MemorySegment m, long i) {
        return t == DType.FLOAT32 ? m.getAtIndex(ValueLayout.JAVA_FLOAT, i) : m.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
    }

    private static void set(DType t, MemorySegment m, long i, double v) {
        if (t == DType.FLOAT32) {
            m.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        } else {
            m.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
        }
    }

    private static long bits(DType t, MemorySegment m, long i) {
        return t == DType.FLOAT32 ? m.getAtIndex(ValueLayout.JAVA_INT, i) : m.getAtIndex(ValueLayout.JAVA_LONG, i);
    }

    /** {@code relu?(y + b)} in the element type's own arithmetic; inputs hold no zero or NaN, so no sign of zero. */
    private static double reference(DType t, double y, double b, boolean hasBias, boolean relu) {
        double v;
        if (t == DType.FLOAT32) {
            v = hasBias ? (float) y + (float) b : (float) y;
        } else {
            v = hasBias ? y + b : y;
        }
        return relu ? Math.max(v, 0) : v;
    }

    /** Non-zero values in [-4, 4), exact in float32, a guard of the same past the end. */
    private static MemorySegment output(Arena arena, ConvSpec s, SplittableRandom rnd) {
        DType t = s.dtype();
        MemorySegment y = arena.allocate((s.outputElements() + GUARD) * t.byteSize(), 8);
        for (long i = 0; i < s.outputElements() + GUARD; i++) {
            double v;
            do {
                v = (float) (rnd.nextDouble() * 8 - 4);
            } while (v == 0);
            set(t, y, i, v);
        }
        return y;
    }

    private static MemorySegment bias(Arena arena, ConvSpec s, SplittableRandom rnd) {
        MemorySegment b = arena.allocate((long) s.oc() * s.dtype().byteSize(), 8);
        for (int o = 0; o < s.oc(); o++) {
            set(s.dtype(), b, o, (float) (rnd.nextDouble() * 4 - 2));
        }
        return b;
    }

    /** Checks {@code y} against {@code before}: elements {@code inRange} through the reference, the rest unchanged. */
    private interface InRange {
        boolean test(long index);
    }

    private static void check(ConvSpec s, MemorySegment before, MemorySegment bias, MemorySegment y, InRange inRange,
            String what) {
        DType t = s.dtype();
        for (long i = 0; i < s.outputElements() + GUARD; i++) {
            boolean applies = i < s.outputElements() && inRange.test(i);
            double old = get(t, before, i);
            long want = bits(t, before, i);
            if (applies) {
                double b = bias == null ? 0 : get(t, bias, channel(s, i));
                double v = reference(t, old, b, bias != null, s.relu());
                want = t == DType.FLOAT32 ? Float.floatToRawIntBits((float) v) : Double.doubleToRawLongBits(v);
            }
            long got = bits(t, y, i);
            if (want != got) {
                fail("element " + i + (applies ? " (channel " + channel(s, i) + ")" : " (outside the range)")
                        + ": was " + old + ", got " + get(t, y, i) + ", want bits "
                        + Long.toHexString(t == DType.FLOAT32 ? want & 0xFFFFFFFFL : want) + "; " + what + " " + s);
            }
        }
    }

    private static MemorySegment copy(Arena arena, MemorySegment y) {
        return arena.allocate(y.byteSize(), 8).copyFrom(y);
    }

    @Test
    void allMatchesTheReferenceForEveryCombination() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (Layout layout : Layout.values()) {
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (boolean hasBias : new boolean[] {false, true}) {
                    for (boolean relu : new boolean[] {false, true}) {
                        for (int i = 0; i < SPECS; i++) {
                            ConvSpec s = spec(rnd, layout, t, hasBias, relu);
                            try (Arena arena = Arena.ofConfined()) {
                                MemorySegment y = output(arena, s, rnd), before = copy(arena, y);
                                MemorySegment b = hasBias ? bias(arena, s, rnd) : null;
                                Epilogue e = new Epilogue(s, b);
                                assertEquals(hasBias || relu, e.active(), s.toString());
                                e.all(y, s.mb());
                                check(s, before, b, y, index -> true, "all");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void rowsTouchOnlyTheirPixelsOfAnNhwcOutput() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (boolean hasBias : new boolean[] {false, true}) {
                for (boolean relu : new boolean[] {false, true}) {
                    for (int i = 0; i < SPECS; i++) {
                        ConvSpec s = spec(rnd, Layout.NHWC, t, hasBias, relu);
                        long pixels = s.mb() * (long) s.oh() * s.ow();
                        long p0 = rnd.nextLong(pixels), rows = 1 + rnd.nextLong(pixels - p0);
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment y = output(arena, s, rnd), before = copy(arena, y);
                            MemorySegment b = hasBias ? bias(arena, s, rnd) : null;
                            new Epilogue(s, b).rows(y, p0 * s.oc(), rows);
                            long lo = p0 * s.oc(), hi = (p0 + rows) * s.oc();
                            check(s, before, b, y, index -> index >= lo && index < hi,
                                    "rows from pixel " + p0 + ", " + rows + " rows");
                        }
                    }
                }
            }
        }
    }

    @Test
    void planesTouchOnlyTheirColumnsOfAnNchwImage() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (boolean hasBias : new boolean[] {false, true}) {
                for (boolean relu : new boolean[] {false, true}) {
                    for (int i = 0; i < SPECS; i++) {
                        ConvSpec s = spec(rnd, Layout.NCHW, t, hasBias, relu);
                        long pixels = (long) s.oh() * s.ow();
                        int n = rnd.nextInt(s.mb());
                        long p0 = rnd.nextLong(pixels), cols = 1 + rnd.nextLong(pixels - p0);
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment y = output(arena, s, rnd), before = copy(arena, y);
                            MemorySegment b = hasBias ? bias(arena, s, rnd) : null;
                            // channel planes of image n, each pixels apart, columns [p0, p0 + cols)
                            new Epilogue(s, b).planes(y, n * s.oc() * pixels + p0, pixels, cols);
                            check(s, before, b, y, index -> {
                                long image = index / (s.oc() * pixels), p = index % pixels;
                                return image == n && p >= p0 && p < p0 + cols;
                            }, "planes of image " + n + " from pixel " + p0 + ", " + cols + " columns");
                        }
                    }
                }
            }
        }
    }

    @Test
    void withoutBiasOrReluNothingChangesNotEvenTheSignOfZeroOrANaN() {
        SplittableRandom rnd = new SplittableRandom(14);
        for (Layout layout : Layout.values()) {
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                ConvSpec s = spec(rnd, layout, t, false, false);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment y = output(arena, s, rnd);
                    // adding a zero bias would turn -0.0 into +0.0, and a NaN's payload may not survive arithmetic
                    for (long i = 0; i < s.outputElements(); i += 3) {
                        set(t, y, i, -0.0);
                    }
                    if (t == DType.FLOAT32) {
                        y.setAtIndex(ValueLayout.JAVA_INT, 1, 0xFFC01234);
                    } else {
                        y.setAtIndex(ValueLayout.JAVA_LONG, 1, 0xFFF8000000001234L);
                    }
                    MemorySegment before = copy(arena, y);
                    Epilogue e = new Epilogue(s, null);
                    assertFalse(e.active());
                    long pixels = (long) s.oh() * s.ow();
                    e.all(y, s.mb());
                    if (layout == Layout.NHWC) {
                        e.rows(y, 0, s.mb() * pixels);
                    } else {
                        e.planes(y, 0, pixels, pixels);
                    }
                    for (long i = 0; i < s.outputElements() + GUARD; i++) {
                        assertEquals(bits(t, before, i), bits(t, y, i), "element " + i + " of " + s);
                    }
                }
            }
        }
    }
}
