package io.github.conv4j.engine.onednn;

import io.github.conv4j.ConvSpec;

/**
 * How a spec is handed to oneDNN 3.11 so that two of its bugs (both in the {@code brg_conv_fwd} kernels) cannot
 * reach it. The conditions are exact, not guesses: each was found by fuzzing and confirmed on raw oneDNN with the
 * reproducers in {@code bench/onednn-repro/}; {@code bench/results/reliability-*.md} records the searches.
 *
 * <ul>
 *   <li><b>SIGSEGV</b> in {@code brgemm_convolution_fwd_t::perform_outwork} (oneDNN issue 5942, fixed by PR 5944
 *       in 3.12 and 3.13, not in 3.11): bias or ReLU, and an output column whose taps all miss the input and are
 *       not all in the left padding. Whether it crashes depends on how oneDNN's threads split the width, so the
 *       condition ignores threads. Workaround: build the primitive without bias and ReLU and apply them in Java
 *       after it ran.
 *   <li><b>Wrong results</b> (no upstream report; the code is unchanged at oneDNN's head): one output column with
 *       {@code sw > 1}, one input channel per group, {@code kw > 1}, {@code dw == 1}, {@code sh == 1} and
 *       {@code oh > 1}. Workaround: with one output column the stride is never applied, so pass {@code sw = 1}
 *       with the right pad shrunk to keep one column; when that pad would be negative, use plain weights instead
 *       of the blocked layout oneDNN picks, which takes another kernel.
 * </ul>
 *
 * @param fusedEpilogue whether bias and ReLU go into the primitive (false: applied in Java afterwards)
 * @param sw the horizontal stride to give oneDNN
 * @param padRight the right pad to give oneDNN
 * @param blockedWeights whether oneDNN may choose its weight layout ({@code format_tag::any})
 */
record Workarounds(boolean fusedEpilogue, int sw, int padRight, boolean blockedWeights) {

    /** What {@code spec} needs; for most specs, nothing ({@code spec}'s own geometry, fused, blocked). */
    static Workarounds of(ConvSpec spec) {
        boolean fused = !((spec.hasBias() || spec.relu()) && blindColumnPastInput(spec));
        if (!wrongWithOneColumn(spec)) {
            return new Workarounds(fused, spec.sw(), spec.padRight(), true);
        }
        // ow = (iw + padLeft + padRight - (kw - 1) * dw - 1) / 1 + 1 stays 1 with this right pad
        long padRight = 1L + (long) (spec.kw() - 1) * spec.dw() - spec.iw() - spec.padLeft();
        return padRight >= 0
                ? new Workarounds(fused, 1, (int) padRight, true)
                : new Workarounds(fused, spec.sw(), spec.padRight(), false);
    }

    /** Whether any workaround applies. */
    boolean any(ConvSpec spec) {
        return !fusedEpilogue || !blockedWeights || sw != spec.sw();
    }

    /**
     * Whether some output column has every tap outside the input and at least one of them right of it: the
     * geometry behind the SIGSEGV. Columns blind only through the left padding never crashed.
     */
    static boolean blindColumnPastInput(ConvSpec spec) {
        int iw = spec.iw();
        for (long ow = 0; ow < spec.ow(); ow++) {
            long first = ow * spec.sw() - spec.padLeft();
            boolean blind = true, pastInput = false;
            for (long t = 0; t < spec.kw() && blind; t++) {
                long p = first + t * spec.dw();
                blind = p < 0 || p >= iw;
                pastInput |= p >= iw;
            }
            if (blind && pastInput) {
                return true;
            }
        }
        return false;
    }

    /** The geometry behind the wrong results: one output column reached with a stride, one channel per group. */
    static boolean wrongWithOneColumn(ConvSpec spec) {
        return spec.ow() == 1 && spec.sw() > 1 && spec.icPerGroup() == 1 && spec.kw() > 1 && spec.dw() == 1
                && spec.sh() == 1 && spec.oh() > 1;
    }
}
