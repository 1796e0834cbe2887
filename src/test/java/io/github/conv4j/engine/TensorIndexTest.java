package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

/**
 * The layout index math against the memory orders ConvSpec documents: input and output {@code [mb][h][w][c]}
 * (NHWC) or {@code [mb][c][h][w]} (NCHW), weights HWIO {@code [kh][kw][ic/g][oc]} or OIHW
 * {@code [oc][ic/g][kh][kw]}; every element of small random specs of both layouts, each index unique and
 * inside the tensor, so the indices are a permutation of the memory.
 */
class TensorIndexTest {
    private static final int SPECS = 300;

    /** The memory index of logical activation element {@code (n, h, w, c)} of an {@code H x W x C} tensor. */
    private static long activation(Layout layout, int height, int width, int channels, int n, int h, int w, int c) {
        return layout == Layout.NHWC
                ? (((long) n * height + h) * width + w) * channels + c
                : (((long) n * channels + c) * height + h) * width + w;
    }

    /** The memory index of weight {@code (h, w, i, o)}: HWIO for NHWC, OIHW for NCHW. */
    private static long weight(ConvSpec s, int h, int w, int i, int o) {
        int icg = s.icPerGroup();
        return s.layout() == Layout.NHWC
                ? (((long) h * s.kw() + w) * icg + i) * s.oc() + o
                : (((long) o * icg + i) * s.kh() + h) * s.kw() + w;
    }

    /**
     * Checks index {@code got} of element {@code (a, b, c, d)} of {@code tensor}: it is {@code want}, lies inside
     * {@code [0, count)} and was not taken before; then marks it taken.
     */
    private static void take(BitSet seen, long want, long got, long count, String tensor, int a, int b, int c, int d,
            ConvSpec s) {
        if (want == got && got >= 0 && got < count && !seen.get((int) got)) {
            seen.set((int) got);
            return;
        }
        String what = tensor + " (" + a + ", " + b + ", " + c + ", " + d + ") of " + s;
        assertEquals(want, got, what);
        assertTrue(got >= 0 && got < count, what + ": index " + got + " outside 0.." + (count - 1));
        fail(what + ": index " + got + " used twice");
    }

    @Test
    void inputIndicesFollowTheLayoutAndCoverTheInputOnce() {
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            TensorIndex t = new TensorIndex(s);
            BitSet seen = new BitSet();
            for (int n = 0; n < s.mb(); n++) {
                for (int h = 0; h < s.ih(); h++) {
                    for (int w = 0; w < s.iw(); w++) {
                        for (int c = 0; c < s.ic(); c++) {
                            take(seen, activation(s.layout(), s.ih(), s.iw(), s.ic(), n, h, w, c),
                                    t.input(n, h, w, c), s.inputElements(), "input", n, h, w, c, s);
                        }
                    }
                }
            }
            assertEquals(s.inputElements(), seen.cardinality(), s.toString());
            // one step along an axis moves by that axis's stride
            long origin = activation(s.layout(), s.ih(), s.iw(), s.ic(), 0, 0, 0, 0);
            assertEquals(activation(s.layout(), s.ih(), s.iw(), s.ic(), 1, 0, 0, 0) - origin, t.inN, "inN " + s);
            assertEquals(activation(s.layout(), s.ih(), s.iw(), s.ic(), 0, 1, 0, 0) - origin, t.inH, "inH " + s);
            assertEquals(activation(s.layout(), s.ih(), s.iw(), s.ic(), 0, 0, 1, 0) - origin, t.inW, "inW " + s);
            assertEquals(activation(s.layout(), s.ih(), s.iw(), s.ic(), 0, 0, 0, 1) - origin, t.inC, "inC " + s);
        }
    }

    @Test
    void outputIndicesFollowTheLayoutCoverTheOutputOnceAndNameTheirChannel() {
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            TensorIndex t = new TensorIndex(s);
            BitSet seen = new BitSet();
            for (int n = 0; n < s.mb(); n++) {
                for (int h = 0; h < s.oh(); h++) {
                    for (int w = 0; w < s.ow(); w++) {
                        for (int c = 0; c < s.oc(); c++) {
                            long got = t.output(n, h, w, c);
                            take(seen, activation(s.layout(), s.oh(), s.ow(), s.oc(), n, h, w, c), got,
                                    s.outputElements(), "output", n, h, w, c, s);
                            if (t.outputChannel(got, s.oc()) != c) {
                                fail("outputChannel(" + got + ") = " + t.outputChannel(got, s.oc()) + ", want " + c
                                        + ": output (" + n + ", " + h + ", " + w + ", " + c + ") of " + s);
                            }
                        }
                    }
                }
            }
            assertEquals(s.outputElements(), seen.cardinality(), s.toString());
            long origin = activation(s.layout(), s.oh(), s.ow(), s.oc(), 0, 0, 0, 0);
            assertEquals(activation(s.layout(), s.oh(), s.ow(), s.oc(), 1, 0, 0, 0) - origin, t.outN, "outN " + s);
            assertEquals(activation(s.layout(), s.oh(), s.ow(), s.oc(), 0, 1, 0, 0) - origin, t.outH, "outH " + s);
            assertEquals(activation(s.layout(), s.oh(), s.ow(), s.oc(), 0, 0, 1, 0) - origin, t.outW, "outW " + s);
            assertEquals(activation(s.layout(), s.oh(), s.ow(), s.oc(), 0, 0, 0, 1) - origin, t.outC, "outC " + s);
        }
    }

    @Test
    void weightIndicesFollowHwioOrOihwAndCoverTheWeightsOnce() {
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            TensorIndex t = new TensorIndex(s);
            BitSet seen = new BitSet();
            for (int h = 0; h < s.kh(); h++) {
                for (int w = 0; w < s.kw(); w++) {
                    for (int i = 0; i < s.icPerGroup(); i++) {
                        for (int o = 0; o < s.oc(); o++) {
                            take(seen, weight(s, h, w, i, o), t.weight(h, w, i, o), s.weightElements(), "weight",
                                    h, w, i, o, s);
                        }
                    }
                }
            }
            assertEquals(s.weightElements(), seen.cardinality(), s.toString());
            long origin = weight(s, 0, 0, 0, 0);
            assertEquals(weight(s, 1, 0, 0, 0) - origin, t.wH, "wH " + s);
            assertEquals(weight(s, 0, 1, 0, 0) - origin, t.wW, "wW " + s);
            assertEquals(weight(s, 0, 0, 1, 0) - origin, t.wI, "wI " + s);
            assertEquals(weight(s, 0, 0, 0, 1) - origin, t.wO, "wO " + s);
        }
    }

    @Test
    void theSpecsCoverBothLayoutsNonSquareShapesAndGroups() {
        // the index checks above only tell swapped axes apart on shapes whose sizes differ
        int nhwc = 0, nchw = 0, nonSquare = 0, grouped = 0;
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            nhwc += s.layout() == Layout.NHWC ? 1 : 0;
            nchw += s.layout() == Layout.NCHW ? 1 : 0;
            nonSquare += s.ih() != s.iw() && s.oh() != s.ow() && s.kh() != s.kw() && s.ic() != s.oc() ? 1 : 0;
            grouped += s.groups() > 1 ? 1 : 0;
        }
        assertTrue(nhwc > 50 && nchw > 50 && nonSquare > 30 && grouped > 30,
                "nhwc " + nhwc + ", nchw " + nchw + ", non-square " + nonSquare + ", grouped " + grouped);
    }
}
