package io.github.conv4j.engine;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A plan's idle scratch buffers for its Java workers: a worker takes one (made on first need) and gives it back
 * when its part of a call ends, so calls after the first allocate nothing however many workers or calls run at
 * once. The pool keeps as many buffers as ever were in use together, and the most recently returned is handed out
 * first, while it is still in cache. Thread-safe.
 *
 * @param <T> the buffer type; its contents when taken are whatever its last user left
 */
public final class ScratchPool<T> {
    /**
     * The most recently returned buffer, which a one-thread call takes and gives back without reaching the deque:
     * a new plan's first call once met the deque in a state the compiled code had not seen, and java-vector's
     * compiled {@code forward} was thrown away (an uncommon trap inside the deque's {@code pollFirst}) just as
     * measured planning timed it.
     */
    private final AtomicReference<T> first = new AtomicReference<>();
    private final ConcurrentLinkedDeque<T> idle = new ConcurrentLinkedDeque<>();
    private final Supplier<T> make;

    /** A pool that makes a new buffer with {@code make} when none is idle. */
    public ScratchPool(Supplier<T> make) {
        this.make = make;
    }

    /** An idle buffer, or a new one when none is. */
    public T take() {
        T t = first.getAndSet(null);
        if (t != null) {
            return t;
        }
        t = idle.pollFirst();
        return t != null ? t : make.get();
    }

    /** Returns {@code t}, taken from this pool, for the next worker. */
    public void give(T t) {
        T older = first.getAndSet(t);
        if (older != null) {
            idle.offerFirst(older);
        }
    }

    /** Runs {@code body} on a buffer from this pool, and gives the buffer back however {@code body} ends. */
    public void use(Consumer<T> body) {
        T t = take();
        try {
            body.accept(t);
        } finally {
            give(t);
        }
    }

    /** Drops the idle buffers (a closed plan's), leaving them to the garbage collector. */
    public void clear() {
        first.set(null);
        idle.clear();
    }

    /** How many buffers are idle now. */
    public int idle() {
        return (first.get() == null ? 0 : 1) + idle.size();
    }
}
