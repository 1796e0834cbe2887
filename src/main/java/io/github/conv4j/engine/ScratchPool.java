package io.github.conv4j.engine;

import java.util.concurrent.ConcurrentLinkedDeque;
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
    private final ConcurrentLinkedDeque<T> idle = new ConcurrentLinkedDeque<>();
    private final Supplier<T> make;

    /** A pool that makes a new buffer with {@code make} when none is idle. */
    public ScratchPool(Supplier<T> make) {
        this.make = make;
    }

    /** An idle buffer, or a new one when none is. */
    public T take() {
        T t = idle.pollFirst();
        return t != null ? t : make.get();
    }

    /** Returns {@code t}, taken from this pool, for the next worker. */
    public void give(T t) {
        idle.offerFirst(t);
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
        idle.clear();
    }

    /** How many buffers are idle now. */
    public int idle() {
        return idle.size();
    }
}
