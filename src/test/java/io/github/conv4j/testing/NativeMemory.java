package io.github.conv4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory, from {@code /proc/self/status}. */
public final class NativeMemory {
    private NativeMemory() {
    }

    /** Whether {@link #rssBytes()} can be read here (Linux). */
    public static boolean supported() {
        return Files.isReadable(Path.of("/proc/self/status"));
    }

    /** Resident set size in bytes, after a GC so that dropped Java objects have released what they held. */
    public static long rssBytes() {
        System.gc();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
