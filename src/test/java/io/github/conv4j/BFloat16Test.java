package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Rounding float and double to bfloat16: to nearest, ties to even, overflow to infinity, NaN kept, subnormals. */
class BFloat16Test {

    private static short bits(int b) {
        return (short) b;
    }

    @Test
    void exactValuesKeepTheirBits() {
        assertEquals(bits(0x3f80), BFloat16.fromFloat(1f));
        assertEquals(bits(0xc000), BFloat16.fromFloat(-2f));
        assertEquals(bits(0x0000), BFloat16.fromFloat(0f));
        assertEquals(bits(0x8000), BFloat16.fromFloat(-0f));
        assertEquals(bits(0x7f80), BFloat16.fromFloat(Float.POSITIVE_INFINITY));
        assertEquals(bits(0xff80), BFloat16.fromFloat(Float.NEGATIVE_INFINITY));
        assertEquals(1.5f, BFloat16.toFloat(bits(0x3fc0)));
        assertEquals(BFloat16.MAX_VALUE, BFloat16.toFloat(bits(0x7f7f)));
    }

    @Test
    void tiesGoToTheEvenNeighbour() {
        // 1 + 2^-8 lies halfway between 1 (0x3f80, even) and 1 + 2^-7 (0x3f81): down to even
        assertEquals(bits(0x3f80), BFloat16.fromFloat(1 + 0x1p-8f));
        // 1 + 3 * 2^-8 lies halfway between 0x3f81 (odd) and 0x3f82 (even): up to even
        assertEquals(bits(0x3f82), BFloat16.fromFloat(1 + 3 * 0x1p-8f));
        // just past halfway goes up, just short of it goes down
        assertEquals(bits(0x3f81), BFloat16.fromFloat(Math.nextUp(1 + 0x1p-8f)));
        assertEquals(bits(0x3f80), BFloat16.fromFloat(Math.nextDown(1 + 0x1p-8f)));
        assertEquals(bits(0xbf80), BFloat16.fromFloat(-(1 + 0x1p-8f)));
        assertEquals(bits(0xbf82), BFloat16.fromFloat(-(1 + 3 * 0x1p-8f)));
    }

    @Test
    void beyondTheLargestFiniteRoundsToInfinity() {
        assertEquals(bits(0x7f7f), BFloat16.fromFloat(BFloat16.MAX_VALUE));
        // halfway between the largest finite bfloat16 and 2^128: to even, which is infinity
        float half = Math.nextDown(Float.MAX_VALUE);    // far past halfway
        assertEquals(bits(0x7f80), BFloat16.fromFloat(Float.MAX_VALUE));
        assertEquals(bits(0x7f80), BFloat16.fromFloat(0x1.ffp127f));
        assertEquals(bits(0x7f7f), BFloat16.fromFloat(Math.nextDown(0x1.ffp127f)));
        assertEquals(bits(0xff80), BFloat16.fromFloat(-half));
        assertEquals(bits(0x7f80), BFloat16.fromDouble(1e300));
        assertEquals(bits(0x7f80), BFloat16.fromDouble(0x1.ffp127));
        assertEquals(bits(0x7f7f), BFloat16.fromDouble(Math.nextDown(0x1.ffp127)));
    }

    @Test
    void nanStaysNanWithItsSign() {
        assertTrue(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(Float.NaN))));
        // a signalling NaN whose payload lives only in the low 16 bits would truncate to infinity
        float lowPayload = Float.intBitsToFloat(0x7f800001);
        assertTrue(Float.isNaN(lowPayload));
        assertTrue(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(lowPayload))));
        float negative = Float.intBitsToFloat(0xff800001);
        assertEquals(0xffc0, BFloat16.fromFloat(negative) & 0xffc0);
        assertTrue(Double.isNaN(BFloat16.toFloat(BFloat16.fromDouble(Double.NaN))));
    }

    @Test
    void subnormalsRoundWithinBfloat16sSubnormals() {
        // float32's smallest subnormal is far below half of bfloat16's smallest (2^-133): rounds to zero
        assertEquals(bits(0x0000), BFloat16.fromFloat(Float.MIN_VALUE));
        assertEquals(bits(0x8000), BFloat16.fromFloat(-Float.MIN_VALUE));
        // bfloat16's smallest subnormal 2^-133 is 0x0001; half of it (2^-134) ties to even, zero
        assertEquals(bits(0x0001), BFloat16.fromFloat(0x1p-133f));
        assertEquals(bits(0x0000), BFloat16.fromFloat(0x1p-134f));
        assertEquals(bits(0x0001), BFloat16.fromFloat(0x1.8p-134f));
        // three halves of it tie between 0x0001 (odd) and 0x0002: up to even
        assertEquals(bits(0x0002), BFloat16.fromFloat(0x1.8p-133f));
        // the largest subnormal rounds up into the smallest normal, 2^-126 (0x0080)
        assertEquals(bits(0x0080), BFloat16.fromFloat(Math.nextDown(0x1p-126f)));
        assertEquals(bits(0x0001), BFloat16.fromDouble(0x1p-133));
        assertEquals(bits(0x0000), BFloat16.fromDouble(0x1p-134));
        assertEquals(bits(0x0001), BFloat16.fromDouble(Math.nextUp(0x1p-134)));
    }

    /**
     * From double, rounding goes straight to bfloat16: 1 + 2^-8 + 2^-30 is above the tie, but through float32
     * (which drops the 2^-30) it would land on the tie and go down to even.
     */
    @Test
    void fromDoubleRoundsOnceNotThroughFloat() {
        double above = 1 + 0x1p-8 + 0x1p-30;
        assertEquals(bits(0x3f80), BFloat16.fromFloat((float) above));
        assertEquals(bits(0x3f81), BFloat16.fromDouble(above));
        assertEquals(bits(0xbf81), BFloat16.fromDouble(-above));
        assertEquals(bits(0x3f80), BFloat16.fromDouble(1 + 0x1p-8 - 0x1p-30));
        assertEquals(bits(0x3f80), BFloat16.fromDouble(1 + 0x1p-8));
    }

    /** Against an exact rounding in BigDecimal, on random doubles across bfloat16's range. */
    @Test
    void matchesExactRoundingOnRandomValues() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            double d = Math.scalb(rnd.nextDouble(-2, 2), rnd.nextInt(-140, 128));
            if (i % 4 == 0) {
                // exactly on or next to a tie
                float f = BFloat16.toFloat(bits(rnd.nextInt(0x10000) & 0x7f7f));
                // half a bfloat16 ulp (2^16 float32 ulps) past f, subnormals included
                double tie = (double) f + Math.ulp(f) * 32768.0;
                d = switch (i % 3) {
                    case 0 -> tie;
                    case 1 -> Math.nextUp(tie);
                    default -> Math.nextDown(tie);
                };
            }
            double v = d;
            short got = BFloat16.fromDouble(v);
            assertEquals(exact(v), got, () -> "fromDouble(" + v + ")");
            float f = (float) v;
            if (f == v) {
                assertEquals(got, BFloat16.fromFloat(f), () -> "fromFloat(" + f + ")");
            }
        }
    }

    /** The nearest bfloat16 to {@code d} by exact decimal arithmetic, ties to the even bit pattern. */
    private static short exact(double d) {
        short lo = truncate(d);
        // one ulp further from zero; past the largest finite bfloat16 that is infinity, counted as 2^128
        short hi = (short) (lo + 1);
        BigDecimal v = new BigDecimal(d), a = new BigDecimal(BFloat16.toFloat(lo)), b = value(hi);
        int c = v.subtract(a).abs().compareTo(b.subtract(v).abs());
        return c < 0 ? lo : c > 0 ? hi : (lo & 1) == 0 ? lo : hi;
    }

    /** {@code d} truncated towards zero to bfloat16 (through float32, truncated too). */
    private static short truncate(double d) {
        float f = (float) d;
        if (Math.abs((double) f) > Math.abs(d)) {
            f = Float.intBitsToFloat(Float.floatToRawIntBits(f) - 1);
        }
        return (short) (Float.floatToRawIntBits(f) >>> 16);
    }

    private static BigDecimal value(short b) {
        float f = BFloat16.toFloat(b);
        return Float.isInfinite(f) ? new BigDecimal(0x1p128).multiply(BigDecimal.valueOf(Math.signum(f)))
                : new BigDecimal(f);
    }
}
