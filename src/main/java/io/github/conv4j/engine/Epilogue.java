package io.github.conv4j.engine;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The bias and ReLU of a spec, applied to output already summed in place: {@code y = relu?(y + bias[oc])}. For
 * engines whose inner product cannot take them (a BLAS GEMM; a native primitive built without them); kernels
 * that fuse them into their own accumulators need none of this. Immutable: one instance serves concurrent calls.
 */
public final class Epilogue {
    private final Layout layout;
    private final int oc;
    private final long pixels;
    private final boolean active;
    private final Runs runs;

    /**
     * The epilogue of {@code spec}, copying {@code bias} ({@code spec.oc()} elements, or null).
     *
     * @throws IndexOutOfBoundsException if {@code bias} holds fewer than {@code spec.oc()} elements
     */
    public Epilogue(ConvSpec spec, MemorySegment bias) {
        DType dtype = spec.dtype();
        layout = spec.layout();
        oc = spec.oc();
        pixels = (long) spec.oh() * spec.ow();
        boolean relu = spec.relu();
        MemorySegment b = bias == null ? null : bias.asSlice(0, (long) oc * dtype.byteSize());
        active = relu || b != null;
        runs = switch (dtype) {
            case FLOAT32 -> new FloatRuns(b == null ? new float[oc] : b.toArray(ValueLayout.JAVA_FLOAT), relu);
            case FLOAT64 -> new DoubleRuns(b == null ? new double[oc] : b.toArray(ValueLayout.JAVA_DOUBLE), relu);
            // a quantized spec's bias and ReLU act before requantisation, which no engine leaves to this class
            case INT8, UINT8, INT32 -> throw new IllegalArgumentException("no float epilogue for a " + dtype
                    + " spec: " + spec);
            // adding a bias to an output already rounded to bfloat16 would round twice: a bfloat16 engine fuses
            // the bias and ReLU into its own float32 accumulators or declines the spec
            case BFLOAT16 -> throw new UnsupportedOperationException("epilogue: bfloat16 output would be rounded"
                    + " twice; bias and relu must be fused for bfloat16");
        };
    }

    /** Whether there is anything to apply. */
    public boolean active() {
        return active;
    }

    /** Over {@code rows} pixel rows of {@code oc} elements from element {@code at}: NHWC output. */
    // y[pixel][oc] += bias[oc]; relu
    public void rows(MemorySegment y, long at, long rows) {
        if (!active) {
            return;
        }
        runs.pixelRows(y, at, rows);
    }

    /**
     * Over {@code oc} channel rows of {@code cols} elements each, {@code ld} elements apart, from element {@code at}:
     * part of an NCHW image.
     */
    // y[oc][pixel] += bias[oc]; relu
    public void planes(MemorySegment y, long at, long ld, long cols) {
        if (!active) {
            return;
        }
        for (int o = 0; o < oc; o++, at += ld) {
            runs.channelRun(y, at, cols, o);
        }
    }

    /** Over a whole output of the spec, {@code mb} images. */
    public void all(MemorySegment y, int mb) {
        switch (layout) {
            case NHWC -> rows(y, 0, mb * pixels);
            case NCHW -> {
                for (int n = 0; n < mb; n++) {
                    planes(y, n * oc * pixels, pixels, pixels);
                }
            }
        }
    }

    /** The arithmetic in the spec's element type. */
    private sealed interface Runs {
        /** {@code rows} runs of one element per channel, all channels, from element {@code at}. */
        void pixelRows(MemorySegment y, long at, long rows);

        /** {@code len} elements of channel {@code channel} from element {@code at}. */
        void channelRun(MemorySegment y, long at, long len, int channel);
    }

    private record FloatRuns(float[] bias, boolean relu) implements Runs {
        @Override
        public void pixelRows(MemorySegment y, long at, long rows) {
            for (long r = 0; r < rows; r++, at += bias.length) {
                for (int o = 0; o < bias.length; o++) {
                    float v = y.getAtIndex(ValueLayout.JAVA_FLOAT, at + o) + bias[o];
                    y.setAtIndex(ValueLayout.JAVA_FLOAT, at + o, relu && v < 0 ? 0 : v);
                }
            }
        }

        @Override
        public void channelRun(MemorySegment y, long at, long len, int channel) {
            float b = bias[channel];
            for (long e = at, end = at + len; e < end; e++) {
                float v = y.getAtIndex(ValueLayout.JAVA_FLOAT, e) + b;
                y.setAtIndex(ValueLayout.JAVA_FLOAT, e, relu && v < 0 ? 0 : v);
            }
        }
    }

    private record DoubleRuns(double[] bias, boolean relu) implements Runs {
        @Override
        public void pixelRows(MemorySegment y, long at, long rows) {
            for (long r = 0; r < rows; r++, at += bias.length) {
                for (int o = 0; o < bias.length; o++) {
                    double v = y.getAtIndex(ValueLayout.JAVA_DOUBLE, at + o) + bias[o];
                    y.setAtIndex(ValueLayout.JAVA_DOUBLE, at + o, relu && v < 0 ? 0 : v);
                }
            }
        }

        @Override
        public void channelRun(MemorySegment y, long at, long len, int channel) {
            double b = bias[channel];
            for (long e = at, end = at + len; e < end; e++) {
                double v = y.getAtIndex(ValueLayout.JAVA_DOUBLE, e) + b;
                y.setAtIndex(ValueLayout.JAVA_DOUBLE, e, relu && v < 0 ? 0 : v);
            }
        }
    }
}
