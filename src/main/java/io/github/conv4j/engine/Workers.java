package io.github.conv4j.engine;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The worker threads that engines spread one {@code forward} over, and the one way an engine applies a call's
 * thread budget to Java threads (native libraries apply it their own way: oneDNN through OpenMP, OpenBLAS through
 * its thread count): {@link #share} readies the call's segments for workers, {@link #run} splits its jobs among at
 * most the budget's threads, the caller's included. One pool of daemon threads serves the whole library; it
 * starts at the machine's processor count and grows to the most chunks a call hands it (a budget is the
 * configured thread count shared among concurrent calls, so the pool follows the setting, not the machine). Internal to
 * conv4j's engines, not part of its API.
 */
public final class Workers {
    /** ForkJoinPool's largest parallelism. */
    private static final int MAX_POOL = 0x7fff;
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());

    static {
        SegmentKinds.load();    // engines used through the SPI alone, too
    }

    /**
     * A thread that never runs: a segment readable from it is readable from any thread (shared, global, auto
     * or heap), while a confined segment is not.
     */
    private static final Thread STRANGER = new Thread(() -> { });

    private Workers() {
    }

    /** Work on jobs {@code [from, to)}; one call per worker, so it can set up its scratch once. */
    public interface Range {
        void run(int from, int to);
    }

    /**
     * Runs {@code jobs} independent jobs in {@code min(threads, jobs)} contiguous chunks, the calling thread
     * taking the first, and returns only once every chunk that started is done, whatever was thrown (a worker
     * must never still write the caller's output after the call returns: its arena may close then). The first
     * failure is rethrown, any others added to it as suppressed.
     */
    public static void run(int threads, int jobs, Range body) {
        int n = Math.min(threads, jobs);
        if (n <= 1) {
            body.run(0, jobs);
            return;
        }
        if (n - 1 > POOL.getParallelism()) {
            grow(n - 1);
        }
        ForkJoinTask<?>[] others = new ForkJoinTask<?>[n - 1];
        // each chunk's failure as thrown: a task's own join would hand back a copy made in this thread
        Throwable[] failures = new Throwable[n];
        try {
            for (int t = 1; t < n; t++) {
                int chunk = t, from = chunk(jobs, n, t), to = chunk(jobs, n, t + 1);
                others[t - 1] = POOL.submit(() -> {
                    try {
                        body.run(from, to);
                    } catch (Throwable e) {
                        failures[chunk] = e;
                    }
                });
            }
            body.run(0, chunk(jobs, n, 1));
        } catch (Throwable e) {
            failures[0] = e;
        }
        for (ForkJoinTask<?> task : others) {
            if (task == null) {
                break;     // submitting it failed; none after it was submitted either
            }
            task.quietlyJoin();
        }
        Throwable first = null;
        for (Throwable e : failures) {
            if (e == null) {
                continue;
            }
            if (first == null) {
                first = e;
            } else {
                first.addSuppressed(e);
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException("a worker failed", first);    // checked, though Range declares none
        }
    }

    /** Lets the pool run {@code workers} chunks at once besides the callers'. */
    private static synchronized void grow(int workers) {
        int target = Math.min(workers, MAX_POOL);
        if (target > POOL.getParallelism()) {
            POOL.setParallelism(target);
        }
    }

    /** The pool's parallelism now: the most chunks it runs at once besides the callers'. */
    static int poolParallelism() {
        return POOL.getParallelism();
    }

    /** The segments that the workers of one forward use, and how many workers it gets. */
    public record Shared(MemorySegment x, MemorySegment y, int threads) {
    }

    /**
     * Readies a forward's input and output for {@code threads} workers: segments confined to the calling thread
     * are seen through a global view of the same memory ({@link #shareable}), with one thread as with many, so
     * that the compiled kernels meet one kind of segment from every caller that computes on confined memory.
     * Code compiled for one kind is thrown away when it meets another (an uncommon trap) and runs slowly until
     * it is compiled again: measured planning timed java-vector at 10.7-10.8 us on S1 against 0.64-0.67 in its own
     * row (the recording at e200326).
     * When either segment cannot be shared, the forward gets one thread. The caller must not return before its
     * workers are done ({@link #run} sees to that).
     */
    public static Shared share(int threads, MemorySegment x, MemorySegment y) {
        MemorySegment xs = shareable(x), ys = shareable(y);
        return new Shared(xs, ys, threads > 1 && shared(xs, ys) ? threads : 1);
    }

    /**
     * {@code s}, readable from the worker threads if it can be made so: a live native segment confined to the
     * calling thread is seen through a global view of the same memory. Making the view is a restricted method:
     * without native access for conv4j ({@code --enable-native-access}, checked on each call) the segment comes
     * back as it is, and so does one that is closed or confined to another thread, so that using it fails as it
     * would have.
     */
    static MemorySegment shareable(MemorySegment s) {
        if (!s.isNative() || s.isAccessibleBy(STRANGER) || !s.scope().isAlive()
                || !s.isAccessibleBy(Thread.currentThread())) {
            return s;
        }
        return globalView(s);
    }

    /**
     * A view of native segment {@code s}'s memory in the global scope, or {@code s} itself without native access
     * for conv4j. The caller keeps {@code s}'s memory alive while the view is used.
     */
    public static MemorySegment globalView(MemorySegment s) {
        return Workers.class.getModule().isNativeAccessEnabled()
                ? MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize()) : s;
    }

    /** Whether worker threads can read and write both segments. */
    static boolean shared(MemorySegment x, MemorySegment y) {
        return x.isAccessibleBy(STRANGER) && y.isAccessibleBy(STRANGER);
    }

    private static int chunk(int jobs, int threads, int t) {
        return (int) ((long) jobs * t / threads);
    }
}
