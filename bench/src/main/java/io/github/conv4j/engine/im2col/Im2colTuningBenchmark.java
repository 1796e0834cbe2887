package io.github.conv4j.engine.im2col;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.bench.BenchInputs;
import io.github.conv4j.bench.Shapes;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The im2col kernel's tuning choices: {@code forward(x, y, threads)} on a kernel planned with one variant of
 * {@link Im2colKernel.Tuning}, shape x binding x variant x threads. Variants: {@code rule} (what the engine
 * plans, {@link Im2colKernel.Tuning#of}); {@code transpose-always} and {@code transpose-never} (weights stored
 * {@code [ocg][K]} and multiplied transposed, or kept {@code [K][ocg]}); {@code rows-N} (tiles of N pixels, still
 * within the workspace bound); {@code workers-always} and {@code workers-never} (a call's threads split the pixels
 * among Java workers, or all go to OpenBLAS inside each GEMM; the same as {@code rule} at one thread). Everything
 * else is the engine's rule. Each variant's first result is checked against naive before it is timed, and its
 * implementation string (which names the tile length it got) is printed.
 *
 * <p>JMH runs one variant after another, each in its own fork, where the harness this replaces interleaved them
 * in one JVM; on a noisy machine use several forks ({@code -f 3}) and read each variant as a range.
 *
 * <p>It lives in the kernel's package, although in this separate module, because the tuning seam
 * ({@code Im2colKernel}, {@code Tuning}, the engines' {@code gemm()} and {@code binding()}) is package-private:
 * the library does not export its engines, and a benchmark is no reason to widen its API. On the class path
 * (the shaded bench jar) the package is one package, whichever jar each class comes from.
 *
 * <p>Run: {@code ./conv4j jmh Im2colTuningBenchmark -p shape=R1,R5 -p variant=rule,rows-256,rows-1024};
 * {@code -p threads=2 -p variant=workers-always,workers-never} for who runs the threads, {@code -p binding=jni}
 * for the JNI binding, {@code -p dtype=float64}; {@code -jvmArgsAppend -Dconv4j.im2col.workspace=BYTES} for
 * another workspace bound.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class Im2colTuningBenchmark {
    @Param({"R1", "R2", "R3", "R4", "R5", "R6"})
    public String shape;

    /** {@code ffm} or {@code jni}: the same kernel either way, so one is the default. */
    @Param({"ffm"})
    public String binding;

    @Param({"rule", "transpose-always", "transpose-never", "rows-256", "rows-384", "rows-512", "rows-768",
            "rows-1024", "workers-always", "workers-never"})
    public String variant;

    @Param({"1"})
    public int threads;

    @Param({"float32"})
    public String dtype;

    private Arena arena;
    private BenchInputs in;
    private Im2colKernel kernel;

    @Setup(Level.Trial)
    public void setUp() {
        Im2colEngine engine = Bindings.engine(binding);
        if (threads < 1) {
            throw new IllegalArgumentException("threads < 1: " + threads);
        }
        arena = Arena.ofShared();
        in = new BenchInputs(arena, Shapes.spec(shape, DType.parse(dtype), Layout.NHWC), shape.hashCode());
        kernel = new Im2colKernel(in.spec, in.w.data(), null, engine.gemm(), engine.binding(),
                tuning(variant, in.spec, Im2colEngine.workspaceBound()));
        in.checkAgainstNaive(engine.name() + " " + variant, () -> kernel.forward(in.x.data(), in.y.data(), in.spec.mb(), threads),
                arena);
        // printed inside the first iteration's line of JMH's output: a line of its own
        System.out.println(System.lineSeparator() + shape + " " + variant + ": " + kernel.implementation());
    }

    @Benchmark
    public void forward() {
        kernel.forward(in.x.data(), in.y.data(), in.spec.mb(), threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (kernel != null) {
            kernel.close();
        }
        if (arena != null) {
            arena.close();
        }
    }

    /**
     * The engine's tuning for {@code spec} with the one choice {@code variant} names changed.
     *
     * @throws IllegalArgumentException for an unknown variant or a tile length below 1
     */
    static Im2colKernel.Tuning tuning(String variant, ConvSpec spec, long workspace) {
        Im2colKernel.Tuning rule = Im2colKernel.Tuning.of(spec, workspace);
        long rows = rule.tileRows(), transposeFrom = rule.transposeFrom(), minWorkerRows = rule.minWorkerRows();
        switch (variant) {
            case "rule" -> {
                return rule;
            }
            case "transpose-always" -> transposeFrom = 0;
            case "transpose-never" -> transposeFrom = Long.MAX_VALUE;
            case "workers-always" -> minWorkerRows = 0;
            case "workers-never" -> minWorkerRows = Long.MAX_VALUE;
            default -> rows = tileRows(variant);
        }
        return new Im2colKernel.Tuning(rule.workspace(), rows, transposeFrom, minWorkerRows);
    }

    /** N of {@code rows-N}. */
    private static long tileRows(String variant) {
        String prefix = "rows-";
        long rows = -1;
        if (variant.startsWith(prefix)) {
            try {
                rows = Long.parseLong(variant.substring(prefix.length()));
            } catch (NumberFormatException e) {
                // reported below with the variants there are
            }
        }
        if (rows < 1) {
            throw new IllegalArgumentException("unknown variant: " + variant + " (rule, transpose-always,"
                    + " transpose-never, rows-N with N >= 1, workers-always, workers-never)");
        }
        return rows;
    }
}
