package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.ConvKernel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link BackgroundPlan} in one JVM, with the plan made by a test supplier: small calls go to the interim kernel
 * while the plan is made, a failed plan is thrown by the calls that need it and by {@code engine()}, and close
 * frees a plan made after it.
 */
class BackgroundPlanFailureTest {
    private static final ConvSpec SPEC = ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1).build();

    /** naive's kernel for {@link #SPEC} with all-ones weights. */
    private static ConvKernel naive() {
        Tensor w = Tensor.of(new float[] {1, 1, 1, 1}, SPEC.weightShape());
        return Conv2d.engine(Conv2d.NAIVE).plan(SPEC, w.data(), null, 1);
    }

    @Test
    void aFailedPlanIsThrownByTheCallsThatNeedItAndByEngine() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ConvPlan plan = new ConvPlan(SPEC, Conv2d.AUTO, new BackgroundPlan(SPEC, naive(), () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("no engine could plan it");
        }));
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y = new float[4];
        // while the plan is being made, a small call computes on the interim kernel
        assertTrue(plan.planning());
        plan.forward(x, y);
        assertArrayEquals(new float[] {12, 16, 24, 28}, y);
        release.countDown();
        IllegalStateException e = assertThrows(IllegalStateException.class, plan::engine);
        assertEquals("no engine could plan it", e.getMessage());
        IllegalStateException f = assertThrows(IllegalStateException.class, () -> plan.forward(x, y));
        assertEquals("no engine could plan it", f.getMessage());
        plan.close();
    }

    @Test
    void aPlanMadeAfterCloseIsClosedWhenMade() throws Exception {
        CountDownLatch release = new CountDownLatch(1), closed = new CountDownLatch(1);
        AtomicInteger closes = new AtomicInteger();
        ConvKernel made = new ConvKernel() {
            @Override
            public void forward(java.lang.foreign.MemorySegment x, java.lang.foreign.MemorySegment y, int batch,
                    int threads) {
            }

            @Override
            public void close() {
                closes.incrementAndGet();
                closed.countDown();
            }
        };
        ConvPlan plan = new ConvPlan(SPEC, Conv2d.AUTO, new BackgroundPlan(SPEC, naive(), () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new BackgroundPlan.Planned("test", made);
        }));
        plan.close();
        assertEquals(0, closes.get(), "nothing to close before the plan is made");
        release.countDown();
        assertTrue(closed.await(10, TimeUnit.SECONDS), "the plan made after close was not closed");
        assertEquals(1, closes.get());
    }
}
