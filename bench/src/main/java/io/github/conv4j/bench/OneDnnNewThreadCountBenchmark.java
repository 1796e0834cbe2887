package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
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
 * What a oneDNN kernel's first call at a thread count it was not planned for costs. A oneDNN primitive fixes
 * its thread count when it is made, so such a call first makes a primitive for its count (sharing the planned
 * primitive's reordered weights: no reorder) and its first execution state. Each timed call is the single call
 * of one invocation on a kernel made for it, planned for {@code planned} threads ({@link Mode#SingleShotTime},
 * a fresh kernel per invocation): {@code call=first} is its first call with {@code threads}, {@code second} the
 * call after one such call (what every later call at that count costs), and {@code planned-first} its first
 * call with {@code planned} threads (the first execution state alone, without a primitive creation). The new
 * count's output is checked against naive once, before anything is timed.
 *
 * <p>Planning happens in the untimed per-invocation setup, so each invocation costs a plan and a close on top of
 * the call; that is why the iteration counts are small.
 *
 * <p>Run: {@code ./conv4j jmh OneDnnNewThreadCountBenchmark -p shape=R1}; {@code -p planned=4 -p threads=2} for
 * the other direction (a plan for 2 or more threads has its one-thread primitive already).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 30)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class OneDnnNewThreadCountBenchmark {
    @Param({"R1", "R2", "R3", "R4", "R5", "D1"})
    public String shape;

    /**
     * The thread count the kernel is planned for. A plan for more than one thread also makes a one-thread primitive,
     * so the default plans for one and calls with two: the case where the setting was raised after planning.
     */
    @Param({"1"})
    public int planned;

    /** The thread count the kernel was not planned for. */
    @Param({"2"})
    public int threads;

    /** {@code first} or {@code second} call at {@code threads}, or {@code planned-first}: first at {@code planned}. */
    @Param({"first", "second", "planned-first"})
    public String call;

    private ConvEngine engine;
    private Arena arena;
    private BenchInputs in;
    private ConvKernel kernel;
    private int callThreads;

    @Setup(Level.Trial)
    public void setUp() {
        engine = Conv2d.engine("onednn");
        if (!engine.probe().available()) {
            throw new IllegalStateException("onednn is unavailable: " + engine.probe().reason());
        }
        if (planned < 1 || threads < 1) {
            throw new IllegalArgumentException("thread counts < 1: planned=" + planned + ", threads=" + threads);
        }
        if (planned == threads) {
            throw new IllegalArgumentException("planned and threads must differ: both are " + threads);
        }
        callThreads = switch (call) {
            case "first", "second" -> threads;
            case "planned-first" -> planned;
            default -> throw new IllegalArgumentException("unknown call: " + call + " (first, second, planned-first)");
        };
        arena = Arena.ofShared();
        in = new BenchInputs(arena, Shapes.spec(shape, DType.FLOAT32, Layout.NHWC), shape.hashCode());
        try (ConvKernel k = engine.plan(in.spec, in.w.data(), null, planned)) {
            in.checkAgainstNaive("onednn planned for " + planned + " threads, called with " + threads,
                    () -> k.forward(in.x.data(), in.y.data(), in.spec.mb(), threads), arena);
        }
    }

    /**
     * A kernel of its own for each invocation, since the first call at a count happens once per kernel; for
     * {@code call=second}, called once at the new count.
     */
    @Setup(Level.Invocation)
    public void plan() {
        kernel = engine.plan(in.spec, in.w.data(), null, planned);
        if (call.equals("second")) {
            kernel.forward(in.x.data(), in.y.data(), in.spec.mb(), threads);
        }
    }

    @Benchmark
    public void forward() {
        kernel.forward(in.x.data(), in.y.data(), in.spec.mb(), callThreads);
    }

    @TearDown(Level.Invocation)
    public void close() {
        kernel.close();
        kernel = null;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (arena != null) {
            arena.close();
        }
    }
}
