package io.github.conv4j.cli;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Engines that are wrong on purpose, each in one way, so tests can show that {@code compare} catches them.
 * Found through the service file like real engines, so they sit in {@code --engines all} of every test in this
 * module; they report themselves unavailable (and so never run) except inside {@link #enable()}.
 */
public abstract class WrongEngine implements ConvEngine {
    private static final AtomicBoolean ENABLED = new AtomicBoolean();

    private final String name;

    WrongEngine(String name) {
        this.name = name;
    }

    /** Makes these engines available until the returned handle is closed. */
    static AutoCloseable enable() {
        if (!ENABLED.compareAndSet(false, true)) {
            throw new IllegalStateException("wrong engines already enabled");
        }
        return () -> ENABLED.set(false);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Availability probe() {
        return ENABLED.get() ? Availability.yes("wrong on purpose, for tests")
                : Availability.no("wrong on purpose; only the tests that check compare turn it on");
    }

    @Override
    public Optional<String> declines(ConvSpec spec) {
        return Optional.empty();
    }

    /** naive's kernel for {@code spec}, to be wrong relative to. */
    static ConvKernel naive(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        return Conv2d.engine(Conv2d.NAIVE).plan(spec, weights, bias, 1);
    }

    /** naive's output, then 1 added to the last element of the batch. */
    public static final class PlusOne extends WrongEngine {
        public PlusOne() {
            super("wrong-plus-one");
        }

        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            ConvKernel k = naive(spec, weights, bias);
            long last = spec.outputElements() - 1;
            return new Kernel(k, (x, y) -> {
                k.forward(x, y, spec.mb(), 1);
                switch (spec.dtype()) {
                    case FLOAT32 -> y.setAtIndex(ValueLayout.JAVA_FLOAT, last,
                            y.getAtIndex(ValueLayout.JAVA_FLOAT, last) + 1);
                    case FLOAT64 -> y.setAtIndex(ValueLayout.JAVA_DOUBLE, last,
                            y.getAtIndex(ValueLayout.JAVA_DOUBLE, last) + 1);
                }
            });
        }
    }

    /** Writes nothing at all: the output keeps whatever was there. */
    public static final class WritesNothing extends WrongEngine {
        public WritesNothing() {
            super("wrong-writes-nothing");
        }

        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            return new Kernel(null, (x, y) -> { });
        }
    }

    /** naive's output on the first call of a plan; later calls write nothing. */
    public static final class FirstCallOnly extends WrongEngine {
        public FirstCallOnly() {
            super("wrong-first-call-only");
        }

        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            ConvKernel k = naive(spec, weights, bias);
            AtomicBoolean called = new AtomicBoolean();
            return new Kernel(k, (x, y) -> {
                if (!called.getAndSet(true)) {
                    k.forward(x, y, spec.mb(), 1);
                }
            });
        }
    }

    /** naive's output for batch element 0; the other batch elements are not written. */
    public static final class FirstImageOnly extends WrongEngine {
        public FirstImageOnly() {
            super("wrong-first-image-only");
        }

        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            // batch element 0 comes first in NHWC and in NCHW, so the one-image kernel works on the same segments
            ConvKernel k = naive(spec.toBuilder().input(1, spec.ih(), spec.iw(), spec.ic()).build(), weights, bias);
            return new Kernel(k, (x, y) -> k.forward(x, y, 1, 1));
        }
    }

    /** A forward call and the naive kernel it uses (or null), closed with it. */
    private record Kernel(ConvKernel naive, BiConsumer<MemorySegment, MemorySegment> call) implements ConvKernel {
        @Override
        public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
            call.accept(x, y);
        }

        @Override
        public void close() {
            if (naive != null) {
                naive.close();
            }
        }
    }
}
