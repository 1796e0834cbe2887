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
            Padding padding = padding(rnd, 4);
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

    /**
     * A random valid spec that exercises worker splits and multi-tile paths: batch 1..8, spatial sizes up to 200,
     * channels per group up to 128, kernels up to 7, every padding mode, groups and depthwise, both layouts and
     * dtypes, bias, ReLU; at most {@value #LARGE_MACS} multiply-adds and {@value #LARGE_ELEMENTS} input or output
     * elements, so that naive checks it in tens of milliseconds.
     */
    public static ConvSpec large(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x1A46E5EEDL);
        while (true) {
            boolean depthwise = rnd.nextInt(5) == 0;
            int groups = depthwise ? 1 + rnd.nextInt(128) : rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(4) : 1;
            int icg = depthwise ? 1 : 1 + rnd.nextInt(128);
            int ocg = depthwise ? 1 + rnd.nextInt(3) : 1 + rnd.nextInt(128);
            int k = 1 + rnd.nextInt(7);
            Padding padding = padding(rnd, 5);
            try {
                ConvSpec spec = ConvSpec.builder()
                        .layout(rnd.nextBoolean() ? Layout.NHWC : Layout.NCHW)
                        .dtype(rnd.nextInt(4) == 0 ? DType.FLOAT64 : DType.FLOAT32)
                        .input(1 + rnd.nextInt(8), 1 + rnd.nextInt(200), 1 + rnd.nextInt(200), icg * groups)
                        .kernel(rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(7) : k, k, ocg * groups)
                        .stride(1 + rnd.nextInt(3), 1 + rnd.nextInt(3))
                        .dilation(rnd.nextInt(4) == 0 ? 2 : 1, rnd.nextInt(4) == 0 ? 2 : 1)
                        .padding(padding).groups(groups)
                        .bias(rnd.nextBoolean()).relu(rnd.nextInt(3) == 0)
                        .build();
                if (spec.flops() / 2 <= LARGE_MACS && spec.inputElements() <= LARGE_ELEMENTS
                        && spec.outputElements() <= LARGE_ELEMENTS) {
                    return spec;
                }
            } catch (IllegalArgumentException tooSmall) {
                // the kernel outgrew the padded input; draw again from the same stream
            }
        }
    }

    /** The most multiply-adds a {@link #large} spec has. */
    public static final long LARGE_MACS = 40_000_000L;
    /** The most input or output elements a {@link #large} spec has. */
    public static final long LARGE_ELEMENTS = 2_000_000L;

    /**
     * A random float32 spec with bias or ReLU on the edges of the geometry: narrow inputs, wide pads and
     * dilations that leave output columns or rows reading only padding, one output column reached with a
     * stride, one channel per group. These are the specs where oneDNN 3.11 crashed or computed wrong results
     * ({@code engine/onednn/Workarounds}); other engines see them too.
     */
    public static ConvSpec edges(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0xED6E5L);
        while (true) {
            int groups = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(8) : 1;
            int icg = rnd.nextBoolean() ? 1 : 1 + rnd.nextInt(8);
            int ocg = 1 + rnd.nextInt(8);
            int kw = 1 + rnd.nextInt(6);
            int pad = kw * (1 + rnd.nextInt(3));
            Padding padding = switch (rnd.nextInt(3)) {
                case 0 -> Padding.explicit(rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(pad + 1), pad);
                case 1 -> Padding.explicit(rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(4));
                default -> rnd.nextBoolean() ? Padding.SAME : Padding.SAME_LOWER;
            };
            boolean bias = rnd.nextBoolean();
            try {
                return ConvSpec.builder()
                        .layout(rnd.nextBoolean() ? Layout.NHWC : Layout.NCHW)
                        .input(1 + rnd.nextInt(4), 1 + rnd.nextInt(24), 1 + rnd.nextInt(rnd.nextBoolean() ? 6 : 64),
                                icg * groups)
                        .kernel(1 + rnd.nextInt(5), kw, ocg * groups)
                        .stride(rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(4) : 1, 1 + rnd.nextInt(6))
                        .dilation(1 + rnd.nextInt(3), rnd.nextBoolean() ? 1 : 1 + rnd.nextInt(6))
                        .padding(padding).groups(groups)
                        .bias(bias).relu(!bias || rnd.nextBoolean())
                        .build();
            } catch (IllegalArgumentException tooSmall) {
                // the kernel outgrew the padded input; draw again from the same stream
            }
        }
    }

    /** VALID, SAME, SAME_LOWER or explicit pads below {@code bound}, each a quarter of the time. */
    private static Padding padding(SplittableRandom rnd, int bound) {
        return switch (rnd.nextInt(4)) {
            case 0 -> Padding.VALID;
            case 1 -> Padding.SAME;
            case 2 -> Padding.SAME_LOWER;
            default -> Padding.explicit(rnd.nextInt(bound), rnd.nextInt(bound), rnd.nextInt(bound), rnd.nextInt(bound));
        };
    }

    /** Which generator a fuzz run draws from. */
    public enum Profile {
        /** {@code next(seed, 40, 6)}: the classic small specs. */
        SMALL,
        /** {@link #large}. */
        LARGE,
        /** {@link #edges}. */
        EDGES;

        /** The spec for {@code seed}. */
        public ConvSpec spec(long seed) {
            return switch (this) {
                case SMALL -> next(seed, 40, 6);
                case LARGE -> large(seed);
                case EDGES -> edges(seed);
            };
        }
    }
}
