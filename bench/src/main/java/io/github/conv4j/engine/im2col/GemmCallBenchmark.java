package io.github.conv4j.engine.im2col;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * What one call into OpenBLAS costs through each binding: a 4x4x4 sgemm, too small for the arithmetic to
 * matter, through the kernel's {@link Gemm} (bounds check included). {@code call}: {@code ffm-native} and
 * {@code jni-native} on off-heap segments, {@code ffm-heap} on {@code float[]}-backed segments, which the FFM
 * binding passes in place; the JNI binding takes no heap segments (the kernel stages those through native
 * scratch), so there is no {@code jni-heap}. Nothing else measures this: on the benchmark shapes a forward is
 * thousands of times longer, and on S1 it is mostly packing.
 *
 * <p>In the kernel's package because {@link Gemm} is package-private (see {@link GemmShapesBenchmark}).
 *
 * <p>Run: {@code ./conv4j jmh GemmCallBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class GemmCallBenchmark {
    private static final int SIZE = 4;

    @Param({"ffm-native", "ffm-heap", "jni-native"})
    public String call;

    private Arena arena;
    private Gemm gemm;
    private MemorySegment a, b, c;

    @Setup(Level.Trial)
    public void setUp() {
        Im2colEngine engine = switch (call) {
            case "ffm-native", "ffm-heap" -> new Im2colFfmEngine();
            case "jni-native" -> new Im2colJniEngine();
            default -> throw new IllegalArgumentException("unknown call: " + call + " (ffm-native, ffm-heap,"
                    + " jni-native)");
        };
        if (!engine.probe().available()) {
            throw new IllegalStateException(engine.name() + " is unavailable: " + engine.probe().reason());
        }
        gemm = engine.gemm();
        OpenBlas.applyThreads(1);
        arena = Arena.ofShared();
        boolean heap = call.endsWith("-heap");
        a = matrix(heap, 1);
        b = matrix(heap, 2);
        c = matrix(heap, 0);
        multiply();
        // a all ones times b all twos: every output is the sum of k products of 2
        for (int i = 0; i < SIZE * SIZE; i++) {
            float got = c.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (got != 2 * SIZE) {
                throw new IllegalStateException(call + ": sgemm output " + i + " = " + got + ", want " + 2 * SIZE);
            }
        }
    }

    @Benchmark
    public void multiply() {
        gemm.sgemm(false, SIZE, SIZE, SIZE, a, 0, SIZE, b, 0, SIZE, c, 0, SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }

    private MemorySegment matrix(boolean heap, float value) {
        MemorySegment s = heap ? MemorySegment.ofArray(new float[SIZE * SIZE])
                : arena.allocate((long) SIZE * SIZE * Float.BYTES, 64);
        for (int i = 0; i < SIZE * SIZE; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
        }
        return s;
    }
}
