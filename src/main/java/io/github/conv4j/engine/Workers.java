package io.github.conv4j.engine;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The worker threads that engines spread one {@code forward} over: one pool of daemon threads for the whole
 * library, sized to the machine. Internal to conv4j's engines, not part of its API.
 */
public final class Workers {
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
    /**
     * A thread that never runs: a segment readable from it is readable from any thread (shared, global, auto
     * or heap), while a confined segment is not.
     */
    private static final Thread STRANGER = new Thread(() -> { });
    /** Whether conv4j may call restricted methods ({@code --enable-native-access}); JDK 22+ answers this. */
    private static final boolean NATIVE_ACCESS = Workers.class.getModule().isNativeAccessEnabled();

    private Workers() {
    }

    /** Work on jobs {@code [from, to)}; one call per worker, so it can set up its scratch once. */
    public interface Range {
        void run(int from, int to);
    }

    /**
     * Runs {@code jobs} independent jobs in {@code min(threads, jobs)} contiguous chunks, the calling thread
     * taking the first, and returns once every chunk is done, also when one throws (a worker must never still
     * write the caller's output after the call returns); the first failure is rethrown.
     */
    public static void run(int threads, int jobs, Range body) {
        int n = Math.min(threads, jobs);
        if (n <= 1) {
            body.run(0, jobs);
            return;
        }
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[n - 1];
        for (int t = 1; t < n; t++) {
            int from = chunk(jobs, n, t), to = chunk(jobs, n, t + 1);
            others[t - 1] = POOL.submit(() -> body.run(from, to));
        }
        RuntimeException failure = null;
        try {
            body.run(0, chunk(jobs, n, 1));
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            for (ForkJoinTask<?> task : others) {
                try {
                    task.join();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * {@code s}, readable from the worker threads if it can be made so: a native segment confined to the calling
     * thread is seen through a global view of the same memory. Callers must not return before every worker is
     * done with it, so the caller's arena cannot close meanwhile. Making the view is a restricted method: without
     * native access for conv4j the confined segment comes back as it is.
     */
    public static MemorySegment shareable(MemorySegment s) {
        if (!s.isNative() || s.isAccessibleBy(STRANGER) || !NATIVE_ACCESS) {
            return s;
        }
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize());
    }

    /** Whether worker threads can read and write both segments. */
    public static boolean shared(MemorySegment x, MemorySegment y) {
        return x.isAccessibleBy(STRANGER) && y.isAccessibleBy(STRANGER);
    }

    private static int chunk(int jobs, int threads, int t) {
        return (int) ((long) jobs * t / threads);
    }
}
