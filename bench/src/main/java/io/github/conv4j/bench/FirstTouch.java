package io.github.conv4j.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What fresh memory costs on this machine, the part of a first plan that no engine code decides: {@code FirstTouch
 * MB ROUNDS} allocates {@code MB} MiB {@code ROUNDS} times, first off-heap (an arena's zeroed segment, freed before
 * the next round) and then on the Java heap (a {@code float[]}, dropped before the next round), and prints one line
 * per round: {@code touch KIND ROUND ms minor_faults}. Minor faults come from Linux's {@code /proc/self/stat}
 * (-1 elsewhere). A round that costs milliseconds per MiB met memory the process, or the machine, had not used yet.
 */
public final class FirstTouch {
    private static volatile Object sink;

    private FirstTouch() {
    }

    public static void main(String[] args) throws IOException {
        long bytes = Long.parseLong(args[0]) << 20;
        int rounds = Integer.parseInt(args[1]);
        for (int r = 0; r < rounds; r++) {
            long f0 = minorFaults(), t0 = System.nanoTime();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(bytes, 64);    // zeroed: every page touched
                sink = s;
                print("off-heap", r, t0, f0);
            }
        }
        for (int r = 0; r < rounds; r++) {
            long f0 = minorFaults(), t0 = System.nanoTime();
            float[] a = new float[(int) (bytes / Float.BYTES)];    // zeroed by the JVM
            sink = a;
            print("heap", r, t0, f0);
            sink = null;
        }
    }

    private static void print(String kind, int round, long t0, long f0) throws IOException {
        long ns = System.nanoTime() - t0, faults = minorFaults();
        System.out.printf("touch %s %d %.1f %d%n", kind, round, ns / 1e6, f0 < 0 || faults < 0 ? -1 : faults - f0);
    }

    /** The process's minor page faults so far ({@code minflt}, field 10 of {@code /proc/self/stat}), or -1. */
    private static long minorFaults() throws IOException {
        Path stat = Path.of("/proc/self/stat");
        if (!Files.isReadable(stat)) {
            return -1;
        }
        String s = Files.readString(stat);
        // the fields after the command name, which is in parentheses and may hold spaces
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[7]);
    }
}
