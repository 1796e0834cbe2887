package io.github.conv4j.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.testing.RandomSpecs;
import org.junit.jupiter.api.Test;

/**
 * The guards against oneDNN 3.11's failures that fuzzing found: the spec that crashed it and the spec it
 * computed wrongly are declined (running them would kill the JVM or give wrong numbers), and the blind-axis
 * search agrees with a brute-force one.
 */
class BlindWindowTest {

    private static boolean bruteForceAllBlind(int in, int out, int stride, int dilation, int k, int pad) {
        for (int o = 0; o < out; o++) {
            for (int t = 0; t < k; t++) {
                long p = (long) o * stride - pad + (long) t * dilation;
                if (p >= 0 && p < in) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void agreesWithBruteForce() {
        int blind = 0;
        for (long seed = 0; seed < 20_000; seed++) {
            ConvSpec s = RandomSpecs.next(seed, 12, 2);
            boolean want = bruteForceAllBlind(s.iw(), s.ow(), s.sw(), s.dw(), s.kw(), s.padLeft());
            blind += want ? 1 : 0;
            assertEquals(want, OneDnnEngine.allBlind(s.iw(), s.ow(), s.sw(), s.dw(), s.kw(), s.padLeft()),
                    "seed " + seed + " " + s);
        }
        assertTrue(blind > 10, "the random specs include blind axes: " + blind);
    }

    @Test
    void declinesTheSpecsThatCrashedOneDnn() {
        ConvSpec bias = ConvSpec.builder().input(1, 5, 2, 5).kernel(2, 1, 3).stride(2, 4).dilation(1, 3)
                .padding(Padding.explicit(0, 0, 2, 3)).bias(true).build();
        assertEquals("bias where every output column reads only padding: oneDNN 3.11 can crash on such specs"
                + " (SIGSEGV in brgemm_convolution_fwd_t::perform_outwork)",
                new OneDnnEngine().declines(bias).orElseThrow());
        assertTrue(new OneDnnEngine().declines(bias.toBuilder().bias(false).build()).isEmpty());
        ConvSpec relu = ConvSpec.builder().input(3, 26, 1, 4).kernel(4, 2, 3).stride(2, 4).dilation(3, 2)
                .padding(Padding.explicit(0, 2, 3, 3)).relu(true).build();
        assertEquals("relu where every output column reads only padding: oneDNN 3.11 can crash on such specs"
                + " (SIGSEGV in brgemm_convolution_fwd_t::perform_outwork)",
                new OneDnnEngine().declines(relu).orElseThrow());
        // some blind rows (pad as large as the kernel) are fine: the golden case explicit_pads_ge_kernel
        ConvSpec someBlind = ConvSpec.builder().input(1, 5, 5, 2).kernel(3, 3, 3)
                .padding(Padding.explicit(3, 0, 2, 3)).bias(true).build();
        assertTrue(new OneDnnEngine().declines(someBlind).isEmpty());
        assertFalse(OneDnnEngine.allBlind(56, 56, 1, 1, 3, 1));
    }

    @Test
    void declinesOneOutputWithStride() {
        ConvSpec wrong = ConvSpec.builder().layout(Layout.NCHW).input(2, 2, 2, 1).kernel(5, 5, 2)
                .stride(1, 4).dilation(2, 1).padding(Padding.SAME_LOWER).bias(true).build();
        assertEquals("one output column with stride sw=4: oneDNN 3.11 computes wrong results for such specs",
                new OneDnnEngine().declines(wrong).orElseThrow());
        assertTrue(new OneDnnEngine().declines(wrong.toBuilder().stride(1, 1).padding(Padding.explicit(4, 4, 2, 2))
                .build()).isEmpty());
    }
}
