package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.ChildJvm;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.NativeMemory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Plans created and closed, and forwards run, many times: resident memory stays flat. Each engine runs in its
 * own JVM ({@link LeakMain}) with a small pre-touched heap, so only native memory can grow. Two equal phases
 * follow a warm-up; a leak grows both, so the second phase's growth is bounded. CI runs a short version
 * ({@code -Dconv4j.leak.plans}, {@code -Dconv4j.leak.forwards}); {@code bench/results/} records the long one.
 */
class NativeMemoryTest {
    static final long PLANS = Long.getLong("conv4j.leak.plans", 10_000);
    static final long FORWARDS = Long.getLong("conv4j.leak.forwards", 20_000);
    /** A leak of one weight copy (4.6 KB) per plan would grow 45 MiB over 10,000 plans: stay well below. */
    static final long SLACK = 4L << 20;

    /**
     * A child's deadline, for a warm-up and two phases of {@code plans} and {@code forwards} calls. At the CI
     * counts, on a 2-core machine running other builds, the native engines' children took 6-15 s (0.1-0.17 ms a
     * call) and naive's 35-46 s (1-1.4 ms a call: each plan runs one of its slow forwards); this allows about
     * four times that per call and 30 s for the JVM to start, and a long run gets a longer deadline.
     */
    static Duration timeout(String engine, long plans, long forwards) {
        long calls = 3 * (plans + forwards), nanosPerCall = engine.equals(Conv2d.NAIVE) ? 5_000_000 : 500_000;
        return Duration.ofSeconds(30).plusNanos(Math.multiplyExact(calls, nanosPerCall));
    }

    @TestFactory
    List<DynamicTest> memoryStaysFlat() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Engines.available()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> flat(e.name())));
        }
        return tests;
    }

    private static void flat(String engine) throws Exception {
        assumeTrue(NativeMemory.supported(), "resident memory is read from /proc, which this OS lacks");
        List<String> flags = new ArrayList<>(List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"));
        flags.addAll(ChildJvm.nativeFlags());
        long forwards = engine.equals(Conv2d.NAIVE) ? FORWARDS / 20 : FORWARDS;
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(flags, System.getProperty("java.class.path"),
                LeakMain.class, engine, Long.toString(PLANS), Long.toString(forwards)),
                timeout(engine, PLANS, forwards));
        System.out.printf("leak check %s: child JVM took %.1f s (deadline %d s)%n", engine,
                r.elapsed().toMillis() / 1e3, timeout(engine, PLANS, forwards).toSeconds());
        String out = r.stdout();
        assertEquals(0, r.exitCode(), r.output());
        for (String line : out.lines().filter(l -> l.startsWith("rss ")).toList()) {
            String[] f = line.split(" ");
            long r0 = Long.parseLong(f[2]), r1 = Long.parseLong(f[3]), r2 = Long.parseLong(f[4]);
            System.out.printf("leak check %s %s: %s calls per phase, RSS %.1f -> %.1f -> %.1f MiB%n", engine, f[1],
                    f[5], r0 / 1048576.0, r1 / 1048576.0, r2 / 1048576.0);
            assertTrue(r2 - r1 < SLACK, engine + " " + f[1] + ": resident memory grew by " + ((r2 - r1) >> 10)
                    + " KiB over " + f[5] + " calls (the phase before: " + ((r1 - r0) >> 10) + " KiB)");
        }
        assertEquals(2, out.lines().filter(l -> l.startsWith("rss ")).count(), r.output());
    }
}
