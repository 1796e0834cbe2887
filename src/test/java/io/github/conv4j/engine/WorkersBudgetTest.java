package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The thread budget of {@link Workers#run}: a budget beyond the machine's processors grows the pool so that all
 * of its chunks really run at once, and concurrent calls with different budgets each stay within their own.
 */
class WorkersBudgetTest {

    /** Checks that every job of {@code runs} ran exactly once. */
    private static void eachOnce(AtomicIntegerArray runs, String what) {
        for (int j = 0; j < runs.length(); j++) {
            assertEquals(1, runs.get(j), "job " + j + " ran " + runs.get(j) + " times: " + what);
        }
    }

    @Test
    void aBudgetAboveTheProcessorsGrowsThePoolAndAllItsChunksRunAtOnce() {
        // above the processors and above what earlier calls in this JVM may have grown the pool to
        int budget = Math.max(Runtime.getRuntime().availableProcessors(), Workers.poolParallelism() + 1) + 3;
        int jobs = 3 * budget + 1;
        AtomicIntegerArray runs = new AtomicIntegerArray(jobs);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        // every chunk waits for all the others: it passes only if the pool runs budget - 1 chunks besides the caller
        CyclicBarrier together = new CyclicBarrier(budget);
        Workers.run(budget, jobs, (from, to) -> {
            threads.add(Thread.currentThread());
            for (int j = from; j < to; j++) {
                runs.incrementAndGet(j);
            }
            try {
                together.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("chunks " + from + ".." + to + " of budget " + budget
                        + " did not all run at once; pool parallelism " + Workers.poolParallelism(), e);
            }
        });
        assertTrue(Workers.poolParallelism() >= budget - 1,
                "pool parallelism " + Workers.poolParallelism() + " after a budget of " + budget);
        assertEquals(budget, threads.size(), "distinct threads for a budget of " + budget);
        eachOnce(runs, "budget " + budget);
    }

    /** One call's view of its own chunks: how many threads were inside at once, and which. */
    private static final class Call {
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger mostInside = new AtomicInteger();
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();
        final AtomicIntegerArray runs;

        Call(int jobs) {
            runs = new AtomicIntegerArray(jobs);
        }

        void chunk(int from, int to) {
            threads.add(Thread.currentThread());
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                for (int j = from; j < to; j++) {
                    runs.incrementAndGet(j);
                    // long enough that the chunks of a call overlap, so a call over its budget would be seen
                    Thread.sleep(3);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } finally {
                inside.decrementAndGet();
            }
        }
    }

    @Test
    void concurrentCallsWithDifferentBudgetsEachStayWithinTheirOwn() throws Exception {
        // a pool with room for more than any one budget below, so only the budget can hold a call back
        Workers.run(10, 10, (from, to) -> { });
        int[] budgets = {1, 2, 3, 5};
        int rounds = 4, jobs = 23;
        ExecutorService callers = Executors.newFixedThreadPool(budgets.length);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Call>>> results = new ArrayList<>();
            for (int budget : budgets) {
                results.add(callers.submit(() -> {
                    start.await();
                    List<Call> calls = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        Call call = new Call(jobs);
                        Workers.run(budget, jobs, call::chunk);
                        calls.add(call);
                    }
                    return calls;
                }));
            }
            start.countDown();
            int overlapped = 0;
            for (int b = 0; b < budgets.length; b++) {
                int budget = budgets[b];
                List<Call> calls = results.get(b).get(60, TimeUnit.SECONDS);
                for (int r = 0; r < rounds; r++) {
                    Call call = calls.get(r);
                    String what = "budget " + budget + ", round " + r;
                    eachOnce(call.runs, what);
                    if (call.mostInside.get() > budget) {
                        fail(call.mostInside.get() + " threads at once in a call: " + what);
                    }
                    if (call.threads.size() > budget) {
                        fail(call.threads.size() + " distinct threads in a call: " + what);
                    }
                    overlapped += call.mostInside.get() > 1 ? 1 : 0;
                }
            }
            // the bound means something only if the calls with room to spread did spread
            assertTrue(overlapped > 0, "no call ever ran two chunks at once");
        } finally {
            callers.shutdownNow();
            assertTrue(callers.awaitTermination(60, TimeUnit.SECONDS));
        }
    }
}
