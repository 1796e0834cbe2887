package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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
    void aFailureIsRethrownOnlyOnceEveryChunkHasFinished() {
        CountDownLatch slowDone = new CountDownLatch(1);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> Workers.run(2, 2,
                (from, to) -> {
                    if (from == 0) {
                        throw new IllegalStateException("chunk 0 failed");
                    }
                    finishSlowly(slowDone);
                }));
        assertEquals("chunk 0 failed", thrown.getMessage());
        assertEquals(0, slowDone.getCount(), "the slow chunk should have finished before run returned");
    }

    @Test
    void anErrorInAWorkerIsRethrownOnlyOnceTheOtherChunksHaveFinished() {
        CountDownLatch slowDone = new CountDownLatch(1);
        OutOfMemoryError thrown = assertThrows(OutOfMemoryError.class, () -> Workers.run(3, 3, (from, to) -> {
            if (from == 1) {
                throw new OutOfMemoryError("chunk 1 failed");
            }
            if (from == 2) {
                finishSlowly(slowDone);
            }
        }));
        assertEquals("chunk 1 failed", thrown.getMessage());
        assertEquals(0, slowDone.getCount(), "the slow chunk should have finished before run returned");
    }

    @Test
    void closedSegmentsAndOnesConfinedToAnotherThreadAreNotShared() throws Exception {
        Arena closed = Arena.ofConfined();
        MemorySegment dead = closed.allocate(16);
        closed.close();
        assertSame(dead, Workers.shareable(dead));
        Workers.Shared none = Workers.share(2, dead, dead);
        assertEquals(1, none.threads(), "a closed segment keeps the forward on the calling thread");
        assertSame(dead, none.x());
        MemorySegment[] foreign = new MemorySegment[1];
        CountDownLatch made = new CountDownLatch(1), checked = new CountDownLatch(1);
        Thread owner = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                foreign[0] = arena.allocate(16);
                made.countDown();
                checked.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        made.await();
        try {
            assertSame(foreign[0], Workers.shareable(foreign[0]));
        } finally {
            checked.countDown();
            owner.join();
        }
    }

    @Test
    void aConfinedSegmentIsSharedThroughAViewOfTheSameMemory() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment confined = arena.allocate(64, 8);
            confined.set(ValueLayout.JAVA_LONG, 8, 42);
            assertFalse(Workers.shared(confined, confined));
            MemorySegment view = Workers.shareable(confined);
            assertTrue(Workers.shared(view, view), "the view should be readable from other threads");
            assertEquals(confined.address(), view.address());
            assertEquals(confined.byteSize(), view.byteSize());
            long[] seen = new long[1];
            Thread other = new Thread(() -> seen[0] = view.get(ValueLayout.JAVA_LONG, 8));
            other.start();
            other.join();
            assertEquals(42, seen[0]);
            Workers.Shared one = Workers.share(1, confined, confined);
            assertEquals(1, one.threads());
            // one thread gets the view too, so that compiled kernels meet one kind of segment at any thread count
            assertTrue(Workers.shared(one.x(), one.y()), "a one-thread call computes on the view as well");
            assertEquals(confined.address(), one.x().address());
            Workers.Shared two = Workers.share(2, confined, confined);
            assertEquals(2, two.threads());
            assertTrue(Workers.shared(two.x(), two.y()), "two threads get views the workers can read");
        }
        MemorySegment heap = MemorySegment.ofArray(new float[4]);
        assertSame(heap, Workers.shareable(heap));
        try (Arena shared = Arena.ofShared()) {
            MemorySegment s = shared.allocate(16);
            assertSame(s, Workers.shareable(s));
        }
    }

    /** A chunk that takes 200 ms and then counts {@code done} down: run must not return before it. */
    private static void finishSlowly(CountDownLatch done) {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        done.countDown();
    }
}
