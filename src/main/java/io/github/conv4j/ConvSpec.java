package io.github.conv4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * One 2-D convolution, fully described and validated: shapes, layout, element type, stride, dilation,
 * padding, groups, bias and fused ReLU.
 *
 * <p>The semantics, for every engine, with indices in logical order (NHWC input and output, HWIO weights)
 * whatever the layout in memory:
 * <pre>
 * y[n, p, q, o] = relu?( bias[o] + sum over r &lt; kh, s &lt; kw, i &lt; icPerGroup of
 *     x[n, p*sh - padTop + r*dh, q*sw - padLeft + s*dw, g*icPerGroup + i] * w[r, s, i, o] )
 * </pre>
 * where {@code o} is the output channel index, {@code g = o / ocPerGroup} its group,
 * {@code icPerGroup = ic / groups}, {@code ocPerGroup = oc / groups}, and {@code x} is zero outside the
 * input. Stride and dilation count from 1 (dilation 1 is none). A spec is immutable; building one validates
 * every field and resolves the pads and the output size, so an invalid convolution never reaches an engine.
 *
 * <p>An int8/uint8 spec computes the same sum on zero-point-shifted integers and requantises it as
 * {@link Quantization} defines; its padding holds the input zero point (a real zero).
 *
 * <p>The nineteen fields a caller gives live in one private record, so equality, the hash code and
 * {@link #toBuilder()} all follow its component list, and a field added there fails to compile until the
 * builder fills it and {@code toBuilder} copies it. The spec itself is a class rather than a record so that
 * the values derived from those fields (pads, output size, element counts) are computed once, when it is
 * built, instead of on every accessor call, and stay out of equality.
 *
 * <p>Create one with {@link #builder()}.
 */
public final class ConvSpec {
    /** What a caller gives, checked field by field; two specs are equal iff these are. */
    private record Given(Layout layout, DType dtype, Padding padding, int mb, int ih, int iw, int ic, int oc,
            int kh, int kw, int sh, int sw, int dh, int dw, int groups, boolean bias, boolean relu,
            Accuracy accuracy, Quantization quantization) {

        Given {
            Objects.requireNonNull(layout, "layout");
            Objects.requireNonNull(accuracy, "accuracy");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(padding, "padding");
            positive("mb", mb); positive("ih", ih); positive("iw", iw); positive("ic", ic); positive("oc", oc);
            positive("kh", kh); positive("kw", kw);
            if (sh < 1 || sw < 1) {
                throw new IllegalArgumentException("stride must be >= 1: sh=" + sh + ", sw=" + sw);
            }
            if (dh < 1 || dw < 1) {
                throw new IllegalArgumentException("dilation must be >= 1 (1 = none): dh=" + dh + ", dw=" + dw);
            }
            if (groups < 1) {
                throw new IllegalArgumentException("groups must be >= 1: groups=" + groups);
            }
            if (ic % groups != 0) {
                throw new IllegalArgumentException("groups must divide input channels: ic=" + ic
                        + ", groups=" + groups);
            }
            if (oc % groups != 0) {
                throw new IllegalArgumentException("groups must divide output channels: oc=" + oc
                        + ", groups=" + groups);
            }
            if (dtype == DType.INT32) {
                throw new IllegalArgumentException("dtype int32 is a bias type, not an activation type: dtype="
                        + dtype);
            }
            if (dtype.isQuantized() && quantization == null) {
                throw new IllegalArgumentException("quantization is missing: dtype " + dtype + " needs scales and"
                        + " zero points");
            }
            if (!dtype.isQuantized() && quantization != null) {
                throw new IllegalArgumentException("quantization given for dtype " + dtype
                        + ": only int8 and uint8 activations take one");
            }
            if (quantization != null) {
                quantization.check(dtype, oc);
            }
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be >= 1: " + name + "=" + value);
            }
        }
    }

    private final Given given;
    // derived once here: engines and plans read them in loops
    private final int icPerGroup, ocPerGroup;
    private final int padTop, padBottom, padLeft, padRight, oh, ow;
    private final long inputElements, weightElements, outputElements;

    private ConvSpec(Given given) {
        this.given = given;
        icPerGroup = given.ic() / given.groups();
        ocPerGroup = given.oc() / given.groups();

        long ekh = (long) (given.kh() - 1) * given.dh() + 1;   // effective (dilated) kernel extent
        long ekw = (long) (given.kw() - 1) * given.dw() + 1;
        Padding padding = given.padding();
        int[] vertical = resolve(padding, given.ih(), ekh, given.sh(), padding.top(), padding.bottom());
        int[] horizontal = resolve(padding, given.iw(), ekw, given.sw(), padding.left(), padding.right());
        padTop = vertical[0]; padBottom = vertical[1];
        padLeft = horizontal[0]; padRight = horizontal[1];
        oh = outputSize("height", "ih", given.ih(), padTop, padBottom, ekh, given.sh());
        ow = outputSize("width", "iw", given.iw(), padLeft, padRight, ekw, given.sw());

        inputElements = count(given.dtype(), "input", given.mb(), given.ih(), given.iw(), given.ic());
        weightElements = count(weightDType(), "weights", given.kh(), given.kw(), icPerGroup, given.oc());
        outputElements = count(outputDType(), "output", given.mb(), oh, ow, given.oc());
    }

    /** Pads {before, after} for one axis, resolving SAME and SAME_LOWER. */
    private static int[] resolve(Padding padding, int in, long effectiveKernel, int stride, int before, int after) {
        return switch (padding.mode()) {
            case VALID -> new int[] {0, 0};
            case EXPLICIT -> new int[] {before, after};
            case SAME, SAME_LOWER -> {
                long out = (in + (long) stride - 1) / stride;
                long total = Math.max((out - 1) * stride + effectiveKernel - in, 0);
                if (total > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("padding overflows int: " + padding.mode() + " total pad " + total);
                }
                int small = (int) (total / 2), large = (int) (total - total / 2);
                yield padding.mode() == Padding.Mode.SAME ? new int[] {small, large} : new int[] {large, small};
            }
        };
    }

    private static int outputSize(String axis, String inName, int in, int before, int after, long effectiveKernel,
            int stride) {
        long padded = (long) in + before + after;
        if (padded < effectiveKernel) {
            throw new IllegalArgumentException("output " + axis + " < 1: " + inName + "=" + in + " + pads "
                    + before + "+" + after + " < effective kernel " + effectiveKernel);
        }
        long out = (padded - effectiveKernel) / stride + 1;
        if (out > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("output " + axis + " overflows int: " + out);
        }
        return (int) out;
    }

    private static long count(DType dtype, String what, long a, long b, long c, long d) {
        try {
            long n = Math.multiplyExact(Math.multiplyExact(a, b), Math.multiplyExact(c, d));
            Math.multiplyExact(n, (long) dtype.byteSize());
            return n;
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " size overflows a long: " + a + "x" + b + "x" + c + "x" + d
                    + " " + dtype + " elements");
        }
    }

    /** A builder with the defaults NHWC, float32, stride 1, dilation 1, VALID, one group, no bias, no ReLU. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this spec's fields, to derive a variant. */
    public Builder toBuilder() {
        // the record pattern names every component: one added to Given fails to compile here until copied
        return switch (given) {
            case Given(Layout layout, DType dtype, Padding padding, int mb, int ih, int iw, int ic, int oc,
                    int kh, int kw, int sh, int sw, int dh, int dw, int groups, boolean bias, boolean relu,
                    Accuracy accuracy, Quantization quantization) ->
                builder().layout(layout).dtype(dtype).padding(padding).input(mb, ih, iw, ic).kernel(kh, kw, oc)
                        .stride(sh, sw).dilation(dh, dw).groups(groups).bias(bias).relu(relu).accuracy(accuracy)
                        .quantization(quantization);
        };
    }

    public Layout layout() { return given.layout(); }
    /** The activation (input) type; for a float spec, every tensor's type. */
    public DType dtype() { return given.dtype(); }
    /** The quantization parameters of an int8/uint8 spec; null for a float spec. */
    public Quantization quantization() { return given.quantization(); }
    /** Whether this is an int8/uint8 convolution (see {@link Quantization}). */
    public boolean isQuantized() { return given.quantization() != null; }
    /** The weights' type: int8 for a quantized spec, else {@link #dtype()}. */
    public DType weightDType() { return isQuantized() ? DType.INT8 : given.dtype(); }
    /** The bias's type: int32 for a quantized spec, else {@link #dtype()}. */
    public DType biasDType() { return isQuantized() ? DType.INT32 : given.dtype(); }
    /** The output's type: the quantization's output type for a quantized spec, else {@link #dtype()}. */
    public DType outputDType() { return isQuantized() ? given.quantization().output() : given.dtype(); }
    public Padding padding() { return given.padding(); }
    /** Batch size. */
    public int mb() { return given.mb(); }
    public int ih() { return given.ih(); }
    public int iw() { return given.iw(); }
    /** Input channels, all groups together. */
    public int ic() { return given.ic(); }
    /** Output channels, all groups together. */
    public int oc() { return given.oc(); }
    public int kh() { return given.kh(); }
    public int kw() { return given.kw(); }
    public int sh() { return given.sh(); }
    public int sw() { return given.sw(); }
    /** Vertical dilation, 1 = none. */
    public int dh() { return given.dh(); }
    /** Horizontal dilation, 1 = none. */
    public int dw() { return given.dw(); }
    public int groups() { return given.groups(); }
    /** Input channels per group. */
    public int icPerGroup() { return icPerGroup; }
    /** Output channels per group. */
    public int ocPerGroup() { return ocPerGroup; }
    /** Whether a bias vector of {@code oc} elements is added. */
    public boolean hasBias() { return given.bias(); }
    /** Whether ReLU is applied after the bias. */
    public boolean relu() { return given.relu(); }
    /** The accuracy level engines must meet; see {@link #tolerance(double)}. */
    public Accuracy accuracy() { return given.accuracy(); }
    /** Resolved zero rows above the input. */
    public int padTop() { return padTop; }
    public int padBottom() { return padBottom; }
    public int padLeft() { return padLeft; }
    public int padRight() { return padRight; }
    /** Output height. */
    public int oh() { return oh; }
    /** Output width. */
    public int ow() { return ow; }
    /** Whether this is a depthwise convolution ({@code groups == ic}, channel multiplier {@code oc / ic}). */
    public boolean isDepthwise() { return given.groups() == given.ic() && given.groups() > 1; }

    public long inputElements() { return inputElements; }
    public long weightElements() { return weightElements; }
    public long outputElements() { return outputElements; }

    /** Input shape in memory order: {@code [mb, ih, iw, ic]} for NHWC, {@code [mb, ic, ih, iw]} for NCHW. */
    public long[] inputShape() {
        return activation(given.ih(), given.iw(), given.ic());
    }

    /** Output shape in memory order: {@code [mb, oh, ow, oc]} for NHWC, {@code [mb, oc, oh, ow]} for NCHW. */
    public long[] outputShape() {
        return activation(oh, ow, given.oc());
    }

    /** Weight shape in memory order: HWIO {@code [kh, kw, ic/g, oc]} or OIHW {@code [oc, ic/g, kh, kw]}. */
    public long[] weightShape() {
        return given.layout() == Layout.NHWC
                ? new long[] {given.kh(), given.kw(), icPerGroup, given.oc()}
                : new long[] {given.oc(), icPerGroup, given.kh(), given.kw()};
    }

    /** Bias shape: {@code [oc]}. */
    public long[] biasShape() {
        return new long[] {given.oc()};
    }

    private long[] activation(int h, int w, int c) {
        return given.layout() == Layout.NHWC ? new long[] {given.mb(), h, w, c} : new long[] {given.mb(), c, h, w};
    }

    /** Floating-point operations of one forward pass: {@code 2 * mb * oh * ow * oc * kh * kw * ic / groups}. */
    public double flops() {
        return 2.0 * given.mb() * oh * ow * given.oc() * given.kh() * given.kw() * icPerGroup;
    }

    /**
     * How far an engine's output element may lie from a reference value {@code reference} (a golden output or
     * naive's) for this spec. With {@code K = kh * kw * ic / groups} and bfloat16's unit roundoff
     * {@code u = 2^-8} (8 significant bits), the bound is {@code s * (1 + |reference|)} where {@code s} is:
     * <ul>
     *   <li>at {@link Accuracy#EXACT}, by element type: float64 {@code 1e-12}; float32 {@code 1e-5 * sqrt(K)};
     *       bfloat16 {@code 1e-5 * sqrt(K) + 2u} (float32 accumulation, then the output rounded to bfloat16 once
     *       by the engine and once by the reference: their results may be one bfloat16 ulp, {@code 2u} relative,
     *       apart);
     *   <li>at {@link Accuracy#FAST}, ten times EXACT's;
     *   <li>at {@link Accuracy#BF16}, EXACT's plus {@code (2u + u^2) * sqrt(K)}: rounding {@code x} and {@code w}
     *       to bfloat16 moves each product by at most {@code (2u + u^2) |x w|}; with products of magnitude up to
     *       about 1 (the {@code 1 +} in the scale assumes that, as float32's does) and rounding errors of either
     *       sign, independent from term to term, {@code K} of them add up like a random walk, as {@code sqrt(K)}.
     * </ul>
     * For a quantized spec, whatever the level: 1 (one output unit) for int8/uint8 output, where only the float
     * rounding of the requantisation product, its ties and the order of its float operations can move a result, by
     * one step; and {@code 1e-5 * (1 + |reference|)} for float32 output, a few float32 roundings of the
     * dequantisation product {@code (acc + bias) * inputScale * weightScale} and its sum (accumulation itself is
     * exact), on results whose two terms are not much larger than themselves. README states the same and the
     * error measured against it.
     */
    public double tolerance(double reference) {
        if (isQuantized()) {
            return outputDType() == DType.FLOAT32 ? 1e-5 * (1 + Math.abs(reference)) : 1;
        }
        double k = (double) given.kh() * given.kw() * icPerGroup;
        // no default branch: a new element type must choose its own bound here
        double scale = switch (given.dtype()) {
            case FLOAT64 -> 1e-12;
            // float32 rounding error grows with the reduction length; sqrt of it, since rounding errors partly cancel
            case FLOAT32 -> 1e-5 * Math.sqrt(k);
            // accumulated in float32, then one bfloat16 ulp between two roundings of nearly the same sum
            case BFLOAT16 -> 1e-5 * Math.sqrt(k) + 2 * BF16_UNIT_ROUNDOFF;
            case INT8, UINT8, INT32 -> throw new IllegalStateException("unreachable: " + given.dtype()
                    + " specs are quantized");
        };
        // FAST: a NumPy model of Winograd F(4x4,3x3) and F(6x6,3x3) in float32 measured 0.05-0.14 of the EXACT
        // bound on ResNet-like layers (bench/results/winograd-error-2026-11-30.md); ten times leaves room for
        // inputs less kind than those
        double level = switch (given.accuracy()) {
            case EXACT -> scale;
            case FAST -> 10 * scale;
            case BF16 -> scale + (2 * BF16_UNIT_ROUNDOFF + BF16_UNIT_ROUNDOFF * BF16_UNIT_ROUNDOFF) * Math.sqrt(k);
        };
        return level * (1 + Math.abs(reference));
    }

    /** bfloat16's unit roundoff: half an ulp of 1, with 8 significant bits. */
    private static final double BF16_UNIT_ROUNDOFF = 0x1p-8;

    /** Whether {@code o} is a spec with the same given fields (derived values follow from them). */
    @Override
    public boolean equals(Object o) {
        return o instanceof ConvSpec s && given.equals(s.given);
    }

    @Override
    public int hashCode() {
        return given.hashCode();
    }

    /**
     * A one-line description that names every field, fit for error messages and replaying a failure; of a
     * quantized spec's parameters it names the structure only ({@link Quantization#describe()}), not the scales
     * and zero points, so that it keys wisdom alike for layers that differ only in those.
     */
    @Override
    public String toString() {
        return "ConvSpec[" + given.layout() + " " + given.dtype()
                + (isQuantized() ? " " + given.quantization().describe() : "") + " x=" + Arrays.toString(inputShape())
                + " w=" + given.layout().weightOrder() + Arrays.toString(weightShape())
                + " stride=" + given.sh() + "," + given.sw() + " dilation=" + given.dh() + "," + given.dw()
                + " padding=" + given.padding()
                + " (resolved " + padTop + "," + padBottom + "," + padLeft + "," + padRight + ")"
                + " groups=" + given.groups() + (given.bias() ? " bias" : "") + (given.relu() ? " relu" : "")
                + (given.accuracy() == Accuracy.EXACT ? "" : " accuracy=" + given.accuracy())
                + " -> y=" + Arrays.toString(outputShape()) + "]";
    }

    /** Collects a spec's fields; {@link #build()} validates them. Not thread-safe. */
    public static final class Builder {
        private Layout layout = Layout.NHWC;
        private DType dtype = DType.FLOAT32;
        private Padding padding = Padding.VALID;
        private int mb, ih, iw, ic, oc, kh, kw;
        private int sh = 1, sw = 1, dh = 1, dw = 1, groups = 1;
        private boolean bias, relu;
        private Accuracy accuracy = Accuracy.EXACT;
        private Quantization quantization;

        private Builder() {
        }

        public Builder layout(Layout layout) { this.layout = layout; return this; }
        public Builder dtype(DType dtype) { this.dtype = dtype; return this; }
        public Builder padding(Padding padding) { this.padding = padding; return this; }

        /** Sets the input's batch, height, width and channels (logical order, whatever the layout). */
        public Builder input(int mb, int ih, int iw, int ic) {
            this.mb = mb; this.ih = ih; this.iw = iw; this.ic = ic;
            return this;
        }

        /** Sets the kernel's height and width and the number of output channels. */
        public Builder kernel(int kh, int kw, int oc) {
            this.kh = kh; this.kw = kw; this.oc = oc;
            return this;
        }

        public Builder stride(int sh, int sw) { this.sh = sh; this.sw = sw; return this; }
        public Builder stride(int s) { return stride(s, s); }
        /** Sets the dilation; 1 means none. */
        public Builder dilation(int dh, int dw) { this.dh = dh; this.dw = dw; return this; }
        public Builder dilation(int d) { return dilation(d, d); }
        public Builder groups(int groups) { this.groups = groups; return this; }
        public Builder bias(boolean bias) { this.bias = bias; return this; }
        public Builder relu(boolean relu) { this.relu = relu; return this; }
        /** The accuracy level engines must meet (default {@link Accuracy#EXACT}); {@link #build()} refuses null. */
        public Builder accuracy(Accuracy accuracy) { this.accuracy = accuracy; return this; }
        /**
         * The quantization parameters (default none): required when the dtype is int8 or uint8, refused otherwise,
         * when {@link #build()} checks them.
         */
        public Builder quantization(Quantization quantization) { this.quantization = quantization; return this; }

        /**
         * Takes the input and weight shapes as stored (memory order of the builder's current layout) and
         * checks that they agree; call {@link #layout} and {@link #groups} first.
         *
         * @throws IllegalArgumentException if a shape is not 4-D, a dimension is outside 1..2^31-1, or the
         *     weights' input channels differ from the input's channels divided by groups
         */
        public Builder shapes(long[] xShape, long[] wShape) {
            rank("x", xShape);
            rank("w", wShape);
            boolean nhwc = layout == Layout.NHWC;
            int xn = dim("x", xShape, 0), xh = dim("x", xShape, nhwc ? 1 : 2);
            int xw = dim("x", xShape, nhwc ? 2 : 3), xc = dim("x", xShape, nhwc ? 3 : 1);
            int wkh = dim("w", wShape, nhwc ? 0 : 2), wkw = dim("w", wShape, nhwc ? 1 : 3);
            int wi = dim("w", wShape, nhwc ? 2 : 1), wo = dim("w", wShape, nhwc ? 3 : 0);
            if (groups >= 1 && (long) wi * groups != xc) {
                throw new IllegalArgumentException("input channels differ: x ic=" + xc + ", w ic=" + wi
                        + (groups == 1 ? "" : " per group x groups=" + groups + " = " + (long) wi * groups)
                        + " (" + layout + " x " + Arrays.toString(xShape) + ", " + layout.weightOrder()
                        + " w " + Arrays.toString(wShape) + ")");
            }
            return input(xn, xh, xw, xc).kernel(wkh, wkw, wo);
        }

        private static void rank(String name, long[] shape) {
            if (shape.length != 4) {
                throw new IllegalArgumentException(name + " must be 4-D: " + name + " shape "
                        + Arrays.toString(shape));
            }
        }

        private static int dim(String name, long[] shape, int axis) {
            long d = shape[axis];
            if (d < 1 || d > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " dimension " + axis + " must be in 1.." + Integer.MAX_VALUE
                        + ": " + name + " shape " + Arrays.toString(shape));
            }
            return (int) d;
        }

        /**
         * Validates every field and derives pads and output size.
         *
         * @throws IllegalArgumentException naming the field and its value, for any invalid field
         */
        public ConvSpec build() {
            return new ConvSpec(new Given(layout, dtype, padding, mb, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw,
                    groups, bias, relu, accuracy, quantization));
        }
    }
}
