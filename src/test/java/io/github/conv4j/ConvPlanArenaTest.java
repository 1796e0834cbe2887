package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Another thread closes the shared arena of a forward's input and output while the forward computes, on every
 * engine: the close throws {@link IllegalStateException} and the forward's result equals naive's, or the close
 * succeeds before the engine starts and the forward throws {@link IllegalStateException}. Never a crash, never
 * garbage, never an engine computing on freed memory.
 *
 * <p>The engine's kernel is wrapped to mark when it starts and when it is done (the mark taken under a lock the
 * closer holds while it closes), so "the close succeeded while the engine computed" is an exact observation,
 * not a guess from timing. Inputs are small integers, so results are exact; the engines split the forward among
 * two workers, so the hold is tested while workers run.
 */
class ConvPlanArenaTest {
    /** Attempts per engine at closing once the kernel is known to compute, and right as the call starts. */
    private static final int ATTEMPTS = 8, RACES = 3;
    /** Naive's output for each spec (the inputs are drawn from one seed), computed once: it takes a while. */
    private static final Map<ConvSpec, float[]> EXPECTED = new HashMap<>();

    /** What one forward's kernel did: entered, and done (under this object's lock). */
    private static final class Attempt {
        final CountDownLatch entered = new CountDownLatch(1);
        boolean done;
    }

    /** The engine's kernel, reporting to the current attempt. */
    private static final class Watched implements ConvKernel {
        final ConvKernel inner;
        volatile Attempt attempt;

        Watched(ConvKernel inner) {
            this.inner = inner;
        }

        @Override
        public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
            Attempt a = attempt;
            a.entered.countDown();
            inner.forward(x, y, batch, threads);
            synchronized (a) {
                a.done = true;
            }
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @TestFactory
    List<DynamicTest> closingSharedArenaDuringForward() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Conv2d.engines()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> closeDuringForward(e)));
        }
        return tests;
    }

    /** A batch that makes one forward take milliseconds: naive computes about 1 GFLOP/s, the others 100. */
    private static ConvSpec spec(ConvEngine engine) {
        int mb = engine.name().equals(Conv2d.NAIVE) ? 1 : 8;
        return ConvSpec.builder().input(mb, 32, 32, 32).kernel(3, 3, 64).padding(Padding.SAME).bias(true).build();
    }

    private static void closeDuringForward(ConvEngine engine) throws Exception {
        Availability a = engine.probe();
        assumeTrue(a.available(), () -> engine.name() + " is unavailable here: " + a.reason());
        ConvSpec spec = spec(engine);
        assertEquals(Optional.empty(), engine.declines(spec), engine.name());
        SplittableRandom rnd = new SplittableRandom(7);
        int threadsBefore = Settings.threads();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Settings.setThreads(2);
        try (Arena own = Arena.ofConfined()) {
            Tensor x = Tensors.smallIntegers(own, spec.dtype(), rnd, spec.inputShape());
            Tensor w = Tensors.smallIntegers(own, spec.dtype(), rnd, spec.weightShape());
            Tensor b = Tensors.smallIntegers(own, spec.dtype(), rnd, spec.oc());
            float[] expected = EXPECTED.computeIfAbsent(spec, s -> {
                Tensor want = Tensor.allocate(own, s.dtype(), s.outputShape());
                Conv2d.forward(Conv2d.NAIVE, s, x, w, b, want);
                return want.toFloatArray();
            });
            Watched kernel = new Watched(engine.plan(spec, w.data(), b.data(), 2));
            try (ConvPlan plan = new ConvPlan(spec, engine.name(), kernel)) {
                int caught = 0;
                for (int i = 0; i < ATTEMPTS && caught < 2; i++) {
                    caught += attempt(plan, kernel, x, expected, pool, true) ? 1 : 0;
                }
                assertTrue(caught > 0, engine.name() + ": the closer never found the kernel computing in "
                        + ATTEMPTS + " forwards of " + spec);
                for (int i = 0; i < RACES; i++) {
                    attempt(plan, kernel, x, expected, pool, false);
                }
            }
        } finally {
            Settings.setThreads(threadsBefore);
            pool.shutdownNow();
        }
    }

    /**
     * One forward on a fresh shared arena that another thread closes: once the kernel has started if
     * {@code whileComputing}, else as soon as the call is submitted. Returns whether the close was tried while
     * the kernel computed.
     */
    private static boolean attempt(ConvPlan plan, Watched kernel, Tensor xIn, float[] expected,
            ExecutorService pool, boolean whileComputing) throws Exception {
        String what = plan.engine() + (whileComputing ? " while computing" : " as the call starts");
        Arena arena = Arena.ofShared();
        try {
            ConvSpec spec = plan.spec();
            Tensor x = Tensor.allocate(arena, spec.dtype(), spec.inputShape());
            x.data().copyFrom(xIn.data());
            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            Tensors.poison(y);
            Attempt a = new Attempt();
            kernel.attempt = a;
            Future<Throwable> call = pool.submit(() -> {
                try {
                    plan.forward(x, y);
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            if (whileComputing) {
                while (!a.entered.await(10, TimeUnit.MILLISECONDS)) {
                    if (call.isDone()) {
                        throw new AssertionError(what + ": the forward ended before its kernel started",
                                call.get());
                    }
                }
            }
            boolean tried = false, closed = false;
            synchronized (a) {
                if (!a.done) {
                    tried = true;
                    try {
                        arena.close();
                        closed = true;
                    } catch (IllegalStateException e) {
                        // refused: the forward holds the arena
                    }
                }
            }
            Throwable thrown = call.get(60, TimeUnit.SECONDS);
            if (closed) {
                assertEquals(1, a.entered.getCount(), what + ": the arena closed while the kernel computed on it");
                assertInstanceOf(IllegalStateException.class, thrown,
                        what + ": the forward on a closed arena did not throw IllegalStateException");
                return false;
            }
            assertNull(thrown, what + ": the forward failed though its arena stayed open");
            assertArrayEquals(expected, y.toFloatArray(), what + ": the result differs from naive's");
            return tried && a.entered.getCount() == 0;
        } finally {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }
}
