package io.github.conv4j;

import java.util.Locale;

/**
 * Memory order of a convolution's activations, and with it of its weights.
 *
 * <p>{@link #NHWC} activations go with {@code HWIO} weights (TensorFlow); {@link #NCHW} activations go with
 * {@code OIHW} weights (PyTorch, ONNX). The numbers are the same, only their order in memory differs.
 */
public enum Layout {
    NHWC("HWIO"),
    NCHW("OIHW");

    private final String weightOrder;

    Layout(String weightOrder) {
        this.weightOrder = weightOrder;
    }

    /** The order of the weights that go with these activations: {@code HWIO} or {@code OIHW}. */
    public String weightOrder() {
        return weightOrder;
    }

    /**
     * Parses {@code NHWC} or {@code NCHW}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Layout parse(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "NHWC" -> NHWC;
            case "NCHW" -> NCHW;
            default -> throw new IllegalArgumentException("unknown layout: " + name + " (NHWC or NCHW)");
        };
    }
}
