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

/** close() waits for calls in flight before it frees the engine's resources, and frees them exactly once. */
class ConvPlanCloseTest {
    private static final ConvSpec SPEC = ConvSpec.builder().input(1, 2, 2, 1).kernel(1, 1, 1).build();

    /** A kernel whose forward blocks until released, and which counts its closes. */
    private static final class BlockingKernel implements ConvKernel {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger closes = new AtomicInteger();
        volatile boolean closedWhileRunning;
        volatile boolean running;

        @Override
        public void forward(MemorySegment x, MemorySegment y) {
            running = true;
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            running = false;
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
}
