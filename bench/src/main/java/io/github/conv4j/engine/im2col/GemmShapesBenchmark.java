package io.github.conv4j.engine.im2col;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.bench.Shapes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
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
 * OpenBLAS's sgemm alone on the GEMM that im2col makes of an ungrouped NHWC shape, {@code y[M][N] = patches[M][K]
 * * w[K][N]} with M = mb*oh*ow output pixels, K = kh*kw*ic, N = oc (R1 25,088 x 576 x 64, R2 25,088 x 64 x 256,
 * R3 6,272 x 1,152 x 128, R4 1,568 x 2,304 x 256, R5 392 x 4,608 x 512), called tile by tile as the kernel calls
 * it: the ceiling the im2col engines work under, whatever their packing does. Forward time of a kernel with
 * the same tile length ({@code Im2colTuningBenchmark}, variant {@code rows-N}) minus this, with hot tiles, is
 * what packing costs.
 *
 * <p>Parameters: {@code tileRows} pixels per call (from M up: {@code whole}, one call); {@code tiles} {@code hot}
 * (every call reads one tile buffer, as the kernel's packer leaves it in cache) or {@code cold} (successive
 * slices of the whole patch matrix, as a 1x1 convolution reads its input; the same as hot for {@code whole});
 * {@code weights} {@code plain} ({@code [K][N]}) or {@code transposed} ({@code [N][K]}, multiplied with
 * {@code CblasTrans}, as the kernel keeps large weights).
 *
 * <p>It calls the kernel's own {@link Gemm} (package-private, hence this package), not bytedeco's public
 * {@code cblas_sgemm}: the timed call is then exactly the one the engines make, through the binding they use
 * (FFM downcall or JavaCPP on segment addresses, with the bounds check in front), and its thread count is set
 * as the engines set it; bytedeco's overloads would need pointers made from every segment, a third way to call
 * OpenBLAS that no engine uses.
 *
 * <p>Run: {@code ./conv4j jmh GemmShapesBenchmark -p shape=R1 -p tileRows=512,whole}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class GemmShapesBenchmark {
    @Param({"R1", "R2", "R3", "R4", "R5"})
    public String shape;

    @Param({"256", "512", "1024", "2048", "whole"})
    public String tileRows;

    @Param({"hot", "cold"})
    public String tiles;

    @Param({"plain", "transposed"})
    public String weights;

    /** {@code ffm} or {@code jni}. */
    @Param({"ffm"})
    public String binding;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private Gemm gemm;
    private int m, k, n, rows;
    private boolean hot, transposed;
    private MemorySegment a, w, c;

    @Setup(Level.Trial)
    public void setUp() {
        Im2colEngine engine = Bindings.engine(binding);
        ConvSpec spec = Shapes.spec(shape, DType.FLOAT32, Layout.NHWC);
        if (spec.groups() != 1) {
            throw new IllegalArgumentException("one GEMM per tile needs an ungrouped shape: " + shape + " has groups="
                    + spec.groups());
        }
        m = Math.toIntExact((long) spec.mb() * spec.oh() * spec.ow());
        k = spec.kh() * spec.kw() * spec.ic();
        n = spec.oc();
        rows = tileRows.equals("whole") ? m : Math.min(m, Integer.parseInt(tileRows));
        if (rows < 1) {
            throw new IllegalArgumentException("tileRows < 1: " + tileRows);
        }
        hot = switch (tiles) {
            case "hot" -> true;
            case "cold" -> false;
            default -> throw new IllegalArgumentException("unknown tiles: " + tiles + " (hot, cold)");
        };
        transposed = switch (weights) {
            case "plain" -> false;
            case "transposed" -> true;
            default -> throw new IllegalArgumentException("unknown weights: " + weights + " (plain, transposed)");
        };
        gemm = engine.gemm();
        OpenBlas.applyThreads(threads);
        arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(shape.hashCode());
        a = random((long) (hot ? rows : m) * k, rnd);
        w = random((long) k * n, rnd);
        c = arena.allocate((long) m * n * Float.BYTES, 64);
        multiply();
        check();
        // printed inside the first iteration's line of JMH's output: a line of its own
        System.out.println(System.lineSeparator() + shape + ": M x K x N = " + m + " x " + k + " x " + n + ", "
                + rows + " rows per call, " + OpenBlas.info());
    }

    /** Every tile of the M rows, one GEMM each, into its rows of the output. */
    @Benchmark
    public void multiply() {
        for (long p0 = 0; p0 < m; p0 += rows) {
            int r = (int) Math.min(rows, m - p0);
            gemm.sgemm(transposed, r, n, k, a, hot ? 0 : p0 * k * Float.BYTES, k, w, 0, transposed ? k : n,
                    c, p0 * n * Float.BYTES, n);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    /**
     * A few outputs (the corners of the first and last tile) against a dot product in double: the timed calls
     * must multiply what they claim to, or the figure is of some other work.
     */
    private void check() {
        long last = m - 1;
        for (long row : new long[] {0, Math.min(rows, m) - 1, last - (last % rows), last}) {
            long aRow = hot ? row % rows : row;
            for (int col : new int[] {0, n - 1}) {
                double want = 0, scale = 0;
                for (int i = 0; i < k; i++) {
                    double x = a.getAtIndex(ValueLayout.JAVA_FLOAT, aRow * k + i);
                    long wIndex = transposed ? (long) col * k + i : (long) i * n + col;
                    double y = w.getAtIndex(ValueLayout.JAVA_FLOAT, wIndex);
                    want += x * y;
                    scale += Math.abs(x * y);
                }
                float got = c.getAtIndex(ValueLayout.JAVA_FLOAT, row * n + col);
                // float32 rounding of a k-term dot product is within k * 2^-24 of the sum of its |terms|
                if (!(Math.abs(got - want) <= k * Math.ulp(1f) * scale)) {
                    throw new IllegalStateException("sgemm output [" + row + "][" + col + "] = " + got + ", want "
                            + want + " (" + shape + ", " + rows + " rows, " + tiles + ", " + weights + ")");
                }
            }
        }
    }

    private MemorySegment random(long elements, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(elements * Float.BYTES, 64);
        for (long i = 0; i < elements; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        }
        return s;
    }
}
