package io.github.conv4j;

/** One convolution through {@code auto} as a dependency user writes it; {@link QuietTest} reads what it prints. */
public final class QuietMain {
    private QuietMain() {
    }

    public static void main(String[] args) {
        ConvSpec spec = ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1).build();
        float[] y = Conv2d.conv2d(spec, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, new float[] {1, 1, 1, 1}, null);
        if (y[0] != 12 || y[3] != 28) {
            throw new AssertionError("wrong result " + java.util.Arrays.toString(y));
        }
    }
}
