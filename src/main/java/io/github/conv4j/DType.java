package io.github.conv4j;

import java.lang.foreign.ValueLayout;

/**
 * Element type of a tensor. A float convolution's tensors share one; a quantized one (see {@link Quantization})
 * takes {@link #INT8} or {@link #UINT8} activations, {@link #INT8} weights, an {@link #INT32} bias and the output
 * type its quantization names.
 */
public enum DType {
    FLOAT32(ValueLayout.JAVA_FLOAT, "<f4", "float32"),
    FLOAT64(ValueLayout.JAVA_DOUBLE, "<f8", "float64"),
    /** Signed 8-bit integers: quantized activations, weights or outputs. */
    INT8(ValueLayout.JAVA_BYTE, "|i1", "int8"),
    /** Unsigned 8-bit integers (0..255, stored in a byte): quantized activations or outputs. */
    UINT8(ValueLayout.JAVA_BYTE, "|u1", "uint8"),
    /** Signed 32-bit integers: a quantized convolution's bias. */
    INT32(ValueLayout.JAVA_INT, "<i4", "int32"),
    /**
     * bfloat16, held as raw bits in a {@code short} (the upper half of a float32; see {@link BFloat16}). NumPy has
     * no such type: its {@code .npy} descr is {@code '<V2'}, what {@code np.save} writes for
     * {@code ml_dtypes.bfloat16} (see {@link io.github.conv4j.io.Npy}). Engines accumulate it in float32 or wider.
     */
    BFLOAT16(ValueLayout.JAVA_SHORT, "<V2", "bfloat16");

    private final ValueLayout layout;
    private final String npyDescr;
    private final String label;

    DType(ValueLayout layout, String npyDescr, String label) {
        this.layout = layout;
        this.npyDescr = npyDescr;
        this.label = label;
    }

    /** Size of one element in bytes. */
    public int byteSize() {
        return (int) layout.byteSize();
    }

    /** The element's value layout (native byte order, naturally aligned). */
    public ValueLayout layout() {
        return layout;
    }

    /** The NumPy {@code descr} string of this type, little-endian. */
    public String npyDescr() {
        return npyDescr;
    }

    /** Whether this is one of the 8-bit activation types of a quantized convolution. */
    public boolean isQuantized() {
        return this == INT8 || this == UINT8;
    }

    /** The NumPy name of this type ({@code float32}, {@code float64}, {@code int8}, {@code uint8}, {@code int32}, or
     * ml_dtypes' {@code bfloat16}). */
    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses {@code float32}/{@code f32}, {@code float64}/{@code f64}, {@code int8}/{@code i8}/{@code s8},
     * {@code uint8}/{@code u8}, {@code int32}/{@code i32} or {@code bfloat16}/{@code bf16}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "f32", "float" -> FLOAT32;
            case "float64", "f64", "double" -> FLOAT64;
            case "int8", "i8", "s8" -> INT8;
            case "uint8", "u8" -> UINT8;
            case "int32", "i32", "s32" -> INT32;
            case "bfloat16", "bf16" -> BFLOAT16;
            default -> throw new IllegalArgumentException("unknown dtype: " + name
                    + " (float32, float64, int8, uint8, int32 or bfloat16)");
        };
    }
}
