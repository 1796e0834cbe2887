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
 * first plan (loading the engines and their natives included, unless {@code auto} makes it in the background:
 * then this small call computes on naive meanwhile), the first forward, and the uptime at the result.
 * {@code FirstResult ENGINE natives} first loads the engine's native libraries through JavaCPP itself (oneDNN's
 * preset for {@code onednn} and {@code auto}, OpenBLAS's for the im2col engines) and prints
 * {@code natives ENGINE javacpp_ms load_ms plan_ms forward_ms total_ms}: JavaCPP's own start-up, the load of the
 * preset's libraries, then the plan on the caller's thread (what it still costs with the natives loaded) and
 * forward.
 * {@code bench/first-result.sh} runs it in many fresh JVMs.
 */
public final class FirstResult {
    private FirstResult() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        long jvm = ManagementFactory.getRuntimeMXBean().getUptime();
        if (args.length > 1 && args[1].equals("natives")) {
            natives(args[0]);
            return;
        }
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

    /** The {@code natives} mode: JavaCPP's start-up and the preset's load, then plan and forward as above. */
    private static void natives(String engine) throws ReflectiveOperationException {
        String preset = engine.startsWith("im2col") ? "org.bytedeco.openblas.global.openblas"
                : "org.bytedeco.dnnl.global.dnnl";
        long t0 = System.nanoTime();
        // JavaCPP's classes and its own native helper (Pointer's initialiser loads it), before any preset
        Class.forName("org.bytedeco.javacpp.Pointer");
        long t1 = System.nanoTime();
        // what JavaCPP does for the engine: extract (cache warm: check) and load every library of the preset
        Class.forName("org.bytedeco.javacpp.Loader").getMethod("load", Class.class).invoke(null,
                Class.forName(preset, false, FirstResult.class.getClassLoader()));
        long t2 = System.nanoTime();
        // what a native plan costs with its libraries loaded: on the caller's thread, not auto's background plan
        System.setProperty("conv4j.auto.background", "false");
        ConvSpec spec = ConvSpec.builder().input(1, 8, 8, 3).kernel(3, 3, 4).build();
        Tensor w = Tensor.of(new float[(int) spec.weightElements()], spec.weightShape());
        try (ConvPlan plan = Conv2d.plan(engine, spec, w, null)) {
            long t3 = System.nanoTime();
            plan.forward(new float[(int) spec.inputElements()], new float[(int) spec.outputElements()]);
            long t4 = System.nanoTime();
            System.out.printf("natives %s %.1f %.1f %.1f %.1f %d%n", engine, (t1 - t0) / 1e6, (t2 - t1) / 1e6,
                    (t3 - t2) / 1e6, (t4 - t3) / 1e6, ManagementFactory.getRuntimeMXBean().getUptime());
        }
    }
}
