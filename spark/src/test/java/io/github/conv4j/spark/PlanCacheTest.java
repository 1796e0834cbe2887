package io.github.conv4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class PlanCacheTest {
    private static final ConvSpec SPEC = ConvSpec.builder().input(1, 5, 5, 2).kernel(3, 3, 2).build();

    /** A supplier that counts its calls and takes a while, so that callers racing for one key overlap. */
    private static Supplier<ConvPlan> slowPlan(AtomicInteger calls) {
        return () -> {
            calls.incrementAndGet();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Conv2d.plan(Conv2d.NAIVE, SPEC, Tensor.of(new float[(int) SPEC.weightElements()],
                    SPEC.weightShape()), null);
        };
    }

    @Test
    void concurrentCallersForOneKeyShareOnePlan() throws Exception {
        PlanCache.Key key = new PlanCache.Key("plan-cache-test-concurrent", 0);
        AtomicInteger calls = new AtomicInteger();
        int before = PlanCache.plansMade();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<ConvPlan>> plans = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                plans.add(pool.submit(() -> {
                    start.await();
                    return PlanCache.plan(key, slowPlan(calls));
                }));
            }
            start.countDown();
            ConvPlan first = plans.get(0).get();
            for (Future<ConvPlan> p : plans) {
                assertSame(first, p.get(), "every caller gets the one plan");
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, calls.get(), "plans made for one key by " + threads + " concurrent callers");
        assertEquals(before + 1, PlanCache.plansMade());
        assertEquals("naive", PlanCache.engines().get(key));
    }

    @Test
    void otherBroadcastsAndApplicationsGetTheirOwnPlans() {
        AtomicInteger calls = new AtomicInteger();
        ConvPlan a = PlanCache.plan(new PlanCache.Key("plan-cache-test-keys", 1), slowPlan(calls));
        ConvPlan b = PlanCache.plan(new PlanCache.Key("plan-cache-test-keys", 2), slowPlan(calls));
        ConvPlan c = PlanCache.plan(new PlanCache.Key("plan-cache-test-other", 1), slowPlan(calls));
        assertSame(a, PlanCache.plan(new PlanCache.Key("plan-cache-test-keys", 1), slowPlan(calls)));
        assertNotSame(a, b);
        assertNotSame(a, c);
        assertEquals(3, calls.get());
    }
}
