package io.github.conv4j;


import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.RandomSpecs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Differential fuzzing: seeded random valid specs (sizes 1..40, strides 1..4, dilations 1..3, every padding
 * mode, groups and depthwise, both layouts and dtypes, bias, ReLU) on every available engine against naive;
 * then larger ones ({@link RandomSpecs#large}: batch to 8, sizes to 200, channels to 128) that split among
 * workers and span several tiles.
 *
 * <p>{@code -Dconv4j.fuzz.count=N} sets how many small specs (default 300), {@code -Dconv4j.fuzz.large=N} how
 * many large ones (default 12), {@code -Dconv4j.fuzz.seed=S} the first seed. A failure names the seed and the
 * spec; rerun one with {@code -Dconv4j.fuzz.seed=S -Dconv4j.fuzz.count=1}.
 */
class FuzzTest {
    static final int COUNT = Integer.getInteger("conv4j.fuzz.count", 300);
    static final int LARGE = Integer.getInteger("conv4j.fuzz.large", 12);
    static final long FIRST_SEED = Long.getLong("conv4j.fuzz.seed", 0x5EED_0000L);

    @TestFactory
    List<DynamicTest> everyEngineAgreesWithNaive() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Engines.availableButNaive()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> fuzz(e, RandomSpecs.Profile.SMALL, COUNT)));
            tests.add(DynamicTest.dynamicTest(e.name() + " large", () -> fuzz(e, RandomSpecs.Profile.LARGE, LARGE)));
        }
        if (tests.isEmpty()) {
            tests.add(DynamicTest.dynamicTest("no engine", () -> Assumptions.abort(
                    "no engine besides naive is available here: " + Conv2d.engines().stream()
                            .map(e -> e.name() + ": " + e.probe().reason()).toList())));
        }
        return tests;
    }

    private static void fuzz(ConvEngine engine, RandomSpecs.Profile profile, int count) {
        int ran = 0, declined = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + count; seed++) {
            ConvSpec spec = profile.spec(seed);
            if (engine.declines(spec).isPresent()) {
                declined++;
                continue;
            }
            ran++;
            try {
                AgainstNaive.check(engine.name(), spec, seed, (seed & 1) == 0);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; replay with -Dconv4j.fuzz.seed=" + seed
                        + (profile == RandomSpecs.Profile.LARGE ? " -Dconv4j.fuzz.count=0 -Dconv4j.fuzz.large=1"
                        : " -Dconv4j.fuzz.count=1 -Dconv4j.fuzz.large=0"), e);
            }
        }
        System.out.printf("fuzz %s, %s specs: %d agree with naive, %d declined (seeds %d..%d)%n", engine.name(),
                profile.name().toLowerCase(), ran, declined, FIRST_SEED, FIRST_SEED + count - 1);
    }
}
