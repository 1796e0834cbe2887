package io.github.conv4j.bench;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark shapes: the notebook's two cases and real network layers (activations NHWC). The one table
 * {@code compare} and the JMH benchmarks share.
 */
public final class Shapes {
    private record Shape(int mb, int ih, int iw, int ic, int k, int oc, int stride, Padding padding, int groups) {
    }

    private static final Map<String, Shape> SHAPES = new LinkedHashMap<>();

    static {
        SHAPES.put("S1", new Shape(2, 12, 10, 3, 3, 16, 2, Padding.VALID, 1));   // the notebook's small case
        SHAPES.put("S2", new Shape(32, 28, 28, 3, 3, 16, 2, Padding.VALID, 1));   // the notebook's larger case
        SHAPES.put("R1", new Shape(8, 56, 56, 64, 3, 64, 1, Padding.explicit(1, 1, 1, 1), 1));   // ResNet-50 res2
        SHAPES.put("R2", new Shape(8, 56, 56, 64, 1, 256, 1, Padding.VALID, 1));   // ResNet-50 res2 1x1
        SHAPES.put("R3", new Shape(8, 28, 28, 128, 3, 128, 1, Padding.explicit(1, 1, 1, 1), 1));   // ResNet-50 res3
        SHAPES.put("R4", new Shape(8, 14, 14, 256, 3, 256, 1, Padding.explicit(1, 1, 1, 1), 1));   // ResNet-50 res4
        SHAPES.put("R5", new Shape(8, 7, 7, 512, 3, 512, 1, Padding.explicit(1, 1, 1, 1), 1));   // ResNet-50 res5
        SHAPES.put("R6", new Shape(8, 224, 224, 3, 7, 64, 2, Padding.explicit(3, 3, 3, 3), 1));   // ResNet-50 stem
        // MobileNet depthwise
        SHAPES.put("D1", new Shape(8, 112, 112, 32, 3, 32, 1, Padding.explicit(1, 1, 1, 1), 32));
    }

    private Shapes() {
    }

    /** Every shape name, in order. */
    public static List<String> names() {
        return List.copyOf(SHAPES.keySet());
    }

    /**
     * The spec of shape {@code name} (case-insensitive) in the given dtype and layout.
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static ConvSpec spec(String name, DType dtype, Layout layout) {
        Shape s = shape(name);
        return ConvSpec.builder().layout(layout).dtype(dtype).input(s.mb(), s.ih(), s.iw(), s.ic())
                .kernel(s.k(), s.k(), s.oc()).stride(s.stride()).padding(s.padding()).groups(s.groups()).build();
    }

    private static Shape shape(String name) {
        Shape s = SHAPES.get(name.toUpperCase(Locale.ROOT));
        if (s == null) {
            throw new IllegalArgumentException("unknown shape: " + name + " (" + String.join(", ", SHAPES.keySet())
                    + ")");
        }
        return s;
    }
}
