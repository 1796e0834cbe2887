package io.github.conv4j.bench;

import io.github.conv4j.Accuracy;
import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Settings;
import java.lang.foreign.Arena;

/**
 * Whether an engine runs at one speed from a JVM's start: {@code PlanStability ENGINE SHAPE RUNS [ACCURACY]} plans the
 * float32 NHWC benchmark shape (at accuracy level {@code ACCURACY}, default exact) on one thread in this fresh JVM and runs {@code RUNS} forwards, printing one line,
 * {@code stability ENGINE SHAPE first_ms p10..p90_ms best_ms slow_runs}: the first forward, the runs after it in
 * tenths (the median of each tenth), the fastest run, and how many runs took more than 1.5 times the fastest. A
 * pure-Java engine whose compiled code is briefly worse in some JVMs shows it as slow tenths after the first.
 */
public final class PlanStability {
    private PlanStability() {
    }

    public static void main(String[] args) {
        String engine = args[0], shape = args[1];
        int runs = Integer.parseInt(args[2]);
        Settings.setThreads(1);
        try (Arena arena = Arena.ofConfined()) {
            Accuracy accuracy = args.length > 3 ? Accuracy.parse(args[3]) : Accuracy.EXACT;
            BenchInputs in = new BenchInputs(arena, Shapes.spec(shape, DType.FLOAT32, Layout.NHWC).toBuilder()
                    .accuracy(accuracy).build(), shape.hashCode());
            double[] ms = new double[runs];
            try (ConvPlan plan = Conv2d.plan(engine, in.spec, in.w, null)) {
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime();
                    plan.forward(in.x, in.y);
                    ms[r] = (System.nanoTime() - t0) / 1e6;
                }
            }
            double best = Double.POSITIVE_INFINITY;
            for (int r = 1; r < runs; r++) {
                best = Math.min(best, ms[r]);
            }
            int slow = 0;
            for (int r = 1; r < runs; r++) {
                slow += ms[r] > 1.5 * best ? 1 : 0;
            }
            StringBuilder tenths = new StringBuilder();
            int rest = runs - 1;
            for (int d = 0; d < 10 && rest >= 10; d++) {
                double[] part = java.util.Arrays.copyOfRange(ms, 1 + d * rest / 10, 1 + (d + 1) * rest / 10);
                java.util.Arrays.sort(part);
                tenths.append(String.format(" %.2f", part[part.length / 2]));
            }
            System.out.printf("stability %s %s %.1f%s %.2f %d%n", engine, shape, ms[0], tenths, best, slow);
        }
    }
}
