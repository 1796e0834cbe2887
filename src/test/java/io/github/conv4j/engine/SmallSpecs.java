package io.github.conv4j.engine;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import java.util.SplittableRandom;

/** Seeded random valid specs small enough to check every element of: for the shared engine parts' tests. */
final class SmallSpecs {
    private SmallSpecs() {
    }

    /**
     * A random valid spec from {@code seed}: both layouts and dtypes, batch 1..3, spatial sizes 1..8, strides and
     * dilations 1..3, kernels 1..4, every padding mode (explicit pads up to 6, beyond the kernel), 1..3 groups.
     * The same seed always gives the same spec.
     */
    static ConvSpec next(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        while (true) {
            int groups = rnd.nextInt(3) == 0 ? 2 + rnd.nextInt(2) : 1;
            Padding padding = switch (rnd.nextInt(4)) {
                case 0 -> Padding.VALID;
                case 1 -> Padding.SAME;
                case 2 -> Padding.SAME_LOWER;
                default -> Padding.explicit(rnd.nextInt(7), rnd.nextInt(7), rnd.nextInt(7), rnd.nextInt(7));
            };
            try {
                return ConvSpec.builder()
                        .layout(rnd.nextBoolean() ? Layout.NHWC : Layout.NCHW)
                        .dtype(rnd.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64)
                        .input(1 + rnd.nextInt(3), 1 + rnd.nextInt(8), 1 + rnd.nextInt(8),
                                groups * (1 + rnd.nextInt(3)))
                        .kernel(1 + rnd.nextInt(4), 1 + rnd.nextInt(4), groups * (1 + rnd.nextInt(3)))
                        .stride(1 + rnd.nextInt(3), 1 + rnd.nextInt(3))
                        .dilation(1 + rnd.nextInt(3), 1 + rnd.nextInt(3))
                        .padding(padding).groups(groups)
                        .build();
            } catch (IllegalArgumentException tooSmall) {
                // the dilated kernel outgrew the padded input; draw again from the same stream
            }
        }
    }
}
