package io.github.conv4j;

import java.util.Locale;

/**
 * How close to exact rounding a convolution must be, chosen per spec ({@link ConvSpec.Builder#accuracy}); the
 * bound each level allows is {@link ConvSpec#tolerance(double)}.
 *
 * <p>An engine that accepts a spec meets its level: one that cannot declines it, so no plan, {@code auto}'s
 * included, is less accurate than the spec asks. An engine that computes every level exactly (all of them today)
 * accepts both.
 */
public enum Accuracy {
    /** The default: the float rounding bound every engine is held to. */
    EXACT("exact"),
    /** A bound ten times larger, for algorithms that trade rounding error for speed (larger Winograd tiles). */
    FAST("fast");

    private final String label;

    Accuracy(String label) {
        this.label = label;
    }

    /** The name the command line and JSON use: {@code exact} or {@code fast}. */
    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses {@code exact} or {@code fast}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Accuracy parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "exact" -> EXACT;
            case "fast" -> FAST;
            default -> throw new IllegalArgumentException("unknown accuracy: " + name + " (exact or fast)");
        };
    }
}
