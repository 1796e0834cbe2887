package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
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

/**
 * {@code forward} on a prepared plan: engine x shape x threads. Inputs are seeded and allocated once per
 * trial; the first result is checked against naive before anything is timed. Forks inherit the launcher's
 * JVM flags ({@code native-config/jvm.args}) and get a fixed heap.
 *
 * <p>naive is not in the default engine list: on the ResNet shapes one call takes seconds; ask for it with
 * {@code -p engine=naive -p shape=S1,S2}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ForwardBenchmark {
    @Param({"S1", "S2", "R1", "R2", "R3", "R4", "R5", "R6", "D1"})
    public String shape;

    @Param({"onednn", "im2col-ffm", "im2col-jni", "java-vector"})
    public String engine;

    @Param({"1"})
    public int threads;

    @Param({"float32"})
    public String dtype;

    private Arena arena;
    private BenchInputs in;
    private ConvPlan plan;

    @Setup(Level.Trial)
    public void setUp() {
        Settings.setThreads(threads);
        arena = Arena.ofShared();
        in = new BenchInputs(arena, Shapes.spec(shape, DType.parse(dtype), Layout.NHWC), shape.hashCode());
        plan = Conv2d.plan(engine, in.spec, in.w, null);
        in.checkAgainstNaive(plan, arena);
    }

    @Benchmark
    public void forward() {
        plan.forward(in.x, in.y);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plan.close();
        arena.close();
    }
}
