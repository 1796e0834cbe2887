package io.github.conv4j.testing;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Padding;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The benchmark shapes S1..D1 (DESIGN.md; {@code io.github.conv4j.bench.Shapes} in {@code bench/} holds the same
 * table) for the timing harnesses in test sources, which cannot see the {@code bench/} project: NHWC, float32,
 * no bias.
 */
public final class BenchShapes {
    private BenchShapes() {
    }

    /** Every shape by name, in order. */
    public static Map<String, ConvSpec> all() {
        Map<String, ConvSpec> m = new LinkedHashMap<>();
        m.put("S1", spec(2, 12, 10, 3, 3, 16, 2, Padding.VALID, 1));
        m.put("S2", spec(32, 28, 28, 3, 3, 16, 2, Padding.VALID, 1));
        m.put("R1", spec(8, 56, 56, 64, 3, 64, 1, Padding.explicit(1, 1, 1, 1), 1));
        m.put("R2", spec(8, 56, 56, 64, 1, 256, 1, Padding.VALID, 1));
        m.put("R3", spec(8, 28, 28, 128, 3, 128, 1, Padding.explicit(1, 1, 1, 1), 1));
        m.put("R4", spec(8, 14, 14, 256, 3, 256, 1, Padding.explicit(1, 1, 1, 1), 1));
        m.put("R5", spec(8, 7, 7, 512, 3, 512, 1, Padding.explicit(1, 1, 1, 1), 1));
        m.put("R6", spec(8, 224, 224, 3, 7, 64, 2, Padding.explicit(3, 3, 3, 3), 1));
        m.put("D1", spec(8, 112, 112, 32, 3, 32, 1, Padding.explicit(1, 1, 1, 1), 32));
        return m;
    }

    private static ConvSpec spec(int mb, int ih, int iw, int ic, int k, int oc, int s, Padding p, int groups) {
        return ConvSpec.builder().input(mb, ih, iw, ic).kernel(k, k, oc).stride(s).padding(p).groups(groups).build();
    }
}
