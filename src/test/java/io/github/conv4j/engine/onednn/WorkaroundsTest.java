package io.github.conv4j.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.RandomSpecs;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * oneDNN 3.11's two known failures: the conditions that select a workaround agree with a brute-force reading of
 * them, and the specs that once crashed the JVM or came back wrong are now accepted and computed right.
 */
class WorkaroundsTest {
    /** The SIGSEGV's example, found by fuzzing: bias, every output column blind, taps right of the input. */
    static final ConvSpec CRASHED_WITH_BIAS = ConvSpec.builder().input(1, 5, 2, 5).kernel(2, 1, 3).stride(2, 4)
            .dilation(1, 3).padding(Padding.explicit(0, 0, 2, 3)).bias(true).build();
    static final ConvSpec CRASHED_WITH_RELU = ConvSpec.builder().input(3, 26, 1, 4).kernel(4, 2, 3).stride(2, 4)
            .dilation(3, 2).padding(Padding.explicit(0, 2, 3, 3)).relu(true).build();
    /** The wrong result's example: one output column reached with sw=4, one input channel, kw=5, oh=2. */
    static final ConvSpec WRONG = ConvSpec.builder().layout(Layout.NCHW).input(2, 2, 2, 1).kernel(5, 5, 2)
            .stride(1, 4).dilation(2, 1).padding(Padding.SAME_LOWER).bias(true).build();

    @BeforeEach
    void needsOneDnn() {
        Engines.require(OneDnnEngine.NAME);
    }

    /** Every output column: all taps outside the input, one of them right of it. */
    private static boolean bruteForce(ConvSpec s) {
        for (int o = 0; o < s.ow(); o++) {
            boolean blind = true, right = false;
            for (int t = 0; t < s.kw(); t++) {
                long p = (long) o * s.sw() - s.padLeft() + (long) t * s.dw();
                blind &= p < 0 || p >= s.iw();
                right |= p >= s.iw();
            }
            if (blind && right) {
                return true;
            }
        }
        return false;
    }

    @Test
    void blindColumnConditionAgreesWithBruteForce() {
        int found = 0;
        for (long seed = 0; seed < 20_000; seed++) {
            ConvSpec s = seed % 2 == 0 ? RandomSpecs.next(seed, 12, 2) : RandomSpecs.edges(seed);
            boolean want = bruteForce(s);
            found += want ? 1 : 0;
            assertEquals(want, Workarounds.blindColumnPastInput(s), "seed " + seed + " " + s);
        }
        assertTrue(found > 100, "the random specs include blind columns: " + found);
        // blind through the left padding only: never crashed, so no workaround
        ConvSpec leftOnly = ConvSpec.builder().input(1, 5, 5, 2).kernel(3, 3, 3)
                .padding(Padding.explicit(0, 0, 3, 0)).bias(true).build();
        assertFalse(Workarounds.blindColumnPastInput(leftOnly));
        assertTrue(Workarounds.of(leftOnly).fusedEpilogue());
    }

    @Test
    void crashingSpecsRunWithBiasAndReluInJava() {
        for (ConvSpec spec : new ConvSpec[] {CRASHED_WITH_BIAS, CRASHED_WITH_RELU}) {
            assertTrue(new OneDnnEngine().declines(spec).isEmpty(), spec::toString);
            Workarounds w = Workarounds.of(spec);
            assertFalse(w.fusedEpilogue(), spec::toString);
            assertEquals(new Workarounds(true, spec.sw(), spec.padRight(), true),
                    Workarounds.of(spec.toBuilder().bias(false).relu(false).build()));
            AgainstNaive.check(OneDnnEngine.NAME, spec, 1, false);
            AgainstNaive.check(OneDnnEngine.NAME, spec, 2, true);
            assertTrue(implementation(spec).contains("oneDNN 3.11 workaround: bias/relu applied in java"),
                    implementation(spec));
        }
    }

    @Test
    void oneStridedColumnRunsWithStrideOneOrPlainWeights() {
        assertTrue(Workarounds.wrongWithOneColumn(WRONG));
        Workarounds w = Workarounds.of(WRONG);
        // iw=2, SAME_LOWER pads left 2: pad right 1 + 4*1 - 2 - 2 = 1 keeps one output column at stride 1
        assertEquals(new Workarounds(true, 1, 1, true), w);
        AgainstNaive.check(OneDnnEngine.NAME, WRONG, 3, false);
        AgainstNaive.check(OneDnnEngine.NAME, WRONG, 4, true);
        // a window that ends inside the input cannot keep one column at stride 1: plain weights instead
        ConvSpec inside = ConvSpec.builder().input(1, 6, 9, 1).kernel(3, 3, 4).stride(1, 7).build();
        assertEquals(1, inside.ow());
        assertEquals(new Workarounds(true, 7, 0, false), Workarounds.of(inside));
        AgainstNaive.check(OneDnnEngine.NAME, inside, 5, false);
        assertTrue(implementation(inside).endsWith("(oneDNN 3.11 workaround: plain weights)"),
                implementation(inside));
        // one row (oh == 1) is not the bug's geometry
        assertFalse(Workarounds.wrongWithOneColumn(ConvSpec.builder().input(1, 3, 9, 1).kernel(3, 3, 4)
                .stride(1, 7).build()));
    }

    private static String implementation(ConvSpec spec) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, spec.dtype(), spec.weightShape());
            Tensor b = spec.hasBias() ? Tensor.allocate(arena, spec.dtype(), spec.oc()) : null;
            try (ConvPlan plan = Conv2d.plan(OneDnnEngine.NAME, spec, w, b)) {
                return plan.implementation();
            }
        }
    }

    /**
     * In bfloat16, the crash geometry is declined with or without bias and ReLU: oneDNN post-processes every
     * bfloat16 output, which is where it crashes, and moving bias and ReLU out would round the output twice; auto
     * computes those specs on another engine. The one-column workaround keeps the epilogue fused and runs.
     */
    @Test
    void bfloat16DeclinesTheCrashGeometry() {
        OneDnnEngine onednn = new OneDnnEngine();
        for (ConvSpec crashed : List.of(CRASHED_WITH_BIAS, CRASHED_WITH_RELU,
                CRASHED_WITH_BIAS.toBuilder().bias(false).build(), CRASHED_WITH_RELU.toBuilder().relu(false).build())) {
            ConvSpec bf16 = crashed.toBuilder().dtype(DType.BFLOAT16).build();
            assertEquals(Optional.of(OneDnnEngine.BFLOAT16_UNFUSED_REASON), onednn.declines(bf16), bf16::toString);
            assertEquals(Optional.empty(), onednn.declines(crashed));
            AgainstNaive.check(Conv2d.NAIVE, bf16, 1, false);
            assertNotEquals(OneDnnEngine.NAME, Conv2d.select(bf16).name());
        }
        ConvSpec wrong = WRONG.toBuilder().dtype(DType.BFLOAT16).build();
        assertEquals(Optional.empty(), onednn.declines(wrong));
        AgainstNaive.check(OneDnnEngine.NAME, wrong, 2, false);
        AgainstNaive.check(OneDnnEngine.NAME, wrong, 3, true);
    }

    /** Quantized, the crash geometry is declined with or without bias and ReLU, for the same reason as bfloat16. */
    @Test
    void quantizedDeclinesTheCrashGeometry() {
        OneDnnEngine onednn = new OneDnnEngine();
        for (ConvSpec crashed : List.of(CRASHED_WITH_BIAS, CRASHED_WITH_RELU,
                CRASHED_WITH_BIAS.toBuilder().bias(false).build(), CRASHED_WITH_RELU.toBuilder().relu(false).build())) {
            ConvSpec q = crashed.toBuilder().dtype(DType.UINT8).quantization(io.github.conv4j.Quantization.perTensor(
                    0.02f, 128, 0.01f, DType.INT8, 0.1f, 0)).build();
            Optional<String> why = onednn.declines(q);
            assertTrue(why.isPresent() && why.get().startsWith("uint8 where an output column sees only padding right"
                    + " of the input") && why.get().contains("issue 5942"), q + ": " + why);
        }
        ConvSpec fine = ConvSpec.builder().dtype(DType.UINT8).input(1, 6, 6, 4).kernel(3, 3, 4).padding(Padding.SAME)
                .quantization(io.github.conv4j.Quantization.perTensor(0.02f, 128, 0.01f, DType.INT8, 0.1f, 0)).build();
        assertEquals(Optional.empty(), onednn.declines(fine));
    }
}
