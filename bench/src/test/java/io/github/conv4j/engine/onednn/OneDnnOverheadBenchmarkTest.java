package io.github.conv4j.engine.onednn;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.Settings;
import io.github.conv4j.spi.Availability;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The raw oneDNN program computes what conv4j's kernel computes, bit for bit, and the plan what naive computes:
 * the benchmark's setup checks both, so that {@code plan - raw} compares the same work. Run outside JMH.
 */
class OneDnnOverheadBenchmarkTest {
    private final int savedThreads = Settings.threads();

    @AfterEach
    void restoreThreads() {
        Settings.setThreads(savedThreads);
    }

    /** S1 and S2: strided, unpadded; D1: grouped weights ({@code hwigo}) and padding; at one and two threads. */
    @ParameterizedTest
    @CsvSource({"S1, 1", "S2, 2", "D1, 1"})
    void rawProgramAndConv4jComputeTheSame(String shape, int threads) {
        Availability a = new OneDnnEngine().probe();
        assumeTrue(a.available(), () -> "onednn is unavailable here: " + a.reason());
        OneDnnOverheadBenchmark b = new OneDnnOverheadBenchmark();
        b.shape = shape;
        b.threads = threads;
        b.setUp();
        try {
            b.raw();
            b.kernel();
            b.plan();
        } finally {
            b.tearDown();
        }
    }
}
