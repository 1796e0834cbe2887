package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How many threads one forward gets: the setting, shared among calls in flight, bounded by the work; decided by
 * the plan per call and handed to the kernel with it.
 */
class ThreadBudgetTest {
    private static final ConvSpec BIG = ConvSpec.builder().input(8, 56, 56, 64).kernel(3, 3, 64).build();
    private static final ConvSpec TINY = ConvSpec.builder().input(2, 12, 10, 3).kernel(3, 3, 16).stride(2).build();

    @AfterEach
    void reset() {
        Settings.setThreads(0);
    }

    @Test
    void sharesThreadsAmongCallsInFlight() {
        assertEquals(8, ThreadBudget.of(BIG, 8, 1, 1e6));
        assertEquals(4, ThreadBudget.of(BIG, 8, 2, 1e6));
        assertEquals(2, ThreadBudget.of(BIG, 8, 3, 1e6));
        assertEquals(1, ThreadBudget.of(BIG, 8, 9, 1e6), "never below one");
        assertEquals(8, ThreadBudget.of(BIG, 8, 0, 1e6), "no calls counted is one call");
    }

    @Test
    void tinyWorkStaysOnOneThread() {
        // 34,560 FLOPs: far below one thread's worth (conv4j.thread.min.flops, default 1,000,000)
        assertEquals(1, ThreadBudget.of(TINY, 8, 1, 1e6));
        ConvSpec mid = TINY.toBuilder().input(200, 12, 10, 3).build();   // 3.5 MFLOP: three threads' worth
        assertEquals(3, ThreadBudget.of(mid, 8, 1, 1e6));
        assertEquals(8, ThreadBudget.of(TINY, 8, 1, 0), "0 means no work limit");
    }

    @Test
    void aloneFollowsTheSetting() {
        Settings.setThreads(6);
        assertEquals(Math.min(6, (long) (BIG.flops() / Settings.minFlopsPerThread())), ThreadBudget.alone(BIG));
        Settings.setThreads(1);
        assertEquals(1, ThreadBudget.alone(BIG));
    }

    /** Records the budget each call brings, and holds the first call until the second one has arrived. */
    private static final class Recording implements ConvKernel {
        final List<Integer> budgets = new CopyOnWriteArrayList<>();
        final CountDownLatch firstIn = new CountDownLatch(1), secondIn = new CountDownLatch(1);

        @Override
        public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
            budgets.add(threads);
            if (firstIn.getCount() > 0) {
                firstIn.countDown();
                try {
                    assertTrue(secondIn.await(30, TimeUnit.SECONDS), "the second call never arrived");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            } else {
                secondIn.countDown();
            }
        }

        @Override
        public void close() {
        }
    }

    @Test
    void concurrentCallsOnOnePlanReceiveTheirOwnBudgets() throws Exception {
        Settings.setThreads(8);
        Recording kernel = new Recording();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ConvPlan plan = new ConvPlan(BIG, "recording", kernel)) {
            float[] x = new float[(int) BIG.inputElements()];
            Future<?> first = pool.submit(() -> plan.forward(x, new float[(int) BIG.outputElements()]));
            assertTrue(kernel.firstIn.await(30, TimeUnit.SECONDS), "the first call never reached the kernel");
            // the first call is still computing: this one shares the 8 threads with it
            plan.forward(x, new float[(int) BIG.outputElements()]);
            first.get(30, TimeUnit.SECONDS);
            assertEquals(List.of(8, 4), kernel.budgets, "a lone call gets all threads, a second one at once half");
            // the setting changes the next call's budget, with no new plan
            Settings.setThreads(3);
            plan.forward(x, new float[(int) BIG.outputElements()]);
            assertEquals(List.of(8, 4, 3), kernel.budgets);
        } finally {
            pool.shutdownNow();
        }
    }
}
