package io.github.conv4j.engine.im2col;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.testing.Tensors;
import io.github.conv4j.testing.BenchShapes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small timing harness for the im2col engines until the benchmark module lands: the DESIGN.md shapes
 * S1..D1, median microseconds and GFLOP/s of {@code forward} on a prepared plan, the share of packing in a
 * forward at 1 thread (packing alone and GEMM alone over the same tiles), and the per-call cost of each binding
 * on a tiny GEMM. Prints Markdown. Run it through {@code bench/im2col-bench.sh}.
 *
 * <p>Arguments: thread counts (default {@code 1 2}); {@code -Dbench.seconds=} per measurement (default 0.5),
 * {@code -Dbench.shapes=S1,R1} to run a subset.
 */
public final class Im2colBench {
    private static final double SECONDS = Double.parseDouble(System.getProperty("bench.seconds", "0.5"));

    /** {@code -Dbench.shapes=R1,R3} runs only those shapes. */
    private static final java.util.List<String> ONLY = Arrays.stream(System.getProperty("bench.shapes", "")
            .split(",")).filter(x -> !x.isBlank()).toList();

    private Im2colBench() {
    }

    static Map<String, ConvSpec> shapes() {
        return BenchShapes.all();
    }

    /** Median and minimum nanoseconds of {@code task}, after a warm-up, over about {@link #SECONDS}. */
    static long[] time(Runnable task) {
        long warmEnd = System.nanoTime() + (long) (SECONDS * 0.4e9);
        int warm = 0;
        while (System.nanoTime() < warmEnd || warm < 3) {
            task.run();
            warm++;
        }
        long t0 = System.nanoTime();
        task.run();
        long one = Math.max(1, System.nanoTime() - t0);
        // batch tiny tasks so the clock's resolution does not dominate
        int batch = (int) Math.max(1, Math.min(10_000, 20_000 / one));
        int runs = (int) Math.max(7, Math.min(10_000, SECONDS * 1e9 / (one * batch)));
        long[] ns = new long[runs];
        for (int r = 0; r < runs; r++) {
            long s = System.nanoTime();
            for (int b = 0; b < batch; b++) {
                task.run();
            }
            ns[r] = (System.nanoTime() - s) / batch;
        }
        Arrays.sort(ns);
        return new long[] {ns[runs / 2], ns[0]};
    }

    public static void main(String[] args) {
        int[] threadCounts = args.length == 0 ? new int[] {1, 2} : Arrays.stream(args).mapToInt(Integer::parseInt)
                .toArray();
        System.out.println("OpenBLAS: " + OpenBlas.info());
        System.out.println("workspace bound: " + Im2colEngine.workspaceBound() + " bytes");
        System.out.println();
        for (int threads : threadCounts) {
            Settings.setThreads(threads);
            System.out.println("### " + threads + " thread(s)");
            System.out.println();
            if (threads > 1) {
                System.out.println("Packing and GEMM are timed apart at 1 thread only: with more, a forward is split"
                        + " among Java workers.");
                System.out.println();
            }
            System.out.println("| shape | engine | median us | min us | GFLOP/s | pack us | GEMM us"
                    + " | pack+epilogue share |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
            for (Map.Entry<String, ConvSpec> e : shapes().entrySet()) {
                if (!ONLY.isEmpty() && !ONLY.contains(e.getKey())) {
                    continue;
                }
                for (String engine : new String[] {"im2col-jni", "im2col-ffm"}) {
                    run(e.getKey(), e.getValue(), engine);
                }
            }
            System.out.println();
        }
        Settings.setThreads(1);
        callCost();
    }

    private static void run(String name, ConvSpec spec, String engine) {
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(42);
            Tensor x = Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape());
            Tensor w = Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape());
            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            try (ConvPlan plan = Conv2d.plan(engine, spec, w, null)) {
                long[] t = time(() -> plan.forward(x, y));
                if (Settings.threads() > 1) {
                    System.out.printf("| %s | %s | %.1f | %.1f | %.1f | - | - | - |%n", name, engine, t[0] / 1e3,
                            t[1] / 1e3, spec.flops() / t[0]);
                    return;
                }
                Im2colKernel k = (Im2colKernel) Conv2d.engine(engine).plan(spec, w.data(), null);
                Parts parts;
                try (k) {
                    parts = parts(spec, k, engine, x.data(), arena);
                }
                double us = t[0] / 1e3;
                String share = parts.packNs < 0 ? "0 (no packing)"
                        : String.format("%.1f%%", 100.0 * Math.max(0, t[0] - parts.gemmNs) / t[0]);
                System.out.printf("| %s | %s | %.1f | %.1f | %.1f | %s | %.1f | %s |%n", name, engine, us, t[1] / 1e3,
                        spec.flops() / t[0], parts.packNs < 0 ? "-" : String.format("%.1f", parts.packNs / 1e3),
                        parts.gemmNs / 1e3, share);
            }
        }
    }

    private record Parts(long packNs, long gemmNs) {
    }

    /** Packing alone and the GEMMs alone over the same tiles the kernel uses (NHWC, as the shapes are). */
    private static Parts parts(ConvSpec spec, Im2colKernel k, String engine, MemorySegment x, Arena arena) {
        PatchView view = k.view();
        int kTotal = (int) view.patchLength(), groups = k.gemmsPerTile(), kg = kTotal / groups, ocg = k.gemmColumns();
        int oc = spec.oc(), tile = k.tileRows();
        long pixels = (long) spec.mb() * spec.oh() * spec.ow();
        MemorySegment patches = arena.allocate((long) tile * kTotal * 4, 64);
        MemorySegment weights = arena.allocate((long) kTotal * ocg * 4, 64);
        MemorySegment y = arena.allocate(spec.outputElements() * 4, 64);
        Gemm gemm = engine.equals("im2col-jni") ? new JniGemm() : new FfmGemm(OpenBlas.natives());
        long pack = k.direct() ? -1 : time(() -> {
            for (long p0 = 0; p0 < pixels; p0 += tile) {
                view.packRows(x, p0, (int) Math.min(tile, pixels - p0), patches);
            }
        })[0];
        long gemmNs = time(() -> {
            for (long p0 = 0; p0 < pixels; p0 += tile) {
                int rows = (int) Math.min(tile, pixels - p0);
                MemorySegment a = k.direct() ? x : patches;
                long aOff = k.direct() ? p0 * kTotal * 4 : 0;
                for (int g = 0; g < groups; g++) {
                    boolean t = k.transposedWeights();
                    gemm.sgemm(t, rows, ocg, kg, a, aOff + (long) g * kg * 4, kTotal, weights, (long) g * kg * ocg * 4,
                            t ? kg : ocg, y, (p0 * oc + (long) g * ocg) * 4, oc);
                }
            }
        })[0];
        return new Parts(pack, gemmNs);
    }

    /** Nanoseconds per call of a 4x4x4 sgemm through each binding, native and heap segments. */
    private static void callCost() {
        System.out.println("### per-call cost, 4x4x4 sgemm, 1 thread");
        System.out.println();
        System.out.println("| binding | native segments ns | heap segments ns |");
        System.out.println("|---|---:|---:|");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(64, 64), b = arena.allocate(64, 64), c = arena.allocate(64, 64);
            MemorySegment ha = MemorySegment.ofArray(new float[16]), hb = MemorySegment.ofArray(new float[16]);
            MemorySegment hc = MemorySegment.ofArray(new float[16]);
            for (Gemm g : new Gemm[] {new JniGemm(), new FfmGemm(OpenBlas.natives())}) {
                long nat = time(() -> g.sgemm(false, 4, 4, 4, a, 0, 4, b, 0, 4, c, 0, 4))[0];
                String heap = g.takesHeapSegments()
                        ? Long.toString(time(() -> g.sgemm(false, 4, 4, 4, ha, 0, 4, hb, 0, 4, hc, 0, 4))[0])
                        : "n/a (the kernel stages heap output through native scratch)";
                System.out.println("| " + g.getClass().getSimpleName() + " | " + nat + " | " + heap + " |");
            }
        }
        System.out.println();
    }
}
