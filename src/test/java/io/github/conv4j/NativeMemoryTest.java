package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.NativeMemory;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch", "-XX:+UseSerialGC"));
        for (String f : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (f.startsWith("--enable-native-access") || f.startsWith("--add-modules")
                    || f.equals("jdk.incubator.vector")) {
                cmd.add(f);
            }
        }
        long forwards = engine.equals(Conv2d.NAIVE) ? FORWARDS / 20 : FORWARDS;
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LeakMain.class.getName(), engine,
                Long.toString(PLANS), Long.toString(forwards)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "leak check finished");
        assertEquals(0, p.exitValue(), out);
        for (String line : out.lines().filter(l -> l.startsWith("rss ")).toList()) {
            String[] f = line.split(" ");
            long r0 = Long.parseLong(f[2]), r1 = Long.parseLong(f[3]), r2 = Long.parseLong(f[4]);
            System.out.printf("leak check %s %s: %s calls per phase, RSS %.1f -> %.1f -> %.1f MiB%n", engine, f[1],
                    f[5], r0 / 1048576.0, r1 / 1048576.0, r2 / 1048576.0);
            assertTrue(r2 - r1 < SLACK, engine + " " + f[1] + ": resident memory grew by " + ((r2 - r1) >> 10)
                    + " KiB over " + f[5] + " calls (the phase before: " + ((r1 - r0) >> 10) + " KiB)");
        }
        assertEquals(2, out.lines().filter(l -> l.startsWith("rss ")).count(), out);
    }
}
