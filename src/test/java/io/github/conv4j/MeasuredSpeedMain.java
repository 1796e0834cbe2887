package io.github.conv4j;

import io.github.conv4j.spi.ConvKernel;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * Run by {@link MeasuredSpeedTest} in a fresh JVM: times java-vector on the notebook's small case once it is
 * compiled, then plans the same spec by measurement and prints both per-call times, as
 * {@code steady <us> measured <us>}; exits 3 if measured planning did not time java-vector.
 */
public final class MeasuredSpeedMain {
    static final ConvSpec SPEC = ConvSpec.builder().input(2, 12, 10, 3).kernel(3, 3, 16).stride(2)
            .padding(Padding.VALID).build();

    private MeasuredSpeedMain() {
    }

    public static void main(String[] args) {
        Settings.setThreads(1);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, SPEC.dtype(), new SplittableRandom(1), SPEC.weightShape());
            Tensor x = Tensors.uniform(arena, SPEC.dtype(), new SplittableRandom(2), SPEC.inputShape());
            Tensor y = Tensor.allocate(arena, SPEC.dtype(), SPEC.outputShape());
            double steady = Double.POSITIVE_INFINITY;
            // as compare does before its auto row: the engine alone, long enough for the JIT to finish; its kernel
            // called directly, as planning times it (without the facade's checks)
            try (ConvKernel k = Conv2d.engine("java-vector").plan(SPEC, w.data(), null, 1)) {
                for (int i = 0; i < 200_000; i++) {
                    k.forward(x.data(), y.data(), SPEC.mb(), 1);
                }
                for (int burst = 0; burst < 200; burst++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 100; i++) {
                        k.forward(x.data(), y.data(), SPEC.mb(), 1);
                    }
                    steady = Math.min(steady, (System.nanoTime() - t0) / 100e3);
                }
            }
            try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, SPEC, w, null, PlanMode.MEASURE)) {
                ConvPlan.Timing t = p.measurements().stream().filter(m -> m.engine().equals("java-vector"))
                        .findFirst().orElse(null);
                if (t == null) {
                    System.out.println("java-vector was not timed: " + p.measurements());
                    System.exit(3);
                }
                System.out.printf(java.util.Locale.ROOT, "steady %.3f measured %.3f%n", steady, t.minMicros());
                System.out.println(p.measurements());
            }
        }
    }
}
