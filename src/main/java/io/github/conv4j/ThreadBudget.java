package io.github.conv4j;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads one {@code forward} may use: decided by the plan once per call and passed down to the engine,
 * which never reads global state for it.
 *
 * <p>A call gets {@link Settings#threads()} shared out among the forward calls computing at that moment in this
 * JVM, all plans together (so many calling threads do not oversubscribe the cores: each gets
 * {@code threads / calls}, at least one), and no more than one thread per {@link Settings#minFlopsPerThread()}
 * operations of its work.
 */
final class ThreadBudget {
    /** Forward calls computing now, all plans together. */
    private static final AtomicInteger IN_FLIGHT = new AtomicInteger();

    private ThreadBudget() {
    }

    /** Counts a call in and returns its budget; the caller must {@link #exit()} once the engine returned. */
    static int enter(ConvSpec spec) {
        int calls = IN_FLIGHT.incrementAndGet();
        return of(spec, Settings.threads(), calls, Settings.minFlopsPerThread());
    }

    /** Counts a call out. */
    static void exit() {
        IN_FLIGHT.getAndDecrement();
    }

    /** The budget of a call that would compute alone now: what a plan prepares for. */
    static int alone(ConvSpec spec) {
        return of(spec, Settings.threads(), 1, Settings.minFlopsPerThread());
    }

    /**
     * {@code threads} shared among {@code calls} calls, at least one each, and at most one per {@code minWork}
     * operations of {@code spec} (no limit when {@code minWork} is 0).
     */
    static int of(ConvSpec spec, int threads, int calls, double minWork) {
        int n = Math.max(1, threads / Math.max(1, calls));
        if (minWork > 0) {
            n = (int) Math.min(n, Math.max(1, (long) (spec.flops() / minWork)));
        }
        return n;
    }
}
