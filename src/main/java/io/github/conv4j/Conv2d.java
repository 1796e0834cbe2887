package io.github.conv4j;

import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * conv4j's entry point: finds the engines, plans convolutions on them, and offers one-shot calls.
 *
 * <p>Engines are found with {@link ServiceLoader}. {@value #AUTO} picks, for each spec, the engine a
 * {@link Wisdom} entry names for it, else the first engine in {@link Settings#engineOrder()} that is available and
 * accepts the spec, and {@code naive} when none does ({@link PlanMode#ESTIMATE}); or it times the engines that
 * accept the spec and takes the fastest ({@link PlanMode#MEASURE}). It logs its choice once per engine, and warns
 * once, with a fix hint, for each listed engine that cannot run.
 * Every method validates what it is handed before any engine sees it. All methods are thread-safe.
 */
public final class Conv2d {
    /** The engine name that asks for the best available engine. */
    public static final String AUTO = "auto";
    /** The reference engine's name. */
    public static final String NAIVE = "naive";

    private static final System.Logger LOG = System.getLogger("io.github.conv4j");
    static {
        // before any engine is planned: see SegmentKinds
        io.github.conv4j.engine.SegmentKinds.load();
    }

    private static final List<ConvEngine> ENGINES = discover();
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    /** Engines whose probe has answered in this JVM: asking them again costs nothing. */
    private static final Set<String> PROBED = ConcurrentHashMap.newKeySet();

    private Conv2d() {
    }

    private static List<ConvEngine> discover() {
        List<ConvEngine> found = new ArrayList<>();
        // one engine that cannot even be instantiated (say its native jars are missing) must not take the others
        // down: skip it with a warning
        Iterator<ConvEngine> it = ServiceLoader.load(ConvEngine.class, Conv2d.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "conv4j: an engine could not be loaded and is skipped: " + e);
            }
        }
        List<String> order = Settings.engineOrder();
        found.sort(Comparator.comparingInt((ConvEngine e) -> {
            int i = order.indexOf(e.name());
            return i < 0 ? Integer.MAX_VALUE : i;
        }).thenComparing(ConvEngine::name));
        return List.copyOf(found);
    }

    /** Every engine on the class path, in {@code auto}'s order first, then the rest by name. */
    public static List<ConvEngine> engines() {
        return ENGINES;
    }

    /**
     * The engine called {@code name}.
     *
     * @throws IllegalArgumentException if no engine has that name
     */
    public static ConvEngine engine(String name) {
        Optional<ConvEngine> e = find(name);
        if (e.isPresent()) {
            return e.get();
        }
        throw new IllegalArgumentException("unknown engine: " + name + " (engines: "
                + ENGINES.stream().map(ConvEngine::name).collect(Collectors.joining(", ")) + ", " + AUTO + ")");
    }

    /** The engine called {@code name}, if one was found. */
    private static Optional<ConvEngine> find(String name) {
        return ENGINES.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /**
     * The engine {@code auto} uses for {@code spec}.
     *
     * @throws UnsupportedOperationException if no engine accepts the spec (the reference normally does)
     * @throws IllegalStateException if {@value Settings#WISDOM} names a file that cannot be used
     */
    public static ConvEngine select(ConvSpec spec) {
        Optional<ConvEngine> wise = fromWisdom(spec);
        if (wise.isPresent()) {
            return chosen(wise.get());
        }
        StringBuilder reasons = new StringBuilder();
        for (String name : Settings.engineOrder()) {
            Optional<ConvEngine> e = find(name);
            if (e.isEmpty()) {
                continue;
            }
            Availability a = probe(e.get());
            if (!a.available()) {
                if (LOGGED.add("unavailable:" + name)) {
                    LOG.log(System.Logger.Level.WARNING, "conv4j: engine " + name + " is unavailable, auto falls back: "
                            + a.reason());
                }
                continue;
            }
            Optional<String> no = e.get().declines(spec);
            if (no.isEmpty()) {
                return chosen(e.get());
            }
            reasons.append("; ").append(name).append(": ").append(no.get());
        }
        ConvEngine naive = engine(NAIVE);
        Optional<String> no = naive.declines(spec);
        if (no.isEmpty()) {
            return chosen(naive);
        }
        throw new UnsupportedOperationException("no engine accepts " + spec + reasons + "; naive: " + no.get());
    }

    /** The engine a wisdom entry names for {@code spec} at a lone call's budget, if it is here and accepts it. */
    private static Optional<ConvEngine> fromWisdom(ConvSpec spec) {
        return Wisdom.lookup(spec, ThreadBudget.alone(spec))
                .flatMap(w -> find(w.engine()))
                .filter(e -> probe(e).available() && e.declines(spec).isEmpty());
    }

    private static Availability probe(ConvEngine e) {
        Availability a = e.probe();
        PROBED.add(e.name());
        return a;
    }

    /**
     * Whether {@link #select} would have to probe an engine first, which for a native engine means loading its
     * libraries: true when an engine in the order before the first available one has not answered yet.
     */
    private static boolean selectWouldLoad() {
        for (String name : Settings.engineOrder()) {
            Optional<ConvEngine> e = find(name);
            if (e.isEmpty()) {
                continue;
            }
            if (!PROBED.contains(name)) {
                return true;
            }
            if (e.get().probe().available()) {
                return false;
            }
        }
        return false;
    }

    private static ConvEngine chosen(ConvEngine e) {
        // DEBUG, not INFO: a dependency says nothing on a default logging set-up unless something is wrong
        if (LOGGED.add("chose:" + e.name())) {
            LOG.log(System.Logger.Level.DEBUG, "conv4j: auto uses engine " + e.name());
        }
        return e;
    }

    /**
     * Plans {@code spec} on the engine {@code auto} selects.
     *
     * @see #plan(String, ConvSpec, Tensor, Tensor)
     */
    public static ConvPlan plan(ConvSpec spec, Tensor weights, Tensor bias) {
        return plan(AUTO, spec, weights, bias);
    }

    /**
     * Plans {@code spec} on the named engine ({@value #AUTO} for the best available one, chosen as
     * {@link Settings#planMode()} says). The engine copies the weights and bias, so the caller may free them once
     * this returns.
     *
     * <p>The first {@value #AUTO} plans of a JVM, made while the engine it prefers has not loaded its natives
     * yet, return at once: the plan is made on a background thread, a call computes on {@code naive} until it
     * is ready if the call is small (at most 2 MFLOP) and waits for it otherwise, and {@link ConvPlan#engine()}
     * waits for it. So a first small result does not wait for the natives, and its rounding may differ from
     * later calls' (within the tolerance every engine is held to). An error in making that plan is thrown by the
     * call that needs it. {@code -Dconv4j.auto.background=false} plans on the caller's thread instead.
     *
     * @param bias {@code [oc]} elements, or null when the spec has no bias
     * @throws IllegalArgumentException if the engine name is unknown, or the weights or bias do not match
     *     the spec (dtype, shape, presence)
     * @throws UnsupportedOperationException if the named engine is unavailable or declines the spec, with
     *     {@link #whyNot}'s reason
     * @throws IllegalStateException if a segment's arena is closed or confined to another thread, or, for
     *     {@value #AUTO}, if {@value Settings#WISDOM} names a file that cannot be used
     */
    public static ConvPlan plan(String engine, ConvSpec spec, Tensor weights, Tensor bias) {
        return plan(engine, spec, weights, bias, Settings.planMode());
    }

    /**
     * {@link #plan(String, ConvSpec, Tensor, Tensor)}, with {@value #AUTO} choosing its engine as {@code mode}
     * says; a named engine ignores the mode. {@link PlanMode#MEASURE} plans on the caller's thread (never in the
     * background; a quantized spec, which is not timed since only onednn and naive compute it, takes the engine
     * order, also on the caller's thread) and takes about {@link Settings#planBudgetSeconds()} the first time a spec is planned at a thread
     * budget in a JVM without wisdom for it. Its timings come from the JVM as it is: pure-Java engines timed in a
     * JVM's first seconds may not be compiled yet, and a native engine's first plan in a JVM loads its libraries,
     * which the budget does not cover; {@code conv4j tune} records wisdom from a warmed-up JVM.
     *
     * @see ConvPlan#howPlanned()
     * @see ConvPlan#measurements()
     */
    public static ConvPlan plan(String engine, ConvSpec spec, Tensor weights, Tensor bias, PlanMode mode) {
        java.util.Objects.requireNonNull(mode, "mode");
        requireParameter("weights", weights, spec.weightShape(), spec.layout().weightOrder(), spec.weightDType());
        if (spec.hasBias() && bias == null) {
            throw new IllegalArgumentException("bias is missing: spec has bias, none given");
        }
        if (!spec.hasBias() && bias != null) {
            throw new IllegalArgumentException("bias given but spec has no bias: bias "
                    + Arrays.toString(bias.shape()));
        }
        if (bias != null) {
            requireParameter("bias", bias, spec.biasShape(), "", spec.biasDType());
        }
        MemorySegment w = weights.data().asSlice(0, weights.byteSize());
        MemorySegment b = bias == null ? null : bias.data().asSlice(0, bias.byteSize());
        // a quantized spec is not timed: the samples measured planning checks each engine against are float sums;
        // auto takes its engine order (onednn, else naive) for it
        if (AUTO.equals(engine) && mode == PlanMode.MEASURE && !spec.isQuantized()) {
            return Planner.plan(spec, w, b, ThreadBudget.alone(spec), ENGINES, true);
        }
        Optional<ConvEngine> wise = AUTO.equals(engine) ? fromWisdom(spec) : Optional.empty();
        if (AUTO.equals(engine) && mode == PlanMode.ESTIMATE && wise.isEmpty() && BackgroundPlan.enabled()
                && selectWouldLoad()) {
            return inBackground(spec, weights, bias);
        }
        ConvEngine e = wise.isPresent() ? chosen(wise.get()) : AUTO.equals(engine) ? select(spec) : engine(engine);
        if (!AUTO.equals(engine)) {
            Optional<String> no = refusal(e, spec);
            if (no.isPresent()) {
                throw new UnsupportedOperationException(no.get());
            }
        }
        ConvKernel kernel = e.plan(spec, w, b, ThreadBudget.alone(spec));
        ConvPlan plan = new ConvPlan(spec, e.name(), kernel);
        if (AUTO.equals(engine)) {
            plan.report(wise.isPresent() ? "estimate: wisdom" : "estimate: auto's engine order", List.of());
        }
        return plan;
    }

    /** An {@value #AUTO} plan made on the planner thread, with naive serving small calls till then. */
    private static ConvPlan inBackground(ConvSpec spec, Tensor weights, Tensor bias) {
        // the caller may free the weights once plan returns: the background plan works on a copy it frees
        Arena held = Arena.ofShared();
        try {
            MemorySegment w = held.allocate(weights.byteSize(), 64).copyFrom(weights.data().asSlice(0,
                    weights.byteSize()));
            MemorySegment b = bias == null ? null
                    : held.allocate(bias.byteSize(), 64).copyFrom(bias.data().asSlice(0, bias.byteSize()));
            ConvKernel interim = engine(NAIVE).plan(spec, w, b, 1);
            return new ConvPlan(spec, AUTO, new BackgroundPlan(spec, interim, () -> {
                try {
                    ConvEngine e = select(spec);
                    return new BackgroundPlan.Planned(e.name(), e.plan(spec, w, b, ThreadBudget.alone(spec)));
                } finally {
                    held.close();
                }
            }));
        } catch (RuntimeException | Error e) {
            held.close();
            throw e;
        }
    }

    /**
     * Why the engine called {@code engine} cannot plan {@code spec}, in the words
     * {@link #plan(String, ConvSpec, Tensor, Tensor)} throws ({@code engine NAME is unavailable: ...} or
     * {@code engine NAME declines SPEC: ...}); empty when it can. {@value #AUTO} is refused only when no engine
     * accepts the spec.
     *
     * @throws IllegalArgumentException if no engine has that name
     * @throws IllegalStateException for {@value #AUTO}, if {@value Settings#WISDOM} names a file that cannot be used
     */
    public static Optional<String> whyNot(String engine, ConvSpec spec) {
        if (!AUTO.equals(engine)) {
            return refusal(engine(engine), spec);
        }
        try {
            select(spec);
            return Optional.empty();
        } catch (UnsupportedOperationException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** Why {@code e} cannot plan {@code spec}: it is unavailable or declines the spec; empty when it can. */
    private static Optional<String> refusal(ConvEngine e, ConvSpec spec) {
        Availability a = probe(e);
        if (!a.available()) {
            return Optional.of("engine " + e.name() + " is unavailable: " + a.reason());
        }
        return e.declines(spec).map(no -> "engine " + e.name() + " declines " + spec + ": " + no);
    }

    private static void requireParameter(String name, Tensor t, long[] shape, String order, DType dtype) {
        if (t == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        ConvPlan.requireTensor(name, t, shape, order, dtype);
        ConvPlan.requireSegment(name, t.data(), t.byteSize(), shape, dtype);
    }

    /**
     * One convolution, planned, run and closed: {@code y = conv(x; w, bias)} on the named engine.
     *
     * @see #plan(String, ConvSpec, Tensor, Tensor)
     * @see ConvPlan#forward(Tensor, Tensor)
     */
    public static void forward(String engine, ConvSpec spec, Tensor x, Tensor weights, Tensor bias, Tensor y) {
        try (ConvPlan plan = plan(engine, spec, weights, bias)) {
            plan.forward(x, y);
        }
    }

    /**
     * One float32 convolution on Java arrays with {@code auto}; returns the output in the spec's layout.
     *
     * @param bias {@code oc} values, or null when the spec has no bias
     * @throws IllegalArgumentException if the spec is not float32 or an array's length differs from the spec's
     */
    public static float[] conv2d(ConvSpec spec, float[] x, float[] weights, float[] bias) {
        requireLength("x", x.length, spec.inputElements());
        requireLength("weights", weights.length, spec.weightElements());
        if (bias != null) {
            requireLength("bias", bias.length, spec.oc());
        }
        float[] y = new float[Math.toIntExact(spec.outputElements())];
        forward(AUTO, spec, Tensor.of(x, spec.inputShape()), Tensor.of(weights, spec.weightShape()),
                bias == null ? null : Tensor.of(bias, spec.oc()), Tensor.of(y, spec.outputShape()));
        return y;
    }

    /**
     * One float64 convolution on Java arrays with {@code auto}; returns the output in the spec's layout.
     *
     * @param bias {@code oc} values, or null when the spec has no bias
     * @throws IllegalArgumentException if the spec is not float64 or an array's length differs from the spec's
     */
    public static double[] conv2d(ConvSpec spec, double[] x, double[] weights, double[] bias) {
        requireLength("x", x.length, spec.inputElements());
        requireLength("weights", weights.length, spec.weightElements());
        if (bias != null) {
            requireLength("bias", bias.length, spec.oc());
        }
        double[] y = new double[Math.toIntExact(spec.outputElements())];
        forward(AUTO, spec, Tensor.of(x, spec.inputShape()), Tensor.of(weights, spec.weightShape()),
                bias == null ? null : Tensor.of(bias, spec.oc()), Tensor.of(y, spec.outputShape()));
        return y;
    }

    private static void requireLength(String name, long got, long want) {
        if (got != want) {
            throw new IllegalArgumentException(name + " length differs from spec: " + name + " length=" + got
                    + ", spec wants " + want);
        }
    }
}
