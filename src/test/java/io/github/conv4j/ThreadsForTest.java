package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How many threads one forward gets: the setting, shared among calls in flight, bounded by the work. */
class ThreadsForTest {
    private static final ConvSpec BIG = ConvSpec.builder().input(8, 56, 56, 64).kernel(3, 3, 64).build();
    private static final ConvSpec TINY = ConvSpec.builder().input(2, 12, 10, 3).kernel(3, 3, 16).stride(2).build();

    @AfterEach
    void reset() {
        Settings.setThreads(0);
    }

    @Test
    void sharesThreadsAmongCallsInFlight() {
        Settings.setThreads(8);
        assertEquals(8, Settings.threadsFor(BIG));
        Settings.enter();
        Settings.enter();
        try {
            assertEquals(4, Settings.threadsFor(BIG));
            Settings.enter();
            assertEquals(2, Settings.threadsFor(BIG));
            for (int i = 0; i < 6; i++) {
                Settings.enter();
            }
            assertEquals(1, Settings.threadsFor(BIG), "never below one");
            for (int i = 0; i < 6; i++) {
                Settings.exit();
            }
            Settings.exit();
        } finally {
            Settings.exit();
            Settings.exit();
        }
        assertEquals(8, Settings.threadsFor(BIG));
    }

    @Test
    void tinyWorkStaysOnOneThread() {
        Settings.setThreads(8);
        // 34,560 FLOPs: far below one thread's worth (conv4j.thread.min.flops, default 1,000,000)
        assertEquals(1, Settings.threadsFor(TINY));
        ConvSpec mid = TINY.toBuilder().input(200, 12, 10, 3).build();   // 3.5 MFLOP: three threads' worth
        assertEquals(3, Settings.threadsFor(mid));
    }
}
