package io.github.conv4j.spi;

import java.lang.foreign.MemorySegment;

/**
 * An engine's prepared convolution: everything one-time is done, {@link #forward} only computes.
 *
 * <p>The facade ({@code ConvPlan}) validates every segment before it calls {@link #forward}: the segments are
 * large enough for the spec, aligned to the element size, alive and accessible from the calling thread, and
 * {@code y} is writable and does not overlap {@code x}. A kernel may rely on all of that. It must allow
 * concurrent {@code forward} calls with distinct outputs. {@link #close()} is called once.
 */
public interface ConvKernel extends AutoCloseable {

    /** Computes {@code y = conv(x)} for the spec this kernel was planned for. */
    void forward(MemorySegment x, MemorySegment y);

    /** What computes inside the engine, for example a native implementation's name. */
    default String implementation() {
        return "";
    }

    /** Frees what the kernel holds; called exactly once by the facade. */
    @Override
    void close();
}
