package io.github.conv4j.engine.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.ChildFuzz;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.RandomSpecs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * oneDNN against naive at 1, 2, 8 and 16 threads, each spec split over all of them, in child JVMs: whether
 * oneDNN 3.11's SIGSEGV fires depends on how its threads split the output width, so a crash here is a finding
 * with its seed, not a dead test run. The edge profile aims at the geometry of its two known bugs.
 *
 * <p>{@code -Dconv4j.fuzz.threaded.count=N} sets the specs per profile and thread count (default 300).
 */
class ThreadedFuzzTest {
    private static final long COUNT = Long.getLong("conv4j.fuzz.threaded.count", 300);
    private static final long FIRST_SEED = Long.getLong("conv4j.fuzz.seed", 0x0DD_0000L);

    @TestFactory
    List<DynamicTest> oneDnnAgreesWithNaiveAtEveryThreadCount() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int threads : new int[] {1, 2, 8, 16}) {
            for (RandomSpecs.Profile profile : List.of(RandomSpecs.Profile.EDGES, RandomSpecs.Profile.SMALL)) {
                tests.add(DynamicTest.dynamicTest(threads + " threads, " + profile, () -> {
                    Engines.require(OneDnnEngine.NAME);
                    ChildFuzz.Result r = ChildFuzz.run(OneDnnEngine.NAME, threads, profile, FIRST_SEED, COUNT, 600);
                    System.out.println(r.summary());
                    assertTrue(r.crashes().isEmpty() && r.failures().isEmpty(), () -> r.summary() + "\ncrashes: "
                            + r.crashes() + "\nwrong: " + r.failures());
                }));
            }
        }
        return tests;
    }
}
