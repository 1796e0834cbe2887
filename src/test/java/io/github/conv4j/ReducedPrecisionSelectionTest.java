package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.RandomSpecs;
import java.lang.foreign.Arena;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Which engines take bfloat16 tensors and the BF16 level, and what {@code auto} picks for them: the engines
 * without a bfloat16 path decline it naming the type, every engine accepts the BF16 level (computing at least as
 * exactly), and auto goes to onednn when it accepts, else to java-vector or naive, matching naive within the
 * bound.
 */
class ReducedPrecisionSelectionTest {
    /** A spec every engine accepts in float32: 3x3, stride 1, undilated, not depthwise. */
    private static final ConvSpec PLAIN = ConvSpec.builder().input(1, 8, 8, 16).kernel(3, 3, 16)
            .padding(Padding.SAME).bias(true).build();

    @Test
    void enginesWithoutABfloat16PathDeclineItNamingTheType() {
        ConvSpec bf16 = PLAIN.toBuilder().dtype(DType.BFLOAT16).build();
        int declined = 0;
        for (ConvEngine e : Conv2d.engines()) {
            Optional<String> why = e.declines(bf16);
            if (e.name().equals(Conv2d.NAIVE) || e.name().equals("java-vector")) {
                assertEquals(Optional.empty(), why, e.name());
                continue;
            }
            if (e.name().equals("onednn")) {
                // onednn declines only on a CPU where oneDNN has no bf16 convolution, below AVX-512
                // (Bf16WithoutInstructionsTest); where it has AVX-512 a decline means the bf16 path is broken
                if (e.probe().available() && cpuFlags().contains("avx512f")) {
                    assertEquals(Optional.empty(), why, e.name());
                }
                continue;
            }
            assertEquals(Optional.empty(), e.declines(PLAIN), e.name() + " accepts the float32 spec");
            assertTrue(why.isPresent() && why.get().startsWith("bfloat16: "), e.name() + ": " + why);
            declined++;
        }
        assertTrue(declined >= 3, "im2col-jni, im2col-ffm and winograd decline: " + declined);
    }

    /** The CPU's flags from /proc/cpuinfo, empty where it cannot be read. */
    static java.util.Set<String> cpuFlags() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                    .map(f -> java.util.Set.copyOf(java.util.Arrays.asList(f)))
                    .orElse(java.util.Set.of());
        } catch (java.io.IOException e) {
            return java.util.Set.of();
        }
    }

    @Test
    void everyEngineAcceptsTheBf16LevelAndWinogradTakesItsFastTiles() {
        ConvSpec level = PLAIN.toBuilder().accuracy(Accuracy.BF16).build();
        for (ConvEngine e : Conv2d.engines()) {
            assertEquals(Optional.empty(), e.declines(level), e.name());
        }
        Engines.require("winograd");
        SplittableRandom rnd = new SplittableRandom(1);
        try (Arena arena = Arena.ofConfined()) {
            AgainstNaive.Problem p = AgainstNaive.Problem.draw(arena, level, rnd, false);
            try (ConvPlan plan = Conv2d.plan("winograd", level, p.w(), p.b())) {
                assertTrue(plan.implementation().startsWith("F(4x4,3x3)"), plan.implementation());
            }
        }
    }

    @Test
    void autoTakesOnednnForBfloat16WhenItAcceptsElseJavaVectorOrNaive() {
        int onednn = 0;
        for (long seed = 7000; seed < 7060; seed++) {
            ConvSpec spec = RandomSpecs.next(seed, 10).toBuilder().dtype(DType.BFLOAT16).build();
            String expected = Conv2d.whyNot("onednn", spec).isEmpty() ? "onednn"
                    : Conv2d.whyNot("java-vector", spec).isEmpty() ? "java-vector" : Conv2d.NAIVE;
            SplittableRandom rnd = new SplittableRandom(seed);
            try (Arena arena = Arena.ofConfined()) {
                AgainstNaive.Problem p = AgainstNaive.Problem.draw(arena, spec, rnd, false);
                Tensor got = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                try (ConvPlan plan = Conv2d.plan(Conv2d.AUTO, spec, p.w(), p.b())) {
                    assertEquals(expected, plan.engine(), "seed " + seed + " " + spec);
                    plan.forward(p.x(), got);
                }
                AgainstNaive.assertAgrees("auto differs from naive, seed " + seed, spec, p.want(), got, false);
                onednn += expected.equals("onednn") ? 1 : 0;
            }
        }
        if (Engines.bundledPlatform()) {
            assertTrue(onednn > 30, "auto chose onednn for " + onednn + " of 60 bfloat16 specs");
        }
    }
}
