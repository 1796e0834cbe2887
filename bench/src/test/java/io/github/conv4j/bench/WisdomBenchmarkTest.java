package io.github.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Settings;
import org.junit.jupiter.api.Test;

/** The wisdom benchmark's states plan what they claim: its measured and estimated plans come from the wisdom. */
class WisdomBenchmarkTest {
    @Test
    void everyBenchmarkPlansTheEngineTheWisdomNames() {
        int threads = Settings.threads();
        double budget = Settings.planBudgetSeconds();
        Settings.setPlanBudgetSeconds(0.01);
        WisdomBenchmark b = new WisdomBenchmark();
        b.shape = "S1";
        try {
            b.setUp();
            String named = b.planNamedEngine();
            assertEquals(named, b.planMeasureFromWisdom());
            assertEquals(named, b.planEstimateFromWisdom());
            assertTrue(b.lookup().isPresent());
        } finally {
            b.tearDown();
            Settings.setThreads(threads);
            Settings.setPlanBudgetSeconds(budget);
        }
    }
}
