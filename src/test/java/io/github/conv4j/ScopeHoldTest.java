package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** A forward holds a shared arena open while its kernel computes; the kernel's failures come out unchanged. */
class ScopeHoldTest {
    private static final ConvSpec SPEC = ConvSpec.builder().input(1, 2, 2, 1).kernel(1, 1, 1).build();
    private static final long BYTES = 16;

    /** A kernel that runs a body and is closed by nobody it cares about. */
    private static ConvKernel kernel(BiConsumer<MemorySegment, MemorySegment> body) {
        return new ConvKernel() {
            @Override
            public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
                body.accept(x, y);
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void onlySegmentsAnotherThreadCanCloseAreHeld() {
        assertFalse(ScopeHold.needed(MemorySegment.ofArray(new float[4])), "heap");
        assertFalse(ScopeHold.needed(Arena.global().allocate(BYTES)), "global");
        assertFalse(ScopeHold.needed(MemorySegment.ofAddress(Arena.global().allocate(BYTES).address())
                .reinterpret(BYTES)), "a global view of native memory");
        assertFalse(ScopeHold.needed(Arena.ofAuto().allocate(BYTES)), "automatic");
        try (Arena confined = Arena.ofConfined(); Arena shared = Arena.ofShared()) {
            assertFalse(ScopeHold.needed(confined.allocate(BYTES)), "confined");
            assertTrue(ScopeHold.needed(shared.allocate(BYTES)), "shared");
            assertTrue(ScopeHold.needed(shared.allocate(BYTES).asSlice(4)), "a slice of a shared segment");
        }
        assertTrue(ScopeHold.available(), "the tests run with native access");
    }

    @Test
    void sharedArenaCannotCloseWhileTheKernelComputes() throws Exception {
        CountDownLatch entered = new CountDownLatch(1), release = new CountDownLatch(1);
        ConvPlan plan = new ConvPlan(SPEC, "blocking", kernel((x, y) -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            y.set(ValueLayout.JAVA_FLOAT, 0, 42f);
        }));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Arena arena = Arena.ofShared();
        try (Arena own = Arena.ofConfined()) {
            MemorySegment sharedY = arena.allocate(BYTES, 4), confinedX = own.allocate(BYTES, 4);
            // x heap, y shared: the shared one alone is held
            Future<?> call = pool.submit(() -> plan.forward(MemorySegment.ofArray(new float[4]), sharedY));
            assertTrue(entered.await(10, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, arena::close,
                    "closing the output's shared arena while the kernel computes");
            assertTrue(arena.scope().isAlive());
            release.countDown();
            call.get(10, TimeUnit.SECONDS);
            assertEquals(42f, sharedY.get(ValueLayout.JAVA_FLOAT, 0), "the call completed after the refused close");
            arena.close();
            // a call on the closed arena fails at the border, like any closed segment
            assertThrows(IllegalStateException.class, () -> plan.forward(confinedX, sharedY));
        } finally {
            release.countDown();
            pool.shutdownNow();
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    @Test
    void kernelFailuresComeOutUnchanged() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(BYTES, 4), y = arena.allocate(BYTES, 4);
            RuntimeException runtime = new IllegalArgumentException("kernel refused");
            ConvPlan plan = new ConvPlan(SPEC, "throwing", kernel((a, b) -> {
                throw runtime;
            }));
            assertSame(runtime, assertThrows(IllegalArgumentException.class, () -> plan.forward(x, y)));
            AssertionError error = new AssertionError("kernel broke");
            ConvPlan broken = new ConvPlan(SPEC, "erring", kernel((a, b) -> {
                throw error;
            }));
            assertSame(error, assertThrows(AssertionError.class, () -> broken.forward(x, y)));
            // the failed calls left the plans usable and closable
            plan.close();
            broken.close();
            assertThrows(IllegalStateException.class, () -> plan.forward(x, y));
        }
    }

    @Test
    void holdsNest() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(BYTES, 4), y = arena.allocate(BYTES, 4);
            MemorySegment x2 = arena.allocate(BYTES, 4), y2 = arena.allocate(BYTES, 4);
            ConvPlan inner = new ConvPlan(SPEC, "inner", kernel((a, b) -> b.set(ValueLayout.JAVA_FLOAT, 0, 2f)));
            ConvPlan outer = new ConvPlan(SPEC, "outer", kernel((a, b) -> {
                inner.forward(x2, y2);
                b.set(ValueLayout.JAVA_FLOAT, 0, 1f);
            }));
            outer.forward(x, y);
            assertEquals(1f, y.get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(2f, y2.get(ValueLayout.JAVA_FLOAT, 0));
        }
    }
}
