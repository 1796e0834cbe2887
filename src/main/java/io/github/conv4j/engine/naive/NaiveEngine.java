package io.github.conv4j.engine.naive;

import io.github.conv4j.BFloat16;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.engine.TensorIndex;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * The reference engine: the definition in {@link ConvSpec}, written as plain loops with double accumulation.
 * Every other engine is tested against it. Written to be obviously right, not fast.
 *
 * <p>bfloat16: the inputs, weights and bias are widened exactly to double, products and sums are computed in
 * double, and each output is rounded to bfloat16 once at the end (to nearest, ties to even, {@link BFloat16}).
 * Every accuracy level is computed the same way: exactly, as far as double goes.
 */
public final class NaiveEngine implements ConvEngine {
    /** Weights are held in one {@code double[]}. */
    private static final long MAX_WEIGHTS = Integer.MAX_VALUE - 8;

    @Override
    public String name() {
        return "naive";
    }

    @Override
    public Availability probe() {
        return Availability.yes("pure Java loops, double accumulation");
    }

    @Override
    public Optional<String> declines(ConvSpec spec) {
        // the dtypes it computes, named so that a new one does not compile until this engine decides on it
        Optional<String> dtype = switch (spec.dtype()) {
            case FLOAT32, FLOAT64, INT8, UINT8, BFLOAT16 -> Optional.empty();
            case INT32 -> Optional.of("int32 is a bias type, not an activation type");
        };
        if (dtype.isPresent()) {
            return dtype;
        }
        return spec.weightElements() > MAX_WEIGHTS
                ? Optional.of("weights exceed a Java array: " + spec.weightElements() + " elements")
                : Optional.empty();
    }

    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        if (spec.isQuantized()) {
            return new QuantizedKernel(spec, weights, bias);
        }
        return new Kernel(spec, read(weights, spec.dtype()), bias == null ? null : read(bias, spec.dtype()));
    }

    private static double[] read(MemorySegment s, DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> toDoubles(s.toArray(ValueLayout.JAVA_FLOAT));
            case FLOAT64 -> s.toArray(ValueLayout.JAVA_DOUBLE);
            case INT8, UINT8, INT32 -> throw new IllegalArgumentException("not a float type: " + dtype);
            case BFLOAT16 -> {
                short[] bits = s.toArray(ValueLayout.JAVA_SHORT);
                double[] d = new double[bits.length];
                for (int i = 0; i < bits.length; i++) {
                    d[i] = BFloat16.toFloat(bits[i]);
                }
                yield d;
            }
        };
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Holds the weights and bias as doubles; stateless otherwise, so concurrent calls are safe. */
    private static final class Kernel implements ConvKernel {
        private final ConvSpec s;
        private final TensorIndex ix;
        private final double[] w;
        private final double[] bias;
        private final DType dtype;

        Kernel(ConvSpec spec, double[] weights, double[] bias) {
            this.s = spec;
            this.ix = new TensorIndex(spec);
            this.w = weights;
            this.bias = bias;
            this.dtype = spec.dtype();
        }

        /** Single-threaded whatever the budget: the reference stays the plainest code. */
        @Override
        public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
            int icg = s.icPerGroup(), ocg = s.ocPerGroup();
            for (int n = 0; n < batch; n++) {
                for (int oc = 0; oc < s.oc(); oc++) {
                    int g = oc / ocg;
                    for (int oh = 0; oh < s.oh(); oh++) {
                        for (int ow = 0; ow < s.ow(); ow++) {
                            double sum = bias == null ? 0 : bias[oc];
                            for (int kh = 0; kh < s.kh(); kh++) {
                                long ih = (long) oh * s.sh() - s.padTop() + (long) kh * s.dh();
                                if (ih < 0 || ih >= s.ih()) {
                                    continue;
                                }
                                for (int kw = 0; kw < s.kw(); kw++) {
                                    long iw = (long) ow * s.sw() - s.padLeft() + (long) kw * s.dw();
                                    if (iw < 0 || iw >= s.iw()) {
                                        continue;
                                    }
                                    for (int i = 0; i < icg; i++) {
                                        long xi = ix.input(n, ih, iw, g * icg + i);
                                        double xv = switch (dtype) {
                                            case FLOAT32 -> x.getAtIndex(ValueLayout.JAVA_FLOAT, xi);
                                            case FLOAT64 -> x.getAtIndex(ValueLayout.JAVA_DOUBLE, xi);
                                            case BFLOAT16 -> BFloat16.toFloat(x.getAtIndex(ValueLayout.JAVA_SHORT, xi));
                                            // quantized specs are planned on QuantizedKernel
                                            case INT8, UINT8, INT32 -> throw new AssertionError(dtype);
                                        };
                                        sum += xv * w[(int) ix.weight(kh, kw, i, oc)];
                                    }
                                }
                            }
                            if (s.relu() && sum < 0) {
                                sum = 0;
                            }
                            long yi = ix.output(n, oh, ow, oc);
                            switch (dtype) {
                                case FLOAT32 -> y.setAtIndex(ValueLayout.JAVA_FLOAT, yi, (float) sum);
                                case FLOAT64 -> y.setAtIndex(ValueLayout.JAVA_DOUBLE, yi, sum);
                                case BFLOAT16 -> y.setAtIndex(ValueLayout.JAVA_SHORT, yi, BFloat16.fromDouble(sum));
                                case INT8, UINT8, INT32 -> throw new AssertionError(dtype);
                            }
                        }
                    }
                }
            }
        }

        @Override
        public String implementation() {
            return "loops, double accumulation";
        }

        @Override
        public void close() {
            // holds only Java arrays
        }
    }
}
