package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.RandomSpecs;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential fuzzing: seeded random valid specs (sizes 1..40, strides 1..4, dilations 1..3, every padding
 * mode, groups and depthwise, both layouts and dtypes, bias, ReLU) on every available engine against naive.
 *
 * <p>{@code -Dconv4j.fuzz.count=N} sets how many specs (default 300), {@code -Dconv4j.fuzz.seed=S} the first
 * seed. A failure names the seed and the spec; rerun one with {@code -Dconv4j.fuzz.seed=S -Dconv4j.fuzz.count=1}.
 */
class FuzzTest {
    static final int COUNT = Integer.getInteger("conv4j.fuzz.count", 300);
    static final long FIRST_SEED = Long.getLong("conv4j.fuzz.seed", 0x5EED_0000L);

    @TestFactory
    List<DynamicTest> everyEngineAgreesWithNaive() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Engines.availableButNaive()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> fuzz(e)));
        }
        if (tests.isEmpty()) {
            tests.add(DynamicTest.dynamicTest("no engine", () -> Assumptions.abort(
                    "no engine besides naive is available here: " + Conv2d.engines().stream()
                            .map(e -> e.name() + ": " + e.probe().reason()).toList())));
        }
        return tests;
    }

    private static void fuzz(ConvEngine engine) {
        int ran = 0, declined = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + COUNT; seed++) {
            ConvSpec spec = RandomSpecs.next(seed, 40, 6);
            if (engine.declines(spec).isPresent()) {
                declined++;
                continue;
            }
            ran++;
            SplittableRandom rnd = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
            boolean integers = rnd.nextBoolean();
            try (Arena arena = Arena.ofConfined()) {
                DType t = spec.dtype();
                Tensor x = integers ? Tensors.smallIntegers(arena, t, rnd, spec.inputShape())
                        : Tensors.uniform(arena, t, rnd, spec.inputShape());
                Tensor w = integers ? Tensors.smallIntegers(arena, t, rnd, spec.weightShape())
                        : Tensors.uniform(arena, t, rnd, spec.weightShape());
                Tensor b = !spec.hasBias() ? null : integers ? Tensors.smallIntegers(arena, t, rnd, spec.oc())
                        : Tensors.uniform(arena, t, rnd, spec.oc());
                Tensor want = Tensor.allocate(arena, t, spec.outputShape());
                Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
                Tensor got = Tensor.allocate(arena, t, spec.outputShape());
                Tensors.poison(got);
                try {
                    Conv2d.forward(engine.name(), spec, x, w, b, got);
                } catch (RuntimeException ex) {
                    throw new AssertionError(engine.name() + " threw on seed " + seed + " " + spec + ": " + ex, ex);
                }
                double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
                double eps = t == DType.FLOAT32 ? 0x1p-23 : 0x1p-52;
                double tol = integers ? 0 : 8 * eps * (k + 1);
                for (long i = 0; i < want.elementCount(); i++) {
                    double ref = want.getDouble(i), v = got.getDouble(i);
                    if (!(Math.abs(v - ref) <= tol)) {
                        fail(engine.name() + " differs from naive, seed " + seed + " (" + (integers ? "integers"
                                : "floats") + ") " + spec + " at flat index " + i + ": got " + v + ", naive " + ref
                                + " (tolerance " + tol + "); replay with -Dconv4j.fuzz.seed=" + seed
                                + " -Dconv4j.fuzz.count=1");
                    }
                }
            }
        }
        System.out.printf("fuzz %s: %d specs agree with naive, %d declined (seeds %d..%d)%n", engine.name(), ran,
                declined, FIRST_SEED, FIRST_SEED + COUNT - 1);
    }
}
