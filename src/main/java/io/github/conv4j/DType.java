package io.github.conv4j;

import java.lang.foreign.ValueLayout;

/** Element type of a convolution's tensors; all of a convolution's tensors share one. */
public enum DType {
    FLOAT32(ValueLayout.JAVA_FLOAT, "<f4", "float32"),
    FLOAT64(ValueLayout.JAVA_DOUBLE, "<f8", "float64");

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

    /** The NumPy name of this type ({@code float32} or {@code float64}). */
    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses {@code float32}/{@code f32} or {@code float64}/{@code f64}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "f32", "float" -> FLOAT32;
            case "float64", "f64", "double" -> FLOAT64;
            default -> throw new IllegalArgumentException("unknown dtype: " + name + " (float32 or float64)");
        };
    }
}
