package io.github.conv4j.testing;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import java.util.SplittableRandom;

/** Seeded random valid specs: small sizes, every padding mode, groups and depthwise, both layouts. */
public final class RandomSpecs {
    private RandomSpecs() {
    }

    /**
     * A random valid spec from {@code seed}; {@code maxSize} bounds the spatial size and channels.
     * Retries internally until the spec validates, so the same seed always gives the same spec.
     */
    public static ConvSpec next(long seed, int maxSize) {
        return next(seed, maxSize, Math.max(1, maxSize / 2));
    }

    /**
     * A random valid spec from {@code seed}: spatial sizes up to {@code maxSize}, channels per group up to
     * {@code maxChannels}, strides 1..4, dilations 1..3, every padding mode, groups and depthwise.
     */
    public static ConvSpec next(long seed, int maxSize, int maxChannels) {
        SplittableRandom rnd = new SplittableRandom(seed);
        while (true) {
            int groups = switch (rnd.nextInt(4)) {
                case 0 -> 1 + rnd.nextInt(3);
                default -> 1;
            };
            boolean depthwise = rnd.nextInt(5) == 0;
            int icg = depthwise ? 1 : 1 + rnd.nextInt(maxChannels);
            if (depthwise) {
                groups = 1 + rnd.nextInt(2 * maxChannels);
            }
            int ocg = 1 + rnd.nextInt(depthwise ? 3 : maxChannels);
            Padding padding = switch (rnd.nextInt(4)) {
                case 0 -> Padding.VALID;
                case 1 -> Padding.SAME;
                case 2 -> Padding.SAME_LOWER;
                default -> Padding.explicit(rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(4));
            };
            try {
                return ConvSpec.builder()
                        .layout(rnd.nextBoolean() ? Layout.NHWC : Layout.NCHW)
                        .dtype(rnd.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64)
                        .input(1 + rnd.nextInt(3), 1 + rnd.nextInt(maxSize), 1 + rnd.nextInt(maxSize), icg * groups)
                        .kernel(1 + rnd.nextInt(5), 1 + rnd.nextInt(5), ocg * groups)
                        .stride(1 + rnd.nextInt(4), 1 + rnd.nextInt(4))
                        .dilation(1 + rnd.nextInt(3), 1 + rnd.nextInt(3))
                        .padding(padding).groups(groups)
                        .bias(rnd.nextBoolean()).relu(rnd.nextInt(3) == 0)
                        .build();
            } catch (IllegalArgumentException tooSmall) {
                // the kernel outgrew the padded input; draw again from the same stream
            }
        }
    }
}
