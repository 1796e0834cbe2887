package io.github.conv4j.testing;

import io.github.conv4j.BFloat16;
import io.github.conv4j.DType;
import io.github.conv4j.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Test helpers that make, fill, transpose and compare tensors. */
public final class Tensors {
    private Tensors() {
    }

    /** Permutes a 4-D tensor: output axis {@code i} is input axis {@code perm[i]}. */
    public static Tensor permute(Tensor t, Arena arena, int... perm) {
        long[] s = t.shape();
        long[] o = new long[4];
        for (int i = 0; i < 4; i++) {
            o[i] = s[perm[i]];
        }
        Tensor out = Tensor.allocate(arena, t.dtype(), o);
        long[] idx = new long[4];
        long[] strides = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
        long n = 0;
        for (idx[0] = 0; idx[0] < o[0]; idx[0]++) {
            for (idx[1] = 0; idx[1] < o[1]; idx[1]++) {
                for (idx[2] = 0; idx[2] < o[2]; idx[2]++) {
                    for (idx[3] = 0; idx[3] < o[3]; idx[3]++) {
                        long src = 0;
                        for (int i = 0; i < 4; i++) {
                            src += idx[i] * strides[perm[i]];
                        }
                        set(out, n++, t.getDouble(src));
                    }
                }
            }
        }
        return out;
    }

    /** NHWC to NCHW (activations). */
    public static Tensor nhwcToNchw(Tensor t, Arena arena) {
        return permute(t, arena, 0, 3, 1, 2);
    }

    /** NCHW to NHWC (activations). */
    public static Tensor nchwToNhwc(Tensor t, Arena arena) {
        return permute(t, arena, 0, 2, 3, 1);
    }

    /** HWIO to OIHW (weights). */
    public static Tensor hwioToOihw(Tensor t, Arena arena) {
        return permute(t, arena, 3, 2, 0, 1);
    }

    /** A tensor of the given dtype and shape holding {@code src}'s values rounded to {@code dtype} ({@link #set}). */
    public static Tensor convert(Tensor src, DType dtype, Arena arena) {
        Tensor out = Tensor.allocate(arena, dtype, src.shape());
        for (long i = 0; i < src.elementCount(); i++) {
            set(out, i, src.getDouble(i));
        }
        return out;
    }

    /**
     * Sets element {@code i} to {@code v} rounded to the tensor's type (bfloat16: once, {@link BFloat16}); an integer
     * type takes {@code v} as it is (the caller keeps it in range).
     */
    public static void set(Tensor t, long i, double v) {
        switch (t.dtype()) {
            case FLOAT32 -> t.data().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case FLOAT64 -> t.data().setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
            case INT8, UINT8 -> t.data().set(ValueLayout.JAVA_BYTE, i, (byte) (int) v);
            case INT32 -> t.data().setAtIndex(ValueLayout.JAVA_INT, i, (int) v);
            case BFLOAT16 -> t.data().setAtIndex(ValueLayout.JAVA_SHORT, i, BFloat16.fromDouble(v));
        }
    }

    /** Uniform values in [-1, 1). */
    public static Tensor uniform(Arena arena, DType dtype, SplittableRandom rnd, long... shape) {
        Tensor t = Tensor.allocate(arena, dtype, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            set(t, i, rnd.nextDouble(-1, 1));
        }
        return t;
    }

    /** Small integers in [-3, 3]: every product and sum of a convolution is exact in float32. */
    public static Tensor smallIntegers(Arena arena, DType dtype, SplittableRandom rnd, long... shape) {
        Tensor t = Tensor.allocate(arena, dtype, shape);
        for (long i = 0; i < t.elementCount(); i++) {
            set(t, i, rnd.nextInt(-3, 4));
        }
        return t;
    }

    /**
     * Fills {@code t} with NaN so an element an engine forgets to write shows up; an 8-bit tensor with the bytes
     * 0x5a, 0xa5 in turn, which a compare then catches as wrong unless the engine wrote that very value.
     */
    public static void poison(Tensor t) {
        for (long i = 0; i < t.elementCount(); i++) {
            switch (t.dtype()) {
                case INT8, UINT8 -> t.data().set(ValueLayout.JAVA_BYTE, i, (byte) (i % 2 == 0 ? 0x5a : 0xa5));
                default -> set(t, i, Double.NaN);
            }
        }
    }
}
