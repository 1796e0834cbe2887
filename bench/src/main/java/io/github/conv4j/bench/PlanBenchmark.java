package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Settings;
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

/** Plan creation and close, timed apart from {@code forward}: weight repacking, primitive creation. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PlanBenchmark {
    @Param({"S1", "R4", "D1"})
    public String shape;

    @Param({"onednn", "im2col-ffm", "im2col-jni", "java-vector", "naive"})
    public String engine;

    private Arena arena;
    private BenchInputs in;

    @Setup(Level.Trial)
    public void setUp() {
        Settings.setThreads(1);
        arena = Arena.ofShared();
        in = new BenchInputs(arena, Shapes.spec(shape, DType.FLOAT32, Layout.NHWC), shape.hashCode());
        // an engine that cannot plan the shape fails the trial here, with the reason, not in the first timed call
        Conv2d.whyNot(engine, in.spec).ifPresent(why -> {
            throw new UnsupportedOperationException(why);
        });
    }

    @Benchmark
    public String planAndClose() {
        try (var plan = Conv2d.plan(engine, in.spec, in.w, null)) {
            return plan.implementation();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }
}
