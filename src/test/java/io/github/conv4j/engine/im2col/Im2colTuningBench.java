package io.github.conv4j.engine.im2col;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.testing.BenchShapes;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Times the im2col kernel's tuning choices side by side in one JVM, interleaved round by round so that the
 * machine's drift hits every variant alike. {@code -Dbench.compare=tuning} (the default): weights
 * {@code [K][ocg]} as they arrive or transposed, and tiles from the plain cache rule or from the rule that also
 * counts the weights. {@code -Dbench.compare=split}: the threads of a forward inside OpenBLAS's GEMMs, or Java
 * workers each packing its own tiles and running single-threaded GEMMs. {@code -Dbench.compare=rows}: tile
 * lengths. Prints Markdown; the ratio column is the last variant over the first.
 *
 * <p>Run: {@code java @native-config/jvm.args -cp <test class path> io.github.conv4j.engine.im2col.Im2colTuningBench
 * [threads] [rounds]}; {@code -Dbench.shapes=R1,R5} narrows the shapes, {@code -Dbench.dtype=float64} switches
 * the type, {@code -Dbench.seconds} sets each timing.
 */
public final class Im2colTuningBench {
    private Im2colTuningBench() {
    }

    /** Tile rows of the kernel's own rule; {@link #CACHE_RULE}: the rule before the weights counted. */
    private static final long RULE = 0, CACHE_RULE = -1;

    /**
     * One way to plan: weights transposed or as given ({@code null}: the kernel's rule), tile rows ({@link #RULE},
     * {@link #CACHE_RULE} or a count), threads.
     */
    private record Variant(String name, Boolean transposed, long rows, Im2colKernel.Split split) {
        Im2colKernel plan(ConvSpec spec, Tensor w, Im2colEngine engine) {
            boolean t = transposed != null ? transposed
                    : spec.dtype() == DType.FLOAT32 && Im2colKernel.weightsPerGemm(spec) >= Im2colKernel.TRANSPOSE_FROM;
            return new Im2colKernel(spec, w.data(), null, engine.gemm(), engine.binding(),
                    Im2colEngine.workspaceBound(), t, rows == CACHE_RULE ? cacheRule(spec) : rows, split);
        }
    }

    /** {@code -Dbench.compare=tuning}: the weight order and the tile rule, threads left to OpenBLAS. */
    private static final List<Variant> TUNING = List.of(
            new Variant("[K][ocg], cache tiles", false, CACHE_RULE, Im2colKernel.Split.OPENBLAS),
            new Variant("[ocg][K], cache tiles", true, CACHE_RULE, Im2colKernel.Split.OPENBLAS),
            new Variant("[K][ocg], weight-aware tiles", false, RULE, Im2colKernel.Split.OPENBLAS),
            new Variant("[ocg][K], weight-aware tiles", true, RULE, Im2colKernel.Split.OPENBLAS));

    /** {@code -Dbench.compare=split}: who runs the threads, with the kernel's own weight order and tiles. */
    private static final List<Variant> SPLIT = List.of(
            new Variant("OpenBLAS threads", null, RULE, Im2colKernel.Split.OPENBLAS),
            new Variant("Java workers", null, RULE, Im2colKernel.Split.WORKERS));

    /** {@code -Dbench.compare=rows}: tile lengths, the kernel's rule first, then 256 to 1,024 rows. */
    private static final List<Variant> ROWS = List.of(
            new Variant("rule", null, RULE, Im2colKernel.Split.RULE),
            new Variant("256 rows", null, 256, Im2colKernel.Split.RULE),
            new Variant("384 rows", null, 384, Im2colKernel.Split.RULE),
            new Variant("512 rows", null, 512, Im2colKernel.Split.RULE),
            new Variant("768 rows", null, 768, Im2colKernel.Split.RULE),
            new Variant("1024 rows", null, 1024, Im2colKernel.Split.RULE));

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<String> only = Arrays.stream(System.getProperty("bench.shapes", "").split(","))
                .filter(s -> !s.isBlank()).toList();
        DType dtype = DType.parse(System.getProperty("bench.dtype", "float32"));
        List<Variant> variants = switch (System.getProperty("bench.compare", "tuning")) {
            case "split" -> SPLIT;
            case "rows" -> ROWS;
            default -> TUNING;
        };
        Settings.setThreads(threads);
        Im2colEngine engine = new Im2colFfmEngine();
        if (!engine.probe().available()) {
            throw new IllegalStateException("im2col-ffm is unavailable: " + engine.probe().reason());
        }
        System.out.println("OpenBLAS: " + OpenBlas.info());
        System.out.printf("im2col-ffm, %s NHWC, %d thread(s), %d interleaved rounds, median GFLOP/s of the"
                + " round medians%n%n", dtype, threads, rounds);
        StringBuilder header = new StringBuilder("| shape | tile rows per variant |");
        for (Variant v : variants) {
            header.append(' ').append(v.name()).append(" |");
        }
        System.out.println(header + " last / first |");
        System.out.println("|---|---:|" + "---:|".repeat(variants.size() + 1));
        for (Map.Entry<String, ConvSpec> e : BenchShapes.all().entrySet()) {
            if (!only.isEmpty() && !only.contains(e.getKey())) {
                continue;
            }
            run(e.getKey(), e.getValue().toBuilder().dtype(dtype).build(), engine, rounds, variants);
        }
    }

    private static void run(String name, ConvSpec spec, Im2colEngine engine, int rounds, List<Variant> variants) {
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(42);
            Tensor x = Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape());
            Tensor w = Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape());
            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            List<Im2colKernel> kernels = new ArrayList<>();
            try {
                for (Variant v : variants) {
                    kernels.add(v.plan(spec, w, engine));
                }
                double[][] gflops = new double[variants.size()][rounds];
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < kernels.size(); i++) {
                        Im2colKernel k = kernels.get(i);
                        gflops[i][r] = spec.flops() / (double) Im2colBench.time(() -> k.forward(x.data(), y.data()))[0];
                    }
                }
                StringBuilder row = new StringBuilder("| " + name + " | " + kernels.stream()
                        .map(k -> Integer.toString(k.tileRows())).collect(Collectors.joining(" / ")) + " |");
                double[] med = new double[variants.size()];
                for (int i = 0; i < med.length; i++) {
                    Arrays.sort(gflops[i]);
                    med[i] = gflops[i][rounds / 2];
                    row.append(String.format(" %.1f |", med[i]));
                }
                System.out.println(row + String.format(" %.2fx |", med[med.length - 1] / med[0]));
            } finally {
                kernels.forEach(Im2colKernel::close);
            }
        }
    }

    /** The tile rows of the rule before the weights counted: about 1 MiB of tile, at least 512 rows. */
    private static long cacheRule(ConvSpec spec) {
        long k = (long) spec.kh() * spec.kw() * spec.ic();
        return Math.max(512, (1L << 20) / ((k + spec.oc()) * spec.dtype().byteSize()));
    }
}
