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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Plans created and closed, and forwards run, many times: native memory stays flat. Each engine runs in its own
 * JVM ({@link LeakMain}) with a small pre-touched heap, so only native memory can grow; after a warm-up that also
 * waits for the JIT to fall quiet, two phases of calls are measured in {@value LeakMain#SEGMENTS} segments.
 *
 * <p>The assertion is on the C heap's bytes in use (glibc's {@code mallinfo2}), which every native allocation
 * behind the engines goes through: the median segment's gain per call, so that a leak, which grows every
 * segment, shows in full, while the JVM's own occasional megabyte (compiler arenas taken or given back, in
 * either direction) does not. Resident memory is held to a looser bound the same way, for what does not come
 * from malloc (mapped memory, thread stacks). CI runs a short version ({@code -Dconv4j.leak.plans},
 * {@code -Dconv4j.leak.forwards}); {@code bench/results/} records long ones.
 */
class NativeMemoryTest {
    static final long PLANS = Long.getLong("conv4j.leak.plans", 10_000);
    static final long FORWARDS = Long.getLong("conv4j.leak.forwards", 20_000);
    /**
     * C heap bytes a call may gain, by the median segment. The smallest block glibc hands out takes 32 bytes
     * (a 32-byte request takes 48), so a leak of one block a plan is at least twice this; segments without a
     * leak measured 0 in the median on every engine.
     */
    static final double MALLOC_LIMIT = 16;
    /** Resident bytes a call may gain, by the median segment: pages, so coarser than the C heap's count. */
    static final double RSS_LIMIT = 64;

    /**
     * A child's deadline, for a warm-up, up to twice {@code LeakMain}'s 5 s wait for a quiet JIT, and two phases of
     * {@code plans} and {@code forwards} calls. At the CI counts the children took 5-10 s on an idle 2-core
     * machine, and twice to three times that while other builds ran; this allows 40 s for the JVM's start and
     * the two waits, and 0.5 ms a call (naive 5 ms: each of its plans runs one of its slow forwards), about four
     * times the slowest, and a long run gets a longer deadline.
     */
    static Duration timeout(String engine, long plans, long forwards) {
        long calls = 3 * (plans + forwards), nanosPerCall = engine.equals(Conv2d.NAIVE) ? 5_000_000 : 500_000;
        return Duration.ofSeconds(40).plusNanos(Math.multiplyExact(calls, nanosPerCall));
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
        // naive holds no native memory and each of its plans runs a slow forward: fewer calls keep CI short (with
        // a fifth of the plans, its C heap still moved 1-4 B a call by the median; with a tenth, 10-14)
        boolean naive = engine.equals(Conv2d.NAIVE);
        long plans = naive ? PLANS / 5 : PLANS, forwards = naive ? FORWARDS / 20 : FORWARDS;
        Duration deadline = timeout(engine, plans, forwards);
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(flags, System.getProperty("java.class.path"),
                LeakMain.class, engine, Long.toString(plans), Long.toString(forwards)), deadline);
        System.out.printf("leak check %s: child JVM took %.1f s (deadline %d s)%n", engine,
                r.elapsed().toMillis() / 1e3, deadline.toSeconds());
        assertEquals(0, r.exitCode(), r.output());
        boolean malloc = NativeMemory.mallocSupported();
        for (String what : List.of("plans", "forwards")) {
            String[] phase = field(r, "phase " + what);
            long perSegment = Long.parseLong(phase[2]);
            long[] rss = values(r, "rss " + what);
            double rssPerCall = median(rss) / perSegment;
            String figures = String.format(Locale.ROOT, "%s %s: %d calls a phase in %d segments after %s warm-up"
                    + " calls, %s s; RSS %.1f -> %.1f -> %.1f MiB, median %+.1f B a call", engine, what,
                    perSegment * LeakMain.SEGMENTS / 2, LeakMain.SEGMENTS, phase[3], phase[4], rss[0] / 1048576.0,
                    (rss[0] + sum(rss, 1, LeakMain.SEGMENTS / 2)) / 1048576.0,
                    (rss[0] + sum(rss, 1, LeakMain.SEGMENTS)) / 1048576.0, rssPerCall);
            if (malloc) {
                long[] heap = values(r, "malloc " + what);
                double perCall = median(heap) / perSegment;
                double net = (double) sum(heap, 1, LeakMain.SEGMENTS) / (perSegment * LeakMain.SEGMENTS);
                figures += String.format(Locale.ROOT, "; C heap %.1f MiB, median %+.1f B a call (net %+.1f)",
                        heap[0] / 1048576.0, perCall, net);
                System.out.println("leak check " + figures);
                assertTrue(perCall < MALLOC_LIMIT, String.format(Locale.ROOT, "C heap grows by %.1f bytes a call,"
                        + " limit %.0f: %s; segments (bytes): %s", perCall, MALLOC_LIMIT, figures, gains(heap)));
            } else {
                System.out.println("leak check " + figures + "; C heap not counted (no glibc mallinfo2)");
            }
            assertTrue(rssPerCall < RSS_LIMIT, String.format(Locale.ROOT, "resident memory grows by %.1f bytes a"
                    + " call, limit %.0f: %s; segments (bytes): %s", rssPerCall, RSS_LIMIT, figures, gains(rss)));
        }
        assumeTrue(malloc, "the C heap's bytes in use are read through glibc's mallinfo2, which this libc lacks;"
                + " only resident memory was checked");
    }

    /** The fields of the child's output line that starts with {@code head}. */
    private static String[] field(ChildJvm.Result r, String head) {
        return r.stdout().lines().filter(l -> l.startsWith(head + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line '" + head + " ...' from the child: " + r.output()))
                .split(" ");
    }

    /** The numbers after {@code head}: the reading before the phases, then each segment's gain. */
    private static long[] values(ChildJvm.Result r, String head) {
        String[] f = field(r, head);
        int skip = head.split(" ").length;
        long[] v = new long[f.length - skip];
        for (int i = 0; i < v.length; i++) {
            v[i] = Long.parseLong(f[skip + i]);
        }
        assertEquals(LeakMain.SEGMENTS + 1, v.length, r.output());
        return v;
    }

    /** The median of the segments' gains ({@code v[1..]}). */
    private static double median(long[] v) {
        long[] g = Arrays.copyOfRange(v, 1, v.length);
        Arrays.sort(g);
        int n = g.length;
        return n % 2 == 1 ? g[n / 2] : (g[n / 2 - 1] + g[n / 2]) / 2.0;
    }

    private static String gains(long[] v) {
        return String.join(" ", Arrays.stream(v, 1, v.length).mapToObj(Long::toString).toList());
    }

    private static long sum(long[] v, int from, int to) {
        long s = 0;
        for (int i = from; i <= to; i++) {
            s += v[i];
        }
        return s;
    }
}
