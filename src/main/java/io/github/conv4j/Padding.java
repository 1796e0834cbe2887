package io.github.conv4j;

import java.util.Locale;

/**
 * How a convolution pads its input: {@link #VALID}, {@link #SAME}, {@link #SAME_LOWER}, or explicit
 * asymmetric pads.
 *
 * <ul>
 *   <li>{@code VALID}: no padding.
 *   <li>{@code SAME} (TensorFlow, ONNX {@code SAME_UPPER}): output size is {@code ceil(in / stride)}; an odd
 *       extra pad row or column goes at the bottom or right.
 *   <li>{@code SAME_LOWER} (ONNX): as {@code SAME}, but the extra pad goes at the top or left.
 *   <li>explicit: {@code top, bottom, left, right} zero rows and columns, each {@code >= 0}.
 * </ul>
 *
 * @param mode which kind of padding
 * @param top explicit rows above (0 unless {@code mode == EXPLICIT})
 * @param bottom explicit rows below
 * @param left explicit columns on the left
 * @param right explicit columns on the right
 */
public record Padding(Mode mode, int top, int bottom, int left, int right) {

    /** The kinds of padding. */
    public enum Mode { VALID, SAME, SAME_LOWER, EXPLICIT }

    public static final Padding VALID = new Padding(Mode.VALID, 0, 0, 0, 0);
    public static final Padding SAME = new Padding(Mode.SAME, 0, 0, 0, 0);
    public static final Padding SAME_LOWER = new Padding(Mode.SAME_LOWER, 0, 0, 0, 0);

    /**
     * Checks the pads.
     *
     * @throws IllegalArgumentException if a pad is negative, or non-zero outside {@code EXPLICIT}
     */
    public Padding {
        if (mode == null) {
            throw new IllegalArgumentException("padding mode is null");
        }
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("pads must be >= 0: top=" + top + ", bottom=" + bottom
                    + ", left=" + left + ", right=" + right);
        }
        if (mode != Mode.EXPLICIT && (top | bottom | left | right) != 0) {
            throw new IllegalArgumentException("pads are only given with EXPLICIT padding, not " + mode);
        }
    }

    /**
     * Explicit, possibly asymmetric pads.
     *
     * @throws IllegalArgumentException if a pad is negative
     */
    public static Padding explicit(int top, int bottom, int left, int right) {
        return new Padding(Mode.EXPLICIT, top, bottom, left, right);
    }

    /**
     * Parses {@code VALID}, {@code SAME}, {@code SAME_LOWER} (any case) or {@code T,B,L,R}.
     *
     * @throws IllegalArgumentException if the text is none of these, or a pad is negative
     */
    public static Padding parse(String text) {
        switch (text.toUpperCase(Locale.ROOT)) {
            case "VALID": return VALID;
            case "SAME": case "SAME_UPPER": return SAME;
            case "SAME_LOWER": return SAME_LOWER;
            default:
        }
        String[] parts = text.split(",", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("padding must be VALID, SAME, SAME_LOWER or T,B,L,R: " + text);
        }
        int[] p = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                p[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("padding must be VALID, SAME, SAME_LOWER or T,B,L,R: " + text);
            }
        }
        return explicit(p[0], p[1], p[2], p[3]);
    }

    @Override
    public String toString() {
        return mode == Mode.EXPLICIT ? top + "," + bottom + "," + left + "," + right : mode.name();
    }
}
