package io.github.conv4j.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
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
        long before = NativeMemory.mallocBytes(), during;
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < BLOCKS; i++) {
                arena.allocate(32);
            }
            during = NativeMemory.mallocBytes();
        }
        long after = NativeMemory.mallocBytes();
        String figures = "before " + before + ", with the blocks " + during + ", after " + after + " bytes";
        assertTrue(Math.abs(during - before - CHUNKS) < SLACK, "expected about " + CHUNKS + " more: " + figures);
        assertTrue(Math.abs(after - before) < SLACK, "expected the blocks back: " + figures);
    }
}
