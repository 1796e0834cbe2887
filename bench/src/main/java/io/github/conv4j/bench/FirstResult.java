package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Tensor;
import java.lang.management.ManagementFactory;

/**
 * How long a fresh JVM takes to its first convolution result, and where the time goes: {@code FirstResult
 * ENGINE} plans and runs one small float32 convolution on {@code ENGINE} (or {@code auto}) and prints one line,
 * {@code first ENGINE CHOSEN jvm_ms plan_ms forward_ms total_ms}: the JVM's uptime when {@code main} began, the
 * first plan (loading the engines and their natives included), the first forward, and the uptime at the result.
 * {@code bench/first-result.sh} runs it in many fresh JVMs.
 */
public final class FirstResult {
    private FirstResult() {
    }

    public static void main(String[] args) {
        long jvm = ManagementFactory.getRuntimeMXBean().getUptime();
        long t0 = System.nanoTime();
        ConvSpec spec = ConvSpec.builder().input(1, 8, 8, 3).kernel(3, 3, 4).build();
        float[] x = new float[(int) spec.inputElements()];
        float[] y = new float[(int) spec.outputElements()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7 - 3;
        }
        Tensor w = Tensor.of(new float[(int) spec.weightElements()], spec.weightShape());
        try (ConvPlan plan = Conv2d.plan(args[0], spec, w, null)) {
            long t1 = System.nanoTime();
            plan.forward(x, y);
            long t2 = System.nanoTime();
            long total = ManagementFactory.getRuntimeMXBean().getUptime();
            System.out.printf("first %s %s %d %.1f %.1f %d%n", args[0], plan.engine(), jvm, (t1 - t0) / 1e6,
                    (t2 - t1) / 1e6, total);
        }
    }
}
