package io.github.conv4j.spi;

import java.lang.foreign.MemorySegment;

/**
 * An engine's prepared convolution: everything one-time is done, {@link #forward} only computes.
 *
 * <p>The facade ({@code ConvPlan}) validates every segment before it calls {@link #forward}: the segments are
 * large enough for the call's batch, aligned to the element size, alive and accessible from the calling thread, and
 * {@code y} is writable and does not overlap {@code x}. A kernel may rely on all of that. It must allow
 * concurrent {@code forward} calls with distinct outputs. {@link #close()} is called once.
 */
public interface ConvKernel extends AutoCloseable {

    /**
     * Computes {@code y = conv(x)} for the first {@code batch} images of the spec this kernel was planned for, on
     * at most {@code threads} threads including the caller's.
     *
     * <p>{@code batch} is from 1 to the spec's {@code mb} (the facade checks it and sizes the segments for it). The
     * kernel reads and writes only those images: {@code y} beyond them is left as it is.
     *
     * <p>The plan decides each call's budget as the call begins (the configured threads, shared among the calls
     * computing at that moment, and limited by the spec's work) and passes it here; two concurrent calls may get
     * different budgets. A kernel uses this value and no global setting, may use fewer threads when the work
     * does not split well, and must compute the same result for any budget up to rounding order.
     *
     * @param batch how many images to compute, from 1 to the spec's {@code mb}
     * @param threads the call's thread budget, at least 1
     */
    void forward(MemorySegment x, MemorySegment y, int batch, int threads);

    /** What computes inside the engine, for example a native implementation's name. */
    default String implementation() {
        return "";
    }

    /** Frees what the kernel holds; called exactly once by the facade. */
    @Override
    void close();
}
