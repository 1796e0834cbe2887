package io.github.conv4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, C-ordered tensor: a memory segment, an element type and a shape in memory order.
 *
 * <p>What the dimensions mean is up to the {@link ConvSpec} it is used with: {@code [mb, ih, iw, ic]} for NHWC
 * activations, {@code [kh, kw, ic/g, oc]} for their HWIO weights, and so on. Elements are in the platform's
 * native byte order. A tensor never owns its segment: whoever allocated it frees it.
 *
 * @param data the elements; at least {@code elementCount() * dtype.byteSize()} bytes
 * @param dtype the element type
 * @param shape the dimensions in memory order, each {@code >= 1}
 */
public record Tensor(MemorySegment data, DType dtype, long[] shape) {

    /**
     * Checks that the segment holds the shape.
     *
     * @throws IllegalArgumentException if a dimension is below 1 or the element count overflows
     * @throws IndexOutOfBoundsException if the segment is smaller than the shape needs
     */
    public Tensor {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        long bytes = Math.multiplyExact(count(shape), (long) dtype.byteSize());
        if (data.byteSize() < bytes) {
            throw new IndexOutOfBoundsException("segment too small for tensor: " + data.byteSize() + " bytes < "
                    + bytes + " needed for " + dtype + " " + Arrays.toString(shape));
        }
    }

    /** Allocates a zeroed, 64-byte aligned tensor in {@code arena}. */
    public static Tensor allocate(Arena arena, DType dtype, long... shape) {
        long bytes = Math.multiplyExact(count(shape), (long) dtype.byteSize());
        return new Tensor(arena.allocate(bytes, 64), dtype, shape);
    }

    /** A float32 tensor over a Java array (a heap segment, no copy). */
    public static Tensor of(float[] values, long... shape) {
        return new Tensor(MemorySegment.ofArray(values), DType.FLOAT32, shape);
    }

    /** A float64 tensor over a Java array (a heap segment, no copy). */
    public static Tensor of(double[] values, long... shape) {
        return new Tensor(MemorySegment.ofArray(values), DType.FLOAT64, shape);
    }

    /** A bfloat16 tensor over a Java array of raw bfloat16 bits (a heap segment, no copy); see {@link BFloat16}. */
    public static Tensor ofBFloat16Bits(short[] bits, long... shape) {
        return new Tensor(MemorySegment.ofArray(bits), DType.BFLOAT16, shape);
    }

    /**
     * A bfloat16 tensor holding {@code values} rounded to nearest, ties to even ({@link BFloat16#fromFloat}), in a
     * new Java array.
     */
    public static Tensor bfloat16(float[] values, long... shape) {
        return ofBFloat16Bits(BFloat16.fromFloats(values), shape);
    }

    /** The shape in memory order (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements, the product of the shape. */
    public long elementCount() {
        return count(shape);
    }

    /** The bytes the elements take: {@code elementCount() * dtype.byteSize()}. */
    public long byteSize() {
        return elementCount() * dtype.byteSize();
    }

    /** Element {@code i} in C order, widened to double. */
    public double getDouble(long i) {
        return switch (dtype) {
            case FLOAT32 -> data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            case FLOAT64 -> data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i);
            case INT8 -> data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
            case UINT8 -> Byte.toUnsignedInt(data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
            case INT32 -> data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i);
            case BFLOAT16 -> BFloat16.toFloat(data.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i));
        };
    }

    /**
     * Copies the elements into a new {@code float[]}.
     *
     * @throws IllegalStateException if this is not a float32 tensor, or it has more than 2^31-9 elements
     */
    public float[] toFloatArray() {
        requireArray(DType.FLOAT32);
        return data.asSlice(0, byteSize()).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    /**
     * Copies the elements into a new {@code double[]}.
     *
     * @throws IllegalStateException if this is not a float64 tensor, or it has more than 2^31-9 elements
     */
    public double[] toDoubleArray() {
        requireArray(DType.FLOAT64);
        return data.asSlice(0, byteSize()).toArray(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED);
    }

    private void requireArray(DType wanted) {
        if (dtype != wanted) {
            throw new IllegalStateException("tensor is " + dtype + ", not " + wanted);
        }
        if (elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor too large for a Java array: " + elementCount() + " elements");
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("dimensions must be >= 1: shape " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("element count overflows a long: shape " + Arrays.toString(shape));
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && data.equals(t.data) && dtype == t.dtype && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(data, dtype, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
