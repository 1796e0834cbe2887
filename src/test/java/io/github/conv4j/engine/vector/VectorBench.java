package io.github.conv4j.engine.vector;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Padding;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A stand-alone timing of java-vector against naive on the DESIGN.md shapes S1..D1 (NHWC), printed as a
 * Markdown table. Not a unit test: the JMH suite in bench/ is the real benchmark; this one needs nothing but
 * the compiled classes. Run it after {@code ./mvnw test-compile}:
 * <pre>
 * flock /work/bench.lock java @native-config/jvm.args -cp target/classes:target/test-classes:$(cat cp.txt) \
 *     io.github.conv4j.engine.vector.VectorBench [--threads 1,2] [--shapes S1,R1] [--dtype float32]
 * </pre>
 * ({@code ./mvnw dependency:build-classpath -Dmdep.outputFile=cp.txt} writes cp.txt.) Each time is the median of
 * {@code forward} calls on one plan, after warm-up, over about a second. Naive runs the full batch on S1 and S2;
 * on the others it runs one image and the time is scaled by the batch size (marked "est.").
 */
public final class VectorBench {
    private VectorBench() {
    }

    static Map<String, ConvSpec.Builder> shapes() {
        Map<String, ConvSpec.Builder> m = new LinkedHashMap<>();
        m.put("S1", ConvSpec.builder().input(2, 12, 10, 3).kernel(3, 3, 16).stride(2));
        m.put("S2", ConvSpec.builder().input(32, 28, 28, 3).kernel(3, 3, 16).stride(2));
        m.put("R1", ConvSpec.builder().input(8, 56, 56, 64).kernel(3, 3, 64).padding(Padding.explicit(1, 1, 1, 1)));
        m.put("R2", ConvSpec.builder().input(8, 56, 56, 64).kernel(1, 1, 256));
        m.put("R3", ConvSpec.builder().input(8, 28, 28, 128).kernel(3, 3, 128).padding(Padding.explicit(1, 1, 1, 1)));
        m.put("R4", ConvSpec.builder().input(8, 14, 14, 256).kernel(3, 3, 256).padding(Padding.explicit(1, 1, 1, 1)));
        m.put("R5", ConvSpec.builder().input(8, 7, 7, 512).kernel(3, 3, 512).padding(Padding.explicit(1, 1, 1, 1)));
        m.put("R6", ConvSpec.builder().input(8, 224, 224, 3).kernel(7, 7, 64).stride(2)
                .padding(Padding.explicit(3, 3, 3, 3)));
        m.put("D1", ConvSpec.builder().input(8, 112, 112, 32).kernel(3, 3, 32).groups(32)
                .padding(Padding.explicit(1, 1, 1, 1)));
        return m;
    }

    public static void main(String[] args) {
        List<String> names = new ArrayList<>(shapes().keySet());
        int[] threads = {1};
        DType dtype = DType.FLOAT32;
        boolean naive = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--shapes" -> names = Arrays.asList(args[++i].split(","));
                case "--threads" -> threads = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--dtype" -> dtype = DType.parse(args[++i]);
                case "--no-naive" -> naive = false;
                default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }
        System.out.println("| shape | dtype | threads | java-vector median us | min us | GFLOP/s | naive us | naive GFLOP/s"
                + " | speed-up | max abs err (1 image) | implementation |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (String name : names) {
            ConvSpec spec = shapes().get(name).dtype(dtype).build();
            ConvSpec one = spec.toBuilder().input(1, spec.ih(), spec.iw(), spec.ic()).build();
            double naiveUs = Double.NaN;
            boolean estimated = spec.mb() > 2 && !name.startsWith("S");
            double err;
            try (Arena arena = Arena.ofConfined()) {
                SplittableRandom rnd = new SplittableRandom(42);
                Tensor x = Tensors.uniform(arena, dtype, rnd, spec.inputShape());
                Tensor w = Tensors.uniform(arena, dtype, rnd, spec.weightShape());
                Tensor x1 = new Tensor(x.data(), dtype, one.inputShape());
                Tensor want = Tensor.allocate(arena, dtype, one.outputShape());
                Tensor got = Tensor.allocate(arena, dtype, one.outputShape());
                Conv2d.forward("java-vector", one, x1, w, null, got);
                long t0 = System.nanoTime();
                Conv2d.forward(Conv2d.NAIVE, one, x1, w, null, want);
                double oneImageUs = (System.nanoTime() - t0) / 1e3;
                err = 0;
                for (long i = 0; i < want.elementCount(); i++) {
                    err = Math.max(err, Math.abs(want.getDouble(i) - got.getDouble(i)));
                }
                if (naive) {
                    if (estimated) {
                        naiveUs = oneImageUs * spec.mb();
                    } else {
                        Tensor y = Tensor.allocate(arena, dtype, spec.outputShape());
                        try (ConvPlan plan = Conv2d.plan(Conv2d.NAIVE, spec, w, null)) {
                            naiveUs = median(plan, x, y, 0.3)[0];
                        }
                    }
                }
                for (int t : threads) {
                    Settings.setThreads(t);
                    // shared so the engine may hand work to its pool; confined segments keep it on this thread
                    try (Arena shared = Arena.ofShared(); ConvPlan plan = Conv2d.plan("java-vector", spec, w, null)) {
                        Tensor xs = Tensor.allocate(shared, dtype, spec.inputShape());
                        xs.data().copyFrom(x.data().asSlice(0, x.byteSize()));
                        Tensor y = Tensor.allocate(shared, dtype, spec.outputShape());
                        double[] m = median(plan, xs, y, 2.0);
                        double gflops = spec.flops() / m[0] / 1e3;
                        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.1f | %s | %s | %s | %.2g | %s |%n",
                                name, dtype, t, m[0], m[1], gflops,
                                naive ? String.format(Locale.ROOT, "%.0f%s", naiveUs, estimated ? " est." : "") : "-",
                                naive ? String.format(Locale.ROOT, "%.2f", spec.flops() / naiveUs / 1e3) : "-",
                                naive ? String.format(Locale.ROOT, "%.0fx", naiveUs / m[0]) : "-",
                                err, plan.implementation());
                    }
                }
            }
        }
    }

    /** {median, min} microseconds of forward over about {@code seconds}, after as long a warm-up. */
    private static double[] median(ConvPlan plan, Tensor x, Tensor y, double seconds) {
        long budget = (long) (seconds * 1e9);
        long start = System.nanoTime();
        int warm = 0;
        while (System.nanoTime() - start < budget || warm < 3) {
            plan.forward(x, y);
            warm++;
        }
        List<Long> times = new ArrayList<>();
        start = System.nanoTime();
        while (System.nanoTime() - start < budget || times.size() < 5) {
            long t0 = System.nanoTime();
            plan.forward(x, y);
            times.add(System.nanoTime() - t0);
        }
        times.sort(null);
        return new double[] {times.get(times.size() / 2) / 1e3, times.get(0) / 1e3};
    }
}
