package io.github.conv4j;

import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code auto}'s plan while the engines it prefers are still loading their natives: the plan is made on a
 * background thread, and until it is ready a small call computes on {@code naive} (planned at once) while a
 * larger one waits for it.
 *
 * <p>Why: loading oneDNN's natives and making its first primitive takes about 380 ms of a fresh JVM's first
 * result (bench/results/first-result-*.md), longer than naive takes for a small convolution. The trade-off: the
 * first calls of a JVM may compute on naive, so their results can differ from later calls' by rounding (both
 * within the tolerance every engine is held to); {@value #PROPERTY}{@code =false} turns this off.
 */
final class BackgroundPlan implements ConvKernel {
    /** System property: whether {@code auto} plans in the background while natives load (default true). */
    static final String PROPERTY = "conv4j.auto.background";
    /**
     * The most FLOPs a call computes on naive while the plan is made: about 10 ms for naive in a cold JVM, far
     * less than the wait; a larger call waits (a choice, not measured beyond the first-result shape).
     */
    static final double INTERIM_FLOPS = 2e6;

    /** One thread, made when needed and gone when idle: it never keeps the JVM alive after its work is done. */
    private static final ExecutorService PLANNER = new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "conv4j-auto-planner");
                // not a daemon: the JVM must not exit while native code loads or builds a primitive in it
                t.setDaemon(false);
                return t;
            });

    /** An engine's name and its kernel. */
    record Planned(String engine, ConvKernel kernel) {
    }

    private final ConvSpec spec;
    private final ConvKernel interim;
    private final CompletableFuture<Planned> planned;
    private volatile Planned ready;

    /** Starts {@code plan} on the planner thread; {@code interim} (naive's kernel) serves small calls till then. */
    BackgroundPlan(ConvSpec spec, ConvKernel interim, Supplier<Planned> plan) {
        this.spec = spec;
        this.interim = interim;
        this.planned = CompletableFuture.supplyAsync(plan, PLANNER);
    }

    static boolean enabled() {
        return Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    }

    @Override
    public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
        Planned p = ready;
        if (p == null) {
            if (!planned.isDone() && spec.flops() / spec.mb() * batch <= INTERIM_FLOPS) {
                interim.forward(x, y, batch, threads);
                return;
            }
            p = await();
        }
        p.kernel().forward(x, y, batch, threads);
    }

    /** The plan made in the background, waiting for it if needed. */
    Planned await() {
        Planned p = ready;
        if (p != null) {
            return p;
        }
        try {
            p = planned.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error r) {
                throw r;
            }
            throw e;
        }
        ready = p;
        return p;
    }

    /** Whether the background plan is made (or failed). */
    boolean done() {
        return planned.isDone();
    }

    @Override
    public String implementation() {
        return await().kernel().implementation();
    }

    /** Closes naive's kernel now, and the background plan's when it is made (now, if it is). */
    @Override
    public void close() {
        interim.close();
        planned.whenComplete((p, failure) -> {
            if (p != null) {
                p.kernel().close();
            }
        });
    }
}
