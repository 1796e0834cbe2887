package io.github.conv4j.bench;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Quantization;
import io.github.conv4j.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Seeded inputs for one benchmark shape (uniform in [-1, 1), weights scaled by 1/sqrt(fan-in)), naive's output
 * for the whole batch or the first image, and the check that an engine's output matches it. Shared by
 * {@code compare} and JMH.
 *
 * <p>A quantized shape ({@link #quantize}) has synthetic integer inputs instead: activations uniform over the
 * whole uint8 or int8 range, int8 weights uniform over -128..127; see {@link #quantize} for its scales.
 */
public final class BenchInputs {
    public final ConvSpec spec;
    public final Tensor x, w, y;

    /** Allocates and fills the input, weights and an output in {@code arena}. */
    public BenchInputs(Arena arena, ConvSpec spec, long seed) {
        this.spec = spec;
        SplittableRandom rnd = new SplittableRandom(seed);
        x = fill(Tensor.allocate(arena, spec.dtype(), spec.inputShape()), 1, rnd);
        w = fill(Tensor.allocate(arena, spec.weightDType(), spec.weightShape()),
                1 / Math.sqrt((double) spec.kh() * spec.kw() * spec.icPerGroup()), rnd);
        y = Tensor.allocate(arena, spec.outputDType(), spec.outputShape());
    }

    /** Stores a value at an element index in a tensor's dtype. */
    private interface Store {
        void set(long i, double v);
    }

    private static Tensor fill(Tensor t, double scale, SplittableRandom rnd) {
        MemorySegment d = t.data();
        Store store = switch (t.dtype()) {
            case FLOAT32 -> (i, v) -> d.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
            case FLOAT64 -> (i, v) -> d.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
            // the whole range of the type, whatever the scale
            case INT8 -> (i, v) -> d.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(-128, 128));
            case UINT8 -> (i, v) -> d.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
            case INT32 -> throw new IllegalArgumentException("no synthetic int32 tensor");
            case BFLOAT16 -> (i, v) -> d.setAtIndex(ValueLayout.JAVA_SHORT, i, io.github.conv4j.BFloat16.fromDouble(v));
        };
        for (long i = 0; i < t.elementCount(); i++) {
            store.set(i, rnd.nextDouble(-scale, scale));
        }
        return t;
    }

    /**
     * {@code shape} (a float spec) as an int8 convolution with {@code activation} input and int8 output, with
     * parameters such that outputs spread over the int8 range: input scale 0.02 with zero point 128 (uint8) or 3
     * (int8); weight scales per output channel {@code (0.5 + (o % 8) / 8) / (127 * sqrt(kh * kw * ic / groups))};
     * output zero point 0 and scale {@code 3 * sigma / 127}, where {@code sigma = 74^2 * 0.02 * 1.0 / 127} is the
     * standard deviation of the real output of a channel of weight scale {@code 1 / (127 * sqrt(fan-in))} on
     * uniform inputs (74 being the standard deviation of a uniform byte): three standard deviations span the
     * range, so outputs spread and few saturate.
     *
     * @throws IllegalArgumentException if {@code activation} is not int8 or uint8
     */
    public static ConvSpec quantize(ConvSpec shape, DType activation) {
        if (!activation.isQuantized()) {
            throw new IllegalArgumentException("not an int8 activation type: " + activation);
        }
        double fanIn = Math.sqrt((double) shape.kh() * shape.kw() * shape.icPerGroup());
        float[] ws = new float[shape.oc()];
        for (int o = 0; o < ws.length; o++) {
            ws[o] = (float) ((0.5 + (o % 8) / 8.0) / (127 * fanIn));
        }
        float xs = 0.02f;
        double sigma = 74.0 * 74.0 * xs / 127;
        return shape.toBuilder().dtype(activation).quantization(Quantization.perChannel(xs,
                activation == DType.UINT8 ? 128 : 3, ws, DType.INT8, (float) (3 * sigma / 127), 0)).build();
    }

    /**
     * Runs {@code plan} once and compares batch element 0 of its output with naive's, within
     * {@link ConvSpec#tolerance}; throws if they differ.
     */
    public void checkAgainstNaive(ConvPlan plan, Arena arena) {
        checkAgainstNaive(plan.engine(), () -> plan.forward(x, y), arena);
    }

    /**
     * Runs {@code forward}, which must compute {@link #y} from {@link #x} and {@link #w} (a kernel without its
     * plan, say), once and compares batch element 0 of {@link #y} with naive's, within {@link ConvSpec#tolerance};
     * throws, naming {@code what}, if they differ.
     */
    public void checkAgainstNaive(String what, Runnable forward, Arena arena) {
        forward.run();
        Tensor ref = naiveFirstImage(arena);
        for (long i = 0; i < ref.elementCount(); i++) {
            double want = ref.getDouble(i), got = y.getDouble(i);
            if (!(Math.abs(got - want) <= spec.tolerance(want))) {
                throw new IllegalStateException(what + " differs from naive at " + i + ": " + got + " vs " + want
                        + " on " + spec);
            }
        }
    }

    /** naive's output for the whole batch, allocated in {@code arena}. */
    public Tensor naive(Arena arena) {
        Tensor ref = Tensor.allocate(arena, spec.outputDType(), spec.outputShape());
        Conv2d.forward(Conv2d.NAIVE, spec, x, w, null, ref);
        return ref;
    }

    /** The spec of batch element 0 alone. */
    public ConvSpec firstImageSpec() {
        return spec.toBuilder().input(1, spec.ih(), spec.iw(), spec.ic()).build();
    }

    /** Batch element 0 of {@link #x} (a view, no copy). */
    public Tensor firstImage() {
        ConvSpec one = firstImageSpec();
        return new Tensor(x.data().asSlice(0, one.inputElements() * spec.dtype().byteSize()), spec.dtype(),
                one.inputShape());
    }

    /** naive's output for batch element 0, allocated in {@code arena}: the reference outputs are compared with. */
    public Tensor naiveFirstImage(Arena arena) {
        ConvSpec one = firstImageSpec();
        Tensor ref = Tensor.allocate(arena, spec.outputDType(), one.outputShape());
        Conv2d.forward(Conv2d.NAIVE, one, firstImage(), w, null, ref);
        return ref;
    }
}
