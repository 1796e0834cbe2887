package io.github.conv4j;

/**
 * Conversions between float and bfloat16, the 16-bit type with float32's sign and exponent and 8 significant bits
 * (7 stored). A bfloat16 is held as its raw bits in a {@code short}: the upper half of the float32 with the same
 * value, so widening is exact and a shift. Every conversion to bfloat16 in conv4j goes through here.
 *
 * <p>Rounding is to nearest, ties to even, as in IEEE 754, oneDNN and PyTorch: a value beyond the largest finite
 * bfloat16 (about 3.39e38) by half an ulp or more becomes infinity, subnormal floats round within bfloat16's
 * subnormals (float32's exponent range, 7 stored bits), and NaN stays NaN (made quiet, sign kept).
 */
public final class BFloat16 {
    private BFloat16() {
    }

    /** The largest finite bfloat16, 0x7f7f: (2 - 2^-7) * 2^127. */
    public static final float MAX_VALUE = 0x1.fep127f;

    /** The bits of {@code f} rounded to bfloat16, to nearest with ties to even; NaN gives a quiet NaN. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            // keep the sign and the top payload bits; the quiet bit makes sure truncation leaves a NaN
            return (short) ((bits >>> 16) | 0x0040);
        }
        // add just under half an ulp of the result, plus one if the kept part is odd (ties to even), and truncate;
        // a carry into the exponent is the correct rounding up, to infinity at the top
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    /**
     * The bits of {@code d} rounded to bfloat16 once, to nearest with ties to even (not through float32, whose
     * own rounding could move a value onto a bfloat16 tie).
     */
    public static short fromDouble(double d) {
        float f = (float) d;
        if (Float.isFinite(f) && f != d) {
            // round to odd in float32 (truncate, then set the last bit): with 16 more bits than bfloat16 the second
            // rounding then lands where rounding d directly would
            int bits = Float.floatToRawIntBits(f);
            if (Math.abs((double) f) > Math.abs(d)) {
                bits--;    // one ulp towards zero: sign and magnitude bits
            }
            f = Float.intBitsToFloat(bits | 1);
        }
        return fromFloat(f);
    }

    /** The float whose value the bfloat16 {@code bits} hold (exact). */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** {@code f} rounded to the nearest bfloat16 (ties to even) and widened back to float. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }

    /** Each element of {@code values} rounded to bfloat16 bits, as {@link #fromFloat}. */
    public static short[] fromFloats(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = fromFloat(values[i]);
        }
        return out;
    }
}
