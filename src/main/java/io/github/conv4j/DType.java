package io.github.conv4j;

import java.lang.foreign.ValueLayout;

/** Element type of a convolution's tensors; all of a convolution's tensors share one. */
public enum DType {
    FLOAT32(ValueLayout.JAVA_FLOAT, "<f4", "float32"),
    FLOAT64(ValueLayout.JAVA_DOUBLE, "<f8", "float64"),
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

    /** The NumPy name of this type ({@code float32}, {@code float64}, or ml_dtypes' {@code bfloat16}). */
    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses {@code float32}/{@code f32}, {@code float64}/{@code f64} or {@code bfloat16}/{@code bf16}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "f32", "float" -> FLOAT32;
            case "float64", "f64", "double" -> FLOAT64;
            case "bfloat16", "bf16" -> BFLOAT16;
            default -> throw new IllegalArgumentException("unknown dtype: " + name
                    + " (float32, float64 or bfloat16)");
        };
    }
}
