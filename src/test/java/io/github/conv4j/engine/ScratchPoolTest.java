package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScratchPoolTest {
    @Test
    void makesABufferOnlyWhenNoneIsIdleAndHandsOutTheLastReturnedFirst() {
        AtomicInteger made = new AtomicInteger();
        ScratchPool<int[]> pool = new ScratchPool<>(() -> new int[] {made.incrementAndGet()});
        int[] a = pool.take(), b = pool.take();
        assertEquals(2, made.get());
        pool.give(a);
        pool.give(b);
        assertSame(b, pool.take());
        assertSame(a, pool.take());
        assertEquals(2, made.get());
        pool.give(a);
        pool.clear();
        assertEquals(0, pool.idle());
        pool.take();
        assertEquals(3, made.get());
    }

    @Test
    void useGivesTheBufferBackEvenWhenTheBodyThrows() {
        AtomicInteger made = new AtomicInteger();
        ScratchPool<int[]> pool = new ScratchPool<>(() -> new int[] {made.incrementAndGet()});
        int[][] seen = new int[1][];
        pool.use(b -> seen[0] = b);
        assertEquals(1, pool.idle());
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> pool.use(b -> {
                    assertSame(seen[0], b);
                    throw new IllegalStateException("body failed");
                }));
        assertEquals("body failed", e.getMessage());
        assertEquals(1, pool.idle());
        assertEquals(1, made.get());
    }

    @Test
    void concurrentWorkersKeepAsManyBuffersAsWereInUseTogether() throws InterruptedException {
        AtomicInteger made = new AtomicInteger();
        ScratchPool<Object> pool = new ScratchPool<>(() -> {
            made.incrementAndGet();
            return new Object();
        });
        int workers = 4;
        for (int call = 0; call < 20; call++) {
            CountDownLatch allHold = new CountDownLatch(workers);
            Thread[] threads = new Thread[workers];
            for (int t = 0; t < workers; t++) {
                threads[t] = new Thread(() -> {
                    Object o = pool.take();
                    allHold.countDown();
                    try {
                        allHold.await();   // every worker holds one at once
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    pool.give(o);
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        assertEquals(workers, made.get(), "buffers made over 20 calls of 4 workers each");
        assertEquals(workers, pool.idle());
    }
}
