package io.github.conv4j.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/**
 * The C heap count that the leak check asserts on sees what an FFM arena allocates and frees. A million 32-byte
 * blocks take 48 MB of glibc chunks; the bound around that allows for the JVM's own threads (compiler arenas
 * come and go by a few megabytes).
 */
class NativeMemoryCounterTest {
    private static final int BLOCKS = 1_000_000;
    private static final long CHUNKS = 48L * BLOCKS, SLACK = 16L << 20;

    @Test
    void countsSmallBlocksAndTheirRelease() {
        assumeTrue(NativeMemory.mallocSupported(),
                "the C heap is read through glibc's mallinfo2, which this libc lacks");
        // the JVM's own threads allocate and free beside the test (a loaded machine moved the count by 17 MB
        // once), so up to three tries; a counter that does not see the blocks fails all three
        StringBuilder tries = new StringBuilder();
        for (int attempt = 1; attempt <= 3; attempt++) {
            long before = NativeMemory.mallocBytes(), during;
            try (Arena arena = Arena.ofConfined()) {
                for (int i = 0; i < BLOCKS; i++) {
                    arena.allocate(32);
                }
                during = NativeMemory.mallocBytes();
            }
            long after = NativeMemory.mallocBytes();
            if (Math.abs(during - before - CHUNKS) < SLACK && Math.abs(after - before) < SLACK) {
                return;
            }
            tries.append("\ntry ").append(attempt).append(": before ").append(before).append(", with the blocks ")
                    .append(during).append(", after ").append(after).append(" bytes");
        }
        fail("expected about " + CHUNKS + " bytes more with the blocks and the same count after them, within "
                + SLACK + ":" + tries);
    }
}
