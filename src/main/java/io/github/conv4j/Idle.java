package io.github.conv4j;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Waits for the rest of the process to go quiet before measured planning times its candidates. While the JIT
 * compiler (a plan's first use of new code), the collector or an engine's spinning worker threads keep a core
 * busy, a two-thread forward on a two-core machine waits a time slice whenever one of its threads is descheduled
 * (the measured-planning recording at e200326 timed oneDNN's S2 forward, 34-45 us in its own row, at 4.94 ms at
 * best inside planning at two threads). Timings taken then describe the JVM's warm-up, not the engine.
 *
 * <p>It reads the process's and the calling thread's CPU time with {@code clock_gettime} (the JDK's process CPU
 * time counts in 10 ms ticks, too coarse for millisecond steps), so it works on Linux with native access for
 * conv4j; elsewhere {@link #await} returns at once.
 */
final class Idle {
    /**
     * One look: sleep this long and see how much CPU time the rest of the process used meanwhile. Longer than a
     * scheduler tick (4 ms at Linux's common 250 Hz), since a thread running on another core has its CPU time
     * brought up to date only at ticks.
     */
    private static final long STEP_MS = 5;
    /** Idle for this many looks in a row: one quiet look alone was seen while a thread spun on another core. */
    private static final int QUIET_STEPS = 2;
    /** Idle: the rest of the process used less than this share of one core during a step. */
    private static final double BUSY = 0.25;
    /** Linux's clock ids ({@code time.h}). */
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
    private static final MethodHandle CLOCK_GETTIME = clockGettime();

    private Idle() {
    }

    private static MethodHandle clockGettime() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                || !Idle.class.getModule().isNativeAccessEnabled()) {
            return null;
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("clock_gettime").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS)))
                    .orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /**
     * Sleeps in steps of {@value #STEP_MS} ms until {@value #QUIET_STEPS} in a row pass in which the process's other
     * threads leave the cores a call on {@code threads} threads needs: they use less than a quarter of a core
     * beyond those the call leaves free ({@code availableProcessors - threads}), or until {@code maxNs} has passed.
     * A one-thread call on two cores does not wait for one compiler thread busy on the other core.
     *
     * @return nanoseconds waited
     */
    static long await(long maxNs, int threads) {
        if (CLOCK_GETTIME == null || maxNs <= 0) {
            return 0;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ts = arena.allocate(16, 8);
            int spare = Math.max(0, Runtime.getRuntime().availableProcessors() - threads);
            return await(maxNs, spare, () -> others(ts), System::nanoTime, () -> {
                try {
                    Thread.sleep(STEP_MS);
                    return true;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
        }
    }

    /** Whether {@link #await} can tell: Linux, with native access for conv4j. */
    static boolean available() {
        return CLOCK_GETTIME != null;
    }

    /**
     * {@link #await} on given clocks, where the call leaves {@code spare} cores free: {@code others} is the other
     * threads' CPU time in ns (negative when unknown), {@code wall} the time, and {@code step} sleeps one step (false
     * when interrupted).
     */
    static long await(long maxNs, int spare, LongSupplier others, LongSupplier wall, BooleanSupplier step) {
        long start = wall.getAsLong();
        if (maxNs <= 0) {
            return 0;
        }
        int quiet = 0;
        while (true) {
            long wall0 = wall.getAsLong(), others0 = others.getAsLong();
            boolean slept = step.getAsBoolean();
            long wall1 = wall.getAsLong(), others1 = others.getAsLong();
            if (!slept || others0 < 0 || others1 < 0) {
                return wall1 - start;
            }
            quiet = others1 - others0 < (spare + BUSY) * (wall1 - wall0) ? quiet + 1 : 0;
            if (quiet == QUIET_STEPS || wall1 - start >= maxNs) {
                return wall1 - start;
            }
        }
    }

    /** CPU time of every thread of the process but this one, in ns; negative when the clock fails. */
    private static long others(MemorySegment ts) {
        long process = cpu(CLOCK_PROCESS_CPUTIME_ID, ts), self = cpu(CLOCK_THREAD_CPUTIME_ID, ts);
        return process < 0 || self < 0 ? -1 : process - self;
    }

    private static long cpu(int clock, MemorySegment ts) {
        try {
            int rc = (int) CLOCK_GETTIME.invokeExact(clock, ts);
            return rc != 0 ? -1 : ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
        } catch (Throwable t) {
            return -1;
        }
    }
}
