package io.github.conv4j;

import java.util.Locale;

/**
 * How close to exact rounding a convolution must be, chosen per spec ({@link ConvSpec.Builder#accuracy}); the
 * bound each level allows is {@link ConvSpec#tolerance(double)}.
 *
 * <p>A level is an error bound, not a way of computing: an engine that accepts a spec promises to stay within its
 * level's bound, and one that cannot declines it, so no plan, {@code auto}'s included, is less accurate than the
 * spec asks. An engine that computes more exactly than a level needs meets it too: {@code naive}, {@code im2col-*}
 * and {@code java-vector} compute every level as EXACT, {@code winograd} uses its FAST tiles at FAST and BF16,
 * and only {@code onednn} computes differently at BF16 (in bfloat16 inside the primitive). {@code naive} stays
 * the reference at every level.
 */
public enum Accuracy {
    /** The default: the float rounding bound every engine is held to. */
    EXACT("exact"),
    /** A bound ten times larger, for algorithms that trade rounding error for speed (larger Winograd tiles). */
    FAST("fast"),
    /**
     * The bound of products computed from inputs and weights rounded to bfloat16 (8 significant bits), summed in
     * float32: the engine may round inside while the tensors keep their type ({@code onednn} sets oneDNN's
     * floating-point math mode to bf16). The formula is at {@link ConvSpec#tolerance(double)}.
     */
    BF16("bf16");

    private final String label;

    Accuracy(String label) {
        this.label = label;
    }

    /** The name the command line and JSON use: {@code exact}, {@code fast} or {@code bf16}. */
    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses {@code exact}, {@code fast} or {@code bf16}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Accuracy parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "exact" -> EXACT;
            case "fast" -> FAST;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("unknown accuracy: " + name + " (exact, fast or bf16)");
        };
    }
}
