package io.github.conv4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * conv4j's process-wide configuration: how many threads a convolution may use, the least work worth a thread,
 * and the order in which {@code auto} tries engines. Configuration only: how the threads are shared among the
 * calls computing at one moment is decided per call by the plan, which passes each call its budget.
 *
 * <p>Defaults come from {@code native-config/conv4j.properties}, shipped in the jar; a system property of the
 * same name overrides each ({@code -Dconv4j.threads=2}); {@link #setThreads} overrides both at run time.
 */
public final class Settings {
    /** System property and file key: threads a convolution may use; 0 means all available processors. */
    public static final String THREADS = "conv4j.threads";
    /** System property and file key: comma-separated engine names, the order {@code auto} tries them in. */
    public static final String ENGINES = "conv4j.engines";
    /** System property and file key: the fewest FLOPs per thread worth another thread for one forward. */
    public static final String MIN_FLOPS_PER_THREAD = "conv4j.thread.min.flops";
    /** System property and file key: how {@code auto} plans, {@code estimate} (default) or {@code measure}. */
    public static final String PLAN = "conv4j.plan";
    /** System property and file key: seconds {@link PlanMode#MEASURE} may spend timing engines per spec. */
    public static final String PLAN_BUDGET = "conv4j.plan.budget";
    /** System property: a {@link Wisdom} file to read before the first plan that consults wisdom. */
    public static final String WISDOM = "conv4j.wisdom";

    private static final Properties DEFAULTS = load();
    /** Read once: in a container the JVM may consult cgroup files on every call, and forward asks often. */
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();
    private static volatile int threads = parseThreads(value(THREADS, "0"), THREADS);
    /** Default 1,000,000: a choice between S1 and S2, not measured (the figures beside it in conv4j.properties). */
    private static final double MIN_WORK = parseWork(value(MIN_FLOPS_PER_THREAD, "1000000"));
    private static volatile PlanMode planMode = parsePlan(value(PLAN, "estimate"));
    /** Default 0.2 s: enough for a few runs of each engine on the benchmark shapes, one thread. */
    private static volatile double planBudget = parseBudget(value(PLAN_BUDGET, "0.2"));

    private Settings() {
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Settings.class.getResourceAsStream("conv4j.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read conv4j.properties from the conv4j jar", e);
        }
        return p;
    }

    private static String value(String key, String fallback) {
        String v = System.getProperty(key);
        return v != null ? v : DEFAULTS.getProperty(key, fallback);
    }

    private static int parseThreads(String text, String source) {
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(source + " must be an integer >= 0 (0 = all processors): " + text);
    }

    private static double parseWork(String text) {
        try {
            double v = Double.parseDouble(text.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(MIN_FLOPS_PER_THREAD + " must be a number >= 0: " + text);
    }

    /**
     * The fewest floating-point operations per thread worth another thread for one {@code forward}
     * ({@value #MIN_FLOPS_PER_THREAD}; 0 means no limit): a thread's start-up costs more than a tiny convolution.
     */
    public static double minFlopsPerThread() {
        return MIN_WORK;
    }

    /** Threads a convolution may use: the setting, or all available processors when it is 0. */
    public static int threads() {
        int n = threads;
        return n > 0 ? n : PROCESSORS;
    }

    /**
     * Sets the threads a convolution may use from the next {@code forward} on; 0 means all processors.
     *
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public static void setThreads(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = all processors): threads=" + n);
        }
        threads = n;
    }

    private static PlanMode parsePlan(String text) {
        try {
            return PlanMode.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PLAN + " must be estimate or measure: " + text, e);
        }
    }

    private static double parseBudget(String text) {
        try {
            double v = Double.parseDouble(text.trim());
            if (v >= 0 && v <= 3600) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(PLAN_BUDGET + " must be a number of seconds in [0, 3600]: " + text);
    }

    /** How {@code auto} plans when the call does not say ({@value #PLAN}). */
    public static PlanMode planMode() {
        return planMode;
    }

    /** Sets how {@code auto} plans from the next plan on. */
    public static void setPlanMode(PlanMode mode) {
        planMode = java.util.Objects.requireNonNull(mode, "mode");
    }

    /**
     * Seconds {@link PlanMode#MEASURE} aims to spend timing engines per spec ({@value #PLAN_BUDGET}, default
     * 0.2), shared among them: a target, not a bound. Each engine runs at least twice whatever the budget (one
     * unmeasured call, one timed), three timed runs unless they would outlast the whole budget, and making each
     * engine's plan (weight transforms, primitives) is not counted; so a large spec can take longer.
     */
    public static double planBudgetSeconds() {
        return planBudget;
    }

    /**
     * Sets {@link #planBudgetSeconds()}.
     *
     * @throws IllegalArgumentException if {@code seconds} is not in [0, 3600]
     */
    public static void setPlanBudgetSeconds(double seconds) {
        if (!(seconds >= 0 && seconds <= 3600)) {
            throw new IllegalArgumentException("plan budget must be in [0, 3600] seconds: " + seconds);
        }
        planBudget = seconds;
    }

    /** Engine names in the order {@code auto} tries them. */
    public static List<String> engineOrder() {
        return Arrays.stream(value(ENGINES, "naive").split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
