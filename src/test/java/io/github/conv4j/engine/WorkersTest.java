package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkersTest {

    @Test
    void everyJobRunsOnceInContiguousChunksAndTheCallerTakesTheFirst() {
        int jobs = 10;
        AtomicIntegerArray runs = new AtomicIntegerArray(jobs);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        Thread caller = Thread.currentThread();
        Thread[] firstChunk = new Thread[1];
        Workers.run(3, jobs, (from, to) -> {
            threads.add(Thread.currentThread());
            if (from == 0) {
                firstChunk[0] = Thread.currentThread();
            }
            for (int j = from; j < to; j++) {
                runs.incrementAndGet(j);
            }
        });
        int[] want = new int[jobs];
        java.util.Arrays.fill(want, 1);
        int[] got = new int[jobs];
        for (int j = 0; j < jobs; j++) {
            got[j] = runs.get(j);
        }
        assertArrayEquals(want, got);
        assertSame(caller, firstChunk[0]);
    }

    @Test
    void fewerJobsThanThreadsAndOneThreadStayOnTheCaller() {
        Thread caller = Thread.currentThread();
        Workers.run(1, 5, (from, to) -> {
            assertEquals(0, from);
            assertEquals(5, to);
            assertSame(caller, Thread.currentThread());
        });
        Workers.run(8, 1, (from, to) -> assertSame(caller, Thread.currentThread()));
    }

    @Test
    void aFailureIsRethrownOnlyOnceEveryChunkHasFinished() throws InterruptedException {
        CountDownLatch slowDone = new CountDownLatch(1);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Workers.run(2, 2,
                (from, to) -> {
                    if (from == 0) {
                        throw new IllegalStateException("chunk 0 failed");
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    slowDone.countDown();
                }));
        assertEquals("chunk 0 failed", thrown.getMessage());
        // the slow chunk finished before run returned, not after
        assertEquals(0, slowDone.getCount());
        slowDone.await(1, TimeUnit.SECONDS);
    }
}
