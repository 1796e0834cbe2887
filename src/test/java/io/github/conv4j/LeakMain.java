package io.github.conv4j;

import io.github.conv4j.testing.NativeMemory;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * Cycles one engine's plans and forwards and prints resident memory after a warm-up and after each of two
 * equal phases. Run in its own JVM with a small pre-touched heap, so the Java heap's size cannot move the
 * figure and what grows is native memory.
 *
 * <pre>java -Xms64m -Xmx64m -XX:+AlwaysPreTouch @native-config/jvm.args -cp ... io.github.conv4j.LeakMain ENGINE PLANS FORWARDS</pre>
 *
 * Prints {@code rss plans R0 R1 R2} and {@code rss forwards R0 R1 R2} in bytes.
 */
public final class LeakMain {
    private LeakMain() {
    }

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

    private static void report(String what, long n, Runnable call) {
        for (long i = 0; i < n; i++) {
            call.run();   // warm-up: JIT, pools, lazily loaded natives
        }
        long r0 = NativeMemory.rssBytes();
        long t0 = System.nanoTime();
        for (long i = 0; i < n; i++) {
            call.run();
        }
        long r1 = NativeMemory.rssBytes();
        for (long i = 0; i < n; i++) {
            call.run();
        }
        long r2 = NativeMemory.rssBytes();
        System.out.printf("rss %s %d %d %d %d %.1f%n", what, r0, r1, r2, n, (System.nanoTime() - t0) / 1e9);
    }
}
