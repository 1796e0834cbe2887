package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.PlanMode;
import io.github.conv4j.Settings;
import io.github.conv4j.Wisdom;
import java.lang.foreign.Arena;
import java.util.Optional;
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
 * What a wisdom hit adds to planning: {@link PlanMode#MEASURE} and {@link PlanMode#ESTIMATE} plans of a spec the
 * wisdom table holds, against planning the engine it names directly, and the table lookup alone. One thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class WisdomBenchmark {
    @Param({"S1", "R4"})
    public String shape;

    private Arena arena;
    private BenchInputs in;
    private String engine;

    @Setup(Level.Trial)
    public void setUp() {
        Settings.setThreads(1);
        arena = Arena.ofShared();
        in = new BenchInputs(arena, Shapes.spec(shape, DType.FLOAT32, Layout.NHWC), shape.hashCode());
        Wisdom.clear();
        try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, in.spec, in.w, null, PlanMode.MEASURE)) {
            engine = p.engine();
        }
    }

    /** The engine the wisdom names, planned by name: what a hit adds is measured against this. */
    @Benchmark
    public String planNamedEngine() {
        try (var plan = Conv2d.plan(engine, in.spec, in.w, null)) {
            return plan.implementation();
        }
    }

    @Benchmark
    public String planMeasureFromWisdom() {
        try (var plan = Conv2d.plan(Conv2d.AUTO, in.spec, in.w, null, PlanMode.MEASURE)) {
            return plan.implementation();
        }
    }

    @Benchmark
    public String planEstimateFromWisdom() {
        try (var plan = Conv2d.plan(Conv2d.AUTO, in.spec, in.w, null, PlanMode.ESTIMATE)) {
            return plan.implementation();
        }
    }

    @Benchmark
    public Optional<Wisdom.Entry> lookup() {
        return Wisdom.lookup(in.spec, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Wisdom.clear();
        arena.close();
    }
}
