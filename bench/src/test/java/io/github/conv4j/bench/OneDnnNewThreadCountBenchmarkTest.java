package io.github.conv4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.Availability;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The benchmark's setup checks a kernel called at a thread count it was not planned for against naive, and each
 * invocation runs on a kernel of its own; run outside JMH, as JMH would call it.
 */
class OneDnnNewThreadCountBenchmarkTest {
    @BeforeEach
    void onednn() {
        Availability a = Conv2d.engine("onednn").probe();
        assumeTrue(a.available(), () -> "onednn is unavailable here: " + a.reason());
    }

    @ParameterizedTest
    @CsvSource({"S2, 2, 1, first", "S2, 2, 1, second", "S2, 2, 1, planned-first", "D1, 1, 2, first"})
    void newCountIsCheckedAndEachInvocationHasItsKernel(String shape, int planned, int threads, String call) {
        OneDnnNewThreadCountBenchmark b = benchmark(shape, planned, threads, call);
        b.setUp();
        try {
            for (int i = 0; i < 2; i++) {
                b.plan();
                try {
                    b.forward();
                } finally {
                    b.close();
                }
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void sameThreadCountsAreRefused() {
        OneDnnNewThreadCountBenchmark b = benchmark("S1", 2, 2, "first");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::setUp);
        assertEquals("planned and threads must differ: both are 2", e.getMessage());
    }

    private static OneDnnNewThreadCountBenchmark benchmark(String shape, int planned, int threads, String call) {
        OneDnnNewThreadCountBenchmark b = new OneDnnNewThreadCountBenchmark();
        b.shape = shape;
        b.planned = planned;
        b.threads = threads;
        b.call = call;
        return b;
    }
}
