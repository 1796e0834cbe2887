package io.github.conv4j;

import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A prepared convolution: one spec, its weights and bias, and the engine that computes it.
 *
 * <p>Everything one-time (validation, weight repacking, native primitive creation) is done when the plan is
 * made, so {@link #forward} only checks its arguments and computes (the one exception: a oneDNN primitive
 * fixes its thread count; a oneDNN plan prepares the lone call's budget and one thread, and the first call that
 * brings another budget, which takes more cores than two or a changed setting, makes a primitive for it on the
 * weights already reordered). <b>Thread safety:</b> a plan may be used
 * by many threads at once, provided each call writes a distinct output. {@link #close()} is idempotent and
 * waits for calls in flight to finish; a {@code forward} after {@code close} throws
 * {@link IllegalStateException}. Input and output segments belong to the caller and are never closed here.
 *
 * <p><b>Threads:</b> each {@code forward} is given a thread budget as it begins: {@link Settings#threads()}
 * shared among the forward calls computing at that moment in the JVM (all plans together), at least one, and no
 * more than one per {@link Settings#minFlopsPerThread()} operations of the spec. The engine receives the budget
 * with the call ({@link io.github.conv4j.spi.ConvKernel#forward}); a change of the setting applies from the next
 * call on.
 *
 * <p><b>Arenas:</b> a {@code forward} keeps its segments' memory alive until it returns, whatever the engine.
 * Closing a shared arena ({@link java.lang.foreign.Arena#ofShared()}) that holds {@code x} or {@code y} from
 * another thread while the call computes throws {@link IllegalStateException} in the closing thread, and the
 * call completes normally; a call that begins after the arena closed throws {@link IllegalStateException}.
 * Holding a shared arena open takes a downcall, which needs native access for conv4j
 * ({@code --enable-native-access}, as the native engines do) and costs a downcall and an upcall; without native
 * access it is skipped, and the pure-Java engines still fail cleanly with {@link IllegalStateException} when the
 * arena closes under them. Confined, automatic, global and heap segments cannot be freed by another thread
 * during a call and cost nothing.
 */
public final class ConvPlan implements AutoCloseable {
    private static final int CLOSED = Integer.MIN_VALUE / 2;

    private final ConvSpec spec;
    private final String engine;
    private final ConvKernel kernel;
    /** Bytes of one image in and out: a call's segments must hold its batch of them. */
    private final long imageInBytes, imageOutBytes;
    /** Calls in flight; {@link #CLOSED} is added once on close, so a negative value means closed. */
    private final AtomicInteger state = new AtomicInteger();
    /** Released once the engine's resources are freed (or freeing them failed), by the thread that closed. */
    private final CountDownLatch closed = new CountDownLatch(1);
    /** How the engine was chosen, and what was timed to choose it; set once, before the plan is handed out. */
    private volatile String howPlanned;
    private volatile List<Timing> measurements = List.of();

    /**
     * One engine's (or engine variant's) timing in {@link PlanMode#MEASURE} planning.
     *
     * @param engine the engine timed
     * @param variant which of its {@link io.github.conv4j.spi.ConvEngine#variants variants}, or empty for an engine
     *     with one way
     * @param medianMicros its median forward time on the spec's whole batch
     * @param minMicros its fastest forward, what planning compares: noise (another process, a collection) only
     *     ever adds time, so the fastest run is the engine's own speed most nearly; NaN for a timing read from
     *     wisdom, which keeps the median
     * @param runs how many timed forwards these are of
     */
    public record Timing(String engine, String variant, double medianMicros, double minMicros, int runs) {
        /** Checks the names are present. */
        public Timing {
            java.util.Objects.requireNonNull(engine, "engine");
            java.util.Objects.requireNonNull(variant, "variant");
        }

        /** The engine's name, and the variant's after a space when there is one: {@code winograd F(2x2,3x3)}. */
        public String label() {
            return variant.isEmpty() ? engine : engine + " " + variant;
        }
    }

    ConvPlan(ConvSpec spec, String engine, ConvKernel kernel) {
        this.spec = spec;
        this.engine = engine;
        this.kernel = kernel;
        this.howPlanned = kernel instanceof BackgroundPlan ? "estimate: auto's engine order, in the background"
                : "named engine";
        this.imageInBytes = spec.inputElements() / spec.mb() * spec.dtype().byteSize();
        this.imageOutBytes = spec.outputElements() / spec.mb() * spec.outputDType().byteSize();
    }

    /** The convolution this plan computes. */
    public ConvSpec spec() {
        return spec;
    }

    /**
     * The name of the engine that computes it (never {@code auto}); for an {@code auto} plan still being made in
     * the background (see {@link Conv2d#plan(String, ConvSpec, Tensor, Tensor)}), waits for it.
     *
     * @throws RuntimeException what making that background plan threw, if it failed
     */
    public String engine() {
        return kernel instanceof BackgroundPlan b ? b.await().engine() : engine;
    }

    /** Records how the engine was chosen; called by the code that made the plan, before handing it out. */
    void report(String how, List<Timing> timed) {
        howPlanned = how;
        measurements = List.copyOf(timed);
    }

    /**
     * How this plan's engine was chosen: {@code named engine}, {@code estimate: auto's engine order},
     * {@code estimate: wisdom}, {@code measure: timed N engine(s) in M ms}, {@code measure: from wisdom}, ...
     */
    public String howPlanned() {
        return howPlanned;
    }

    /**
     * What {@link PlanMode#MEASURE} timed to choose this plan's engine, fastest or not, in the order timed; the
     * wisdom entry it used instead; empty for a plan not measured.
     */
    public List<Timing> measurements() {
        return measurements;
    }

    /** What computes inside the engine, for example the oneDNN implementation; may be empty (waits like {@link #engine()}). */
    public String implementation() {
        return kernel.implementation();
    }

    /**
     * Computes {@code y = conv(x)} for the images in {@code x}: the spec's batch or fewer.
     *
     * <p>{@code x} and {@code y} have the spec's shapes, except that their leading (batch) dimension may be any
     * {@code n} from 1 to the spec's {@code mb}, the same in both: a plan made for the largest batch computes the
     * short one that ends a stream. A batch larger than the plan's is an error; plan for the largest batch.
     *
     * @throws IllegalArgumentException if a tensor's dtype or shape differs from the spec's (batch aside), the
     *     batch is larger than the spec's or differs between {@code x} and {@code y}, {@code y} is read-only, a
     *     segment is misaligned, or {@code x} and {@code y} overlap
     * @throws IllegalStateException if this plan is closed, or a segment's arena is closed (before or as the
     *     call begins; once it computes, closing a shared arena fails in the closing thread instead) or confined
     *     to another thread
     */
    public void forward(Tensor x, Tensor y) {
        int batch = batchOf("x", x, spec.inputShape());
        requireTensor("x", x, withBatch(spec.inputShape(), batch), spec.layout().name(), spec.dtype());
        requireTensor("y", y, withBatch(spec.outputShape(), batch), spec.layout().name(), spec.outputDType());
        forward(x.data(), y.data(), batch);
    }

    /**
     * Computes {@code y = conv(x)} for the spec's whole batch on raw segments in the spec's layout and dtype.
     *
     * @throws IndexOutOfBoundsException if a segment is smaller than the spec needs
     * @throws IllegalArgumentException if {@code y} is read-only, a segment is misaligned, or they overlap
     * @throws IllegalStateException if this plan is closed, or a segment's arena is closed (before or as the
     *     call begins; once it computes, closing a shared arena fails in the closing thread instead) or confined
     *     to another thread
     */
    public void forward(MemorySegment x, MemorySegment y) {
        forward(x, y, spec.mb());
    }

    /**
     * Computes {@code y = conv(x)} for the first {@code batch} images (1 to the spec's {@code mb}) on raw segments in
     * the spec's layout and dtype; {@code y} is written only there, whatever its size.
     *
     * @throws IndexOutOfBoundsException if a segment is smaller than {@code batch} images need
     * @throws IllegalArgumentException if {@code batch} is outside 1 to the spec's {@code mb}, {@code y} is
     *     read-only, a segment is misaligned, or they overlap
     * @throws IllegalStateException if this plan is closed, or a segment's arena is closed (before or as the
     *     call begins; once it computes, closing a shared arena fails in the closing thread instead) or confined
     *     to another thread
     */
    public void forward(MemorySegment x, MemorySegment y, int batch) {
        requireBatch(batch);
        long xBytes = imageInBytes * batch, yBytes = imageOutBytes * batch;
        requireSegment("x", x, xBytes, withBatch(spec.inputShape(), batch), spec.dtype());
        requireSegment("y", y, yBytes, withBatch(spec.outputShape(), batch), spec.outputDType());
        if (y.isReadOnly()) {
            throw new IllegalArgumentException("y segment is read-only");
        }
        if (x.asSlice(0, xBytes).asOverlappingSlice(y.asSlice(0, yBytes)).isPresent()) {
            throw new IllegalArgumentException("x and y overlap: x at 0x" + Long.toHexString(x.address())
                    + " (" + xBytes + " bytes), y at 0x" + Long.toHexString(y.address())
                    + " (" + yBytes + " bytes)");
        }
        if (state.getAndIncrement() < 0) {
            state.getAndDecrement();
            throw new IllegalStateException("plan is closed: " + engine + " " + spec);
        }
        int threads = ThreadBudget.enter(spec);
        try {
            if ((ScopeHold.needed(x) || ScopeHold.needed(y)) && ScopeHold.available()) {
                ScopeHold.forward(kernel, x, y, batch, threads);
            } else {
                kernel.forward(x, y, batch, threads);
            }
        } finally {
            // an automatic arena is freed once its segments are unreachable: native code holding only their
            // addresses must not outlive the caller's references
            Reference.reachabilityFence(x);
            Reference.reachabilityFence(y);
            ThreadBudget.exit();
            state.getAndDecrement();
        }
    }

    /**
     * Computes {@code y = conv(x)} for the spec's whole batch on float32 arrays in the spec's layout.
     *
     * @throws IllegalArgumentException if the spec is not float32
     * @throws IndexOutOfBoundsException if an array is shorter than the spec needs
     */
    public void forward(float[] x, float[] y) {
        forward(x, y, spec.mb());
    }

    /**
     * Computes {@code y = conv(x)} for the first {@code batch} images on float32 arrays in the spec's layout.
     *
     * @throws IllegalArgumentException if the spec is not float32, or {@code batch} is outside 1 to its {@code mb}
     * @throws IndexOutOfBoundsException if an array is shorter than {@code batch} images need
     */
    public void forward(float[] x, float[] y, int batch) {
        requireDType(DType.FLOAT32);
        forward(MemorySegment.ofArray(x), MemorySegment.ofArray(y), batch);
    }

    /**
     * Computes {@code y = conv(x)} for the spec's whole batch on float64 arrays in the spec's layout.
     *
     * @throws IllegalArgumentException if the spec is not float64
     * @throws IndexOutOfBoundsException if an array is shorter than the spec needs
     */
    public void forward(double[] x, double[] y) {
        forward(x, y, spec.mb());
    }

    /**
     * Computes {@code y = conv(x)} for the first {@code batch} images on float64 arrays in the spec's layout.
     *
     * @throws IllegalArgumentException if the spec is not float64, or {@code batch} is outside 1 to its {@code mb}
     * @throws IndexOutOfBoundsException if an array is shorter than {@code batch} images need
     */
    public void forward(double[] x, double[] y, int batch) {
        requireDType(DType.FLOAT64);
        forward(MemorySegment.ofArray(x), MemorySegment.ofArray(y), batch);
    }

    private void requireBatch(int batch) {
        if (batch < 1 || batch > spec.mb()) {
            throw new IllegalArgumentException("batch " + batch + " is outside 1.." + spec.mb()
                    + " (the plan's mb): make the plan for the largest batch");
        }
    }

    /** The leading dimension of {@code t}, checked against the plan's batch; the rest is checked by the caller. */
    private int batchOf(String name, Tensor t, long[] shape) {
        long[] s = t.shape();
        if (s.length != shape.length || s[0] < 1 || s[0] > spec.mb()) {
            throw new IllegalArgumentException(name + " shape differs from spec: " + name + " " + Arrays.toString(s)
                    + ", spec wants " + spec.layout().name() + " " + Arrays.toString(shape)
                    + " (a leading dimension from 1 to " + spec.mb() + ")");
        }
        return (int) s[0];
    }

    private static long[] withBatch(long[] shape, int batch) {
        long[] s = shape.clone();
        s[0] = batch;
        return s;
    }

    /**
     * Frees what the engine holds, once calls in flight are done; idempotent. Every caller returns only after
     * the engine's resources are freed, whichever thread frees them; if freeing throws, the thread that did it
     * gets the exception and the others return.
     */
    @Override
    public void close() {
        int s = state.get();
        while (s >= 0) {
            if (state.compareAndSet(s, s + CLOSED)) {
                try {
                    awaitCallsInFlight();
                    kernel.close();
                } finally {
                    closed.countDown();
                }
                return;
            }
            s = state.get();
        }
        // another thread is closing: wait for it, so that no close() returns while the engine still computes
        boolean interrupted = false;
        while (true) {
            try {
                closed.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until no forward is in flight; a forward can take milliseconds, so park rather than spin for long. */
    private void awaitCallsInFlight() {
        boolean interrupted = false;
        for (int spins = 0; state.get() != CLOSED; spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
                // an interrupt makes parkNanos return at once: clear it while waiting, restore it after
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether this is an {@code auto} plan still being made in the background (see {@link BackgroundPlan}). */
    boolean planning() {
        return kernel instanceof BackgroundPlan b && !b.done();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return state.get() < 0;
    }

    private void requireDType(DType dtype) {
        if (spec.dtype() != dtype || spec.outputDType() != dtype) {
            throw new IllegalArgumentException("dtype differs: arrays are " + dtype + ", spec is " + spec.dtype());
        }
    }

    /**
     * Checks a tensor's dtype and shape against the spec's; {@code order} names the expected memory order in the
     * message ({@code NHWC}, {@code HWIO}, ...), or is empty.
     */
    static void requireTensor(String name, Tensor t, long[] shape, String order, DType dtype) {
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException("dtype differs: " + name + " is " + t.dtype() + ", spec is " + dtype);
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + " shape differs from spec: " + name + " "
                    + Arrays.toString(t.shape()) + ", spec wants " + (order.isEmpty() ? "" : order + " ")
                    + Arrays.toString(shape));
        }
    }

    /** The largest power of two, up to 8, that the segment's start address is a multiple of. */
    private static long alignment(MemorySegment s) {
        long a = Math.min(8, Long.lowestOneBit(s.address() | 8));
        Object base = s.heapBase().orElse(null);
        if (base != null) {
            // a heap segment's address is an offset into its array, which is aligned to its element size
            long element = switch (base) {
                case byte[] b -> 1;
                case short[] b -> 2;
                case char[] b -> 2;
                case int[] b -> 4;
                case float[] b -> 4;
                default -> 8;
            };
            a = Math.min(a, element);
        }
        return a;
    }

    /** Checks a segment at the border: alive, reachable from this thread, large enough, aligned. */
    static void requireSegment(String name, MemorySegment s, long bytes, long[] shape, DType dtype) {
        if (!s.scope().isAlive()) {
            throw new IllegalStateException(name + " segment is not alive: its arena is closed");
        }
        if (!s.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalStateException(name + " segment is confined to another thread than "
                    + Thread.currentThread().getName());
        }
        if (s.byteSize() < bytes) {
            throw new IndexOutOfBoundsException(name + " segment too small: " + s.byteSize() + " bytes < " + bytes
                    + " needed for " + dtype + " " + Arrays.toString(shape));
        }
        if (alignment(s) < dtype.byteSize()) {
            throw new IllegalArgumentException(name + " segment is not aligned to " + dtype.byteSize()
                    + " bytes (" + dtype + "): address 0x" + Long.toHexString(s.address()));
        }
    }
}
