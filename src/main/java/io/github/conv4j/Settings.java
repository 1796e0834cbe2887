package io.github.conv4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * conv4j's process-wide settings: the thread count that native engines use, and the order in which
 * {@code auto} tries engines.
 *
 * <p>Defaults come from {@code native-config/conv4j.properties}, shipped in the jar; a system property of the
 * same name overrides each ({@code -Dconv4j.threads=2}); {@link #setThreads} overrides both at run time.
 */
public final class Settings {
    /** System property and file key: threads for native engines; 0 means all available processors. */
    public static final String THREADS = "conv4j.threads";
    /** System property and file key: comma-separated engine names, the order {@code auto} tries them in. */
    public static final String ENGINES = "conv4j.engines";
    /** System property and file key: the fewest FLOPs per thread worth another thread for one forward. */
    public static final String MIN_FLOPS_PER_THREAD = "conv4j.thread.min.flops";

    private static final Properties DEFAULTS = load();
    /** Read once: in a container the JVM may consult cgroup files on every call, and forward asks often. */
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();
    private static volatile int threads = parseThreads(value(THREADS, "0"), THREADS);
    private static final double MIN_WORK = parseWork(value(MIN_FLOPS_PER_THREAD, "1000000"));
    /** Forward calls computing now, all plans together. */
    private static final AtomicInteger IN_FLIGHT = new AtomicInteger();

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

    /** Called by {@code ConvPlan} before an engine computes: counts the call for {@link #threadsFor}. */
    static void enter() {
        IN_FLIGHT.getAndIncrement();
    }

    /** Called by {@code ConvPlan} after an engine computed. */
    static void exit() {
        IN_FLIGHT.getAndDecrement();
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
     * Threads one {@code forward} of {@code spec} should use now: {@link #threads()} shared out among the
     * forward calls in flight in this JVM (so many calling threads do not oversubscribe the cores: each gets
     * {@code threads / calls}, at least one), and no more than one per {@value #MIN_FLOPS_PER_THREAD} FLOPs of
     * work (a thread's start-up costs more than a tiny convolution). Engines call this once per forward.
     */
    public static int threadsFor(ConvSpec spec) {
        int n = Math.max(1, threads() / Math.max(1, IN_FLIGHT.get()));
        if (MIN_WORK > 0) {
            n = (int) Math.min(n, Math.max(1, (long) (spec.flops() / MIN_WORK)));
        }
        return n;
    }

    /** Threads that native engines use: the setting, or all available processors when it is 0. */
    public static int threads() {
        int n = threads;
        return n > 0 ? n : PROCESSORS;
    }

    /**
     * Sets the threads native engines use from the next {@code forward} on; 0 means all processors.
     *
     * @throws IllegalArgumentException if {@code n < 0}
     */
    public static void setThreads(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = all processors): threads=" + n);
        }
        threads = n;
    }

    /** Engine names in the order {@code auto} tries them. */
    public static List<String> engineOrder() {
        return Arrays.stream(value(ENGINES, "naive").split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
