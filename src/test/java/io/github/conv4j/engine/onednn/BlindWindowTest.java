package io.github.conv4j.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Padding;
import io.github.conv4j.testing.RandomSpecs;
import org.junit.jupiter.api.Test;

/**
 * The guard against oneDNN 3.11's crash on biased specs with windows that see only padding: the window
 * search agrees with a brute-force one, and the spec fuzzing found is declined (it would kill the JVM).
 */
class BlindWindowTest {

    private static boolean bruteForceBlind(int in, int out, int stride, int dilation, int k, int pad) {
        for (int o = 0; o < out; o++) {
            boolean sees = false;
            for (int t = 0; t < k; t++) {
                long p = (long) o * stride - pad + (long) t * dilation;
                sees |= p >= 0 && p < in;
            }
            if (!sees) {
                return true;
            }
        }
        return false;
    }

    @Test
    void agreesWithBruteForce() {
        for (long seed = 0; seed < 20_000; seed++) {
            ConvSpec s = RandomSpecs.next(seed, 12, 2);
            assertEquals(bruteForceBlind(s.iw(), s.ow(), s.sw(), s.dw(), s.kw(), s.padLeft()),
                    OneDnnEngine.blindWindow(s.iw(), s.ow(), s.sw(), s.dw(), s.kw(), s.padLeft()) != null,
                    "seed " + seed + " " + s);
        }
    }

    @Test
    void declinesTheSpecThatCrashedOneDnn() {
        ConvSpec crash = ConvSpec.builder().input(1, 5, 2, 5).kernel(2, 1, 3).stride(2, 4).dilation(1, 3)
                .padding(Padding.explicit(0, 0, 2, 3)).bias(true).build();
        String reason = new OneDnnEngine().declines(crash).orElseThrow();
        assertEquals("bias with an output column 0 (taps at -2..-2 step 3, input 0..1) that reads only padding:"
                + " oneDNN 3.11 can crash on such specs (SIGSEGV in brgemm_convolution_fwd_t::perform_outwork)",
                reason);
        assertTrue(new OneDnnEngine().declines(crash.toBuilder().bias(false).build()).isEmpty());
        ConvSpec relu = ConvSpec.builder().input(3, 26, 1, 4).kernel(4, 2, 3).stride(2, 4).dilation(3, 2)
                .padding(Padding.explicit(0, 2, 3, 3)).relu(true).build();
        assertEquals("relu with an output column 0 (taps at -3..-1 step 2, input 0..0) that reads only padding:"
                + " oneDNN 3.11 can crash on such specs (SIGSEGV in brgemm_convolution_fwd_t::perform_outwork)",
                new OneDnnEngine().declines(relu).orElseThrow());
        assertNull(OneDnnEngine.blindWindow(56, 56, 1, 1, 3, 1));
    }

    @Test
    void declinesOneOutputWithStride() {
        ConvSpec wrong = ConvSpec.builder().layout(io.github.conv4j.Layout.NCHW).input(2, 2, 2, 1).kernel(5, 5, 2)
                .stride(1, 4).dilation(2, 1).padding(Padding.SAME_LOWER).bias(true).build();
        assertEquals("one output column with stride sw=4: oneDNN 3.11 computes wrong results for such specs",
                new OneDnnEngine().declines(wrong).orElseThrow());
        assertTrue(new OneDnnEngine().declines(wrong.toBuilder().stride(1, 1).padding(Padding.explicit(4, 4, 2, 2))
                .build()).isEmpty());
    }
}
