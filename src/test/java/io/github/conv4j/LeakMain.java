package io.github.conv4j;

import io.github.conv4j.testing.NativeMemory;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * Cycles one engine's plans and forwards and measures native memory: after a warm-up, two equal phases of calls
 * in {@value #SEGMENTS} segments, each ended by a GC and a reading of the C heap's bytes in use (glibc's
 * {@code mallinfo2}) and of resident memory. Run in its own JVM with a small pre-touched heap, so the Java heap's
 * size cannot move the figures and what grows is native memory.
 *
 * <pre>java -Xms64m -Xmx64m -XX:+AlwaysPreTouch @native-config/jvm.args -cp ... io.github.conv4j.LeakMain ENGINE PLANS FORWARDS</pre>
 *
 * Prints, for {@code plans} and then {@code forwards}: {@code phase WHAT CALLS WARM_UP SECONDS}, the calls per
 * segment, the warm-up's calls and the two phases' time; {@code rss WHAT R0 D1 .. D20}, resident bytes before
 * the phases and gained over each segment; and {@code malloc WHAT M0 D1 .. D20} likewise for the C heap where
 * {@link NativeMemory#mallocSupported()}.
 */
public final class LeakMain {
    private LeakMain() {
    }

    /** Segments of the two measured phases. */
    static final int SEGMENTS = 20;
    /** How long the JIT must have compiled nothing before the measured phases start. */
    private static final long QUIET_NANOS = 500_000_000L;
    /** The most the warm-up waits for the JIT to fall quiet. */
    private static final long QUIET_WAIT_NANOS = 5_000_000_000L;

    static final ConvSpec SPEC = ConvSpec.builder().input(1, 16, 16, 8).kernel(3, 3, 16)
            .padding(Padding.SAME).bias(true).relu(true).build();

    public static void main(String[] args) {
        String engine = args[0];
        long plans = Long.parseLong(args[1]), forwards = Long.parseLong(args[2]);
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(1);
            Tensor w = Tensors.uniform(arena, SPEC.dtype(), rnd, SPEC.weightShape());
            Tensor b = Tensors.uniform(arena, SPEC.dtype(), rnd, SPEC.oc());
            Tensor x = Tensors.uniform(arena, SPEC.dtype(), rnd, SPEC.inputShape());
            Tensor y = Tensor.allocate(arena, SPEC.dtype(), SPEC.outputShape());
            float[] heapY = new float[(int) SPEC.outputElements()];
            Tensor heap = Tensor.of(heapY, SPEC.outputShape());
            report("plans", plans, () -> {
                try (ConvPlan p = Conv2d.plan(engine, SPEC, w, b)) {
                    p.forward(x, y);
                }
            });
            try (ConvPlan p = Conv2d.plan(engine, SPEC, w, b)) {
                long[] i = {0};
                // alternate native and heap outputs: both paths must stay flat
                report("forwards", forwards, () -> p.forward(x, (i[0]++ & 1) == 0 ? y : heap));
            }
        }
    }

    /** A warm-up of {@code n} calls or more, then two phases of {@code n}, measured in segments. */
    private static void report(String what, long n, Runnable call) {
        long perSegment = Math.max(1, 2 * n / SEGMENTS);
        long warm = warmUp(n, perSegment, call);
        boolean malloc = NativeMemory.mallocSupported();
        long[] rss = new long[SEGMENTS + 1], heap = new long[SEGMENTS + 1];
        long t0 = System.nanoTime();
        System.gc();
        rss[0] = NativeMemory.rssBytes();
        long before = malloc ? NativeMemory.mallocBytes() : 0;
        heap[0] = before;
        for (int s = 1; s <= SEGMENTS; s++) {
            run(perSegment, call);
            System.gc();
            long now = malloc ? NativeMemory.mallocBytes() : 0;
            heap[s] = now - before;
            rss[s] = NativeMemory.rssBytes() - rss[0];
            // reading /proc allocates too: the next segment's C heap counts from after it
            before = malloc ? NativeMemory.mallocBytes() : 0;
        }
        for (int s = SEGMENTS; s > 1; s--) {
            rss[s] -= rss[s - 1];
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("phase %s %d %d %.1f%n", what, perSegment, warm, seconds);
        System.out.println(line("rss " + what, rss));
        if (malloc) {
            System.out.println(line("malloc " + what, heap));
        }
    }

    private static String line(String head, long[] values) {
        StringBuilder line = new StringBuilder(head);
        for (long v : values) {
            line.append(' ').append(v);
        }
        return line.toString();
    }

    /**
     * Runs {@code n} calls (JIT, pools, lazily loaded natives), then goes on in windows of at least
     * {@link #QUIET_NANOS} until the JIT compiled nothing during one, for at most {@link #QUIET_WAIT_NANOS}:
     * compiler threads take and give back megabytes of C heap, which would swamp the first measured segments.
     * Returns the calls made.
     */
    private static long warmUp(long n, long perSegment, Runnable call) {
        run(n, call);
        long calls = n;
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return calls;
        }
        long deadline = System.nanoTime() + QUIET_WAIT_NANOS;
        while (System.nanoTime() < deadline) {
            long compiling = jit.getTotalCompilationTime(), end = System.nanoTime() + QUIET_NANOS;
            while (System.nanoTime() < end) {
                run(perSegment, call);
                calls += perSegment;
            }
            if (jit.getTotalCompilationTime() == compiling) {
                break;
            }
        }
        return calls;
    }

    private static void run(long n, Runnable call) {
        for (long i = 0; i < n; i++) {
            call.run();
        }
    }
}
