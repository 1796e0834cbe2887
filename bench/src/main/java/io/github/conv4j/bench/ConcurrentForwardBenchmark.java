package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
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
 * Throughput of one plan shared by several calling threads, each with its own output: run with {@code -t 1},
 * {@code -t 2} and {@code -t 8} to see whether many callers, each asking the native library for
 * {@code threads} threads, oversubscribe the cores into a slowdown.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ConcurrentForwardBenchmark {

    /** The plan and input every calling thread shares. */
    @State(Scope.Benchmark)
    public static class Shared {
        @Param({"S2", "R4", "D1"})
        public String shape;

        @Param({"onednn", "im2col-ffm", "java-vector"})
        public String engine;

        /** Threads each call gives the native library; 0 = all processors. */
        @Param({"0"})
        public int threads;

        Arena arena;
        BenchInputs in;
        ConvPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            Settings.setThreads(threads);
            arena = Arena.ofShared();
            in = new BenchInputs(arena, Shapes.spec(shape, DType.FLOAT32, Layout.NHWC), shape.hashCode());
            plan = Conv2d.plan(engine, in.spec, in.w, null);
            in.checkAgainstNaive(plan, arena);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
            arena.close();
        }
    }

    /** Each calling thread's own output. */
    @State(Scope.Thread)
    public static class Output {
        Arena arena;
        Tensor y;

        @Setup(Level.Trial)
        public void setUp(Shared s) {
            arena = Arena.ofShared();
            y = Tensor.allocate(arena, s.in.spec.dtype(), s.in.spec.outputShape());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    public void forward(Shared s, Output o) {
        s.plan.forward(s.in.x, o.y);
    }
}
