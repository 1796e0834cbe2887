package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * close() waits for calls in flight before it frees the engine's resources, frees them exactly once, and
 * returns in no thread before they are freed.
 */
class ConvPlanCloseTest {
    private static final ConvSpec SPEC = ConvSpec.builder().input(1, 2, 2, 1).kernel(1, 1, 1).build();

    /** A kernel whose forward blocks until released, and which counts its closes. */
    private static final class BlockingKernel implements ConvKernel {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger closes = new AtomicInteger();
        volatile boolean closedWhileRunning;
        volatile boolean running;
        volatile boolean finished;

        @Override
        public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
            running = true;
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running = false;
            finished = true;
        }

        @Override
        public void close() {
            closedWhileRunning |= running;
            closes.incrementAndGet();
        }
    }

    @Test
    void closeWaitsForCallsInFlight() throws Exception {
        BlockingKernel kernel = new BlockingKernel();
        ConvPlan plan = new ConvPlan(SPEC, "blocking", kernel);
        // threads of its own: the common pool may have a single worker on a small machine
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> call = pool.submit(() -> plan.forward(new float[4], new float[4]));
            assertTrue(kernel.entered.await(10, TimeUnit.SECONDS));
            Future<?> closing = pool.submit(plan::close);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!plan.isClosed() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(plan.isClosed(), "new calls are refused as soon as close begins");
            assertThrows(IllegalStateException.class, () -> plan.forward(new float[4], new float[4]));
            Thread.sleep(50);
            assertFalse(closing.isDone(), "close returned while a forward was still computing");
            assertEquals(0, kernel.closes.get());
            kernel.release.countDown();
            call.get(10, TimeUnit.SECONDS);
            closing.get(10, TimeUnit.SECONDS);
            assertEquals(1, kernel.closes.get());
            assertFalse(kernel.closedWhileRunning);
            plan.close();
            assertEquals(1, kernel.closes.get(), "close is idempotent");
        } finally {
            kernel.release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void everyConcurrentCloseWaitsForCallsInFlight() throws Exception {
        BlockingKernel kernel = new BlockingKernel();
        ConvPlan plan = new ConvPlan(SPEC, "blocking", kernel);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        // what each closer saw when its close() returned
        boolean[] forwardFinished = new boolean[2];
        int[] closes = new int[2];
        boolean[] interrupted = new boolean[2];
        Thread[] closers = new Thread[2];
        try {
            Future<?> call = pool.submit(() -> plan.forward(new float[4], new float[4]));
            assertTrue(kernel.entered.await(10, TimeUnit.SECONDS));
            for (int i = 0; i < 2; i++) {
                int closer = i;
                closers[i] = daemon("closer-" + i, () -> {
                    plan.close();
                    forwardFinished[closer] = kernel.finished;
                    closes[closer] = kernel.closes.get();
                    interrupted[closer] = Thread.currentThread().isInterrupted();
                });
                closers[i].start();
            }
            // both are inside close(), parked, before the forward may finish (or one returned early: the bug);
            // an interrupt does not end the wait either, and is kept for the caller
            for (Thread t : closers) {
                awaitParkedIn(t, "close");
                t.interrupt();
            }
            for (Thread t : closers) {
                awaitParkedIn(t, "close");
                assertTrue(t.isAlive(), t.getName() + " returned from close() while a forward was computing");
            }
            kernel.release.countDown();
            call.get(10, TimeUnit.SECONDS);
            for (Thread t : closers) {
                t.join(TimeUnit.SECONDS.toMillis(10));
                assertFalse(t.isAlive(), t.getName() + " still in close() after the forward finished");
            }
            for (int i = 0; i < 2; i++) {
                assertTrue(forwardFinished[i], "closer " + i + " returned before the forward finished");
                assertEquals(1, closes[i], "closer " + i + " returned before the kernel was closed once");
                assertTrue(interrupted[i], "closer " + i + " lost its interrupt");
            }
            assertFalse(kernel.closedWhileRunning);
        } finally {
            kernel.release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void closersReturnWhenFreeingFails() throws Exception {
        CountDownLatch freeing = new CountDownLatch(1);
        CountDownLatch fail = new CountDownLatch(1);
        AtomicInteger closes = new AtomicInteger();
        ConvKernel kernel = new ConvKernel() {
            @Override
            public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
            }

            @Override
            public void close() {
                closes.incrementAndGet();
                freeing.countDown();
                try {
                    fail.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("freeing failed");
            }
        };
        ConvPlan plan = new ConvPlan(SPEC, "failing", kernel);
        RuntimeException[] thrown = new RuntimeException[2];
        Thread[] closers = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int closer = i;
            closers[i] = daemon("closer-" + i, () -> {
                try {
                    plan.close();
                } catch (RuntimeException e) {
                    thrown[closer] = e;
                }
            });
        }
        try {
            closers[0].start();
            assertTrue(freeing.await(10, TimeUnit.SECONDS));
            closers[1].start();
            awaitParkedIn(closers[1], "close");
            assertTrue(closers[1].isAlive(), "the second close() returned while the first was still freeing");
            fail.countDown();
            for (Thread t : closers) {
                t.join(TimeUnit.SECONDS.toMillis(10));
                assertFalse(t.isAlive(), t.getName() + " hangs in close() after freeing failed in another thread");
            }
        } finally {
            fail.countDown();
        }
        assertEquals("freeing failed", thrown[0].getMessage(), "the thread that freed gets the failure");
        assertEquals(null, thrown[1], "the waiting thread returns");
        assertEquals(1, closes.get());
        plan.close();
        assertEquals(1, closes.get(), "close is idempotent after a failure too");
        assertThrows(IllegalStateException.class, () -> plan.forward(new float[4], new float[4]));
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);     // a close() that never returns fails the test, not the JVM's exit
        return t;
    }

    /**
     * Waits until {@code t} has returned, or is parked inside a method called {@code method} of ConvPlan: then
     * it can only move on when what it waits for happens.
     */
    private static void awaitParkedIn(Thread t, String method) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Thread.State state = t.getState();
            if (state == Thread.State.TERMINATED) {
                return;
            }
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                for (StackTraceElement f : t.getStackTrace()) {
                    if (f.getClassName().equals(ConvPlan.class.getName()) && f.getMethodName().equals(method)) {
                        return;
                    }
                }
            }
            Thread.sleep(1);
        }
        throw new AssertionError(t.getName() + " did not reach ConvPlan." + method + " in 10 s: " + t.getState());
    }
}
