package io.github.conv4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * One 2-D convolution, fully described and validated: shapes, layout, element type, stride, dilation,
 * padding, groups, bias and fused ReLU.
 *
 * <p>The semantics, for every engine:
 * <pre>
 * y[mb, oh, ow, oc] = relu?( bias[oc] + sum over kh, kw, i &lt; ic/groups of
 *     x[mb, oh*sh - padTop + kh*dh, ow*sw - padLeft + kw*dw, g*ic/groups + i] * w[kh, kw, i, oc] )
 * </pre>
 * where {@code g = oc / (oc/groups)} is the group of the output channel and {@code x} is zero outside the
 * input. Stride and dilation count from 1 (dilation 1 is none). A spec is immutable; building one validates
 * every field and resolves the pads and the output size, so an invalid convolution never reaches an engine.
 *
 * <p>Create one with {@link #builder()}.
 */
public final class ConvSpec {
    private final Layout layout;
    private final DType dtype;
    private final int mb, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, groups;
    private final Padding padding;
    private final boolean bias, relu;
    private final int padTop, padBottom, padLeft, padRight, oh, ow;
    private final long inputElements, weightElements, outputElements;

    private ConvSpec(Builder b) {
        layout = Objects.requireNonNull(b.layout, "layout");
        dtype = Objects.requireNonNull(b.dtype, "dtype");
        padding = Objects.requireNonNull(b.padding, "padding");
        mb = b.mb; ih = b.ih; iw = b.iw; ic = b.ic; oc = b.oc; kh = b.kh; kw = b.kw;
        sh = b.sh; sw = b.sw; dh = b.dh; dw = b.dw; groups = b.groups;
        bias = b.bias; relu = b.relu;

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
            throw new IllegalArgumentException("groups must divide input channels: ic=" + ic + ", groups=" + groups);
        }
        if (oc % groups != 0) {
            throw new IllegalArgumentException("groups must divide output channels: oc=" + oc + ", groups=" + groups);
        }

        long ekh = (long) (kh - 1) * dh + 1;   // effective (dilated) kernel extent
        long ekw = (long) (kw - 1) * dw + 1;
        int[] vertical = resolve(ih, ekh, sh, padding.top(), padding.bottom());
        int[] horizontal = resolve(iw, ekw, sw, padding.left(), padding.right());
        padTop = vertical[0]; padBottom = vertical[1];
        padLeft = horizontal[0]; padRight = horizontal[1];
        oh = outputSize("height", "ih", ih, padTop, padBottom, ekh, sh);
        ow = outputSize("width", "iw", iw, padLeft, padRight, ekw, sw);

        inputElements = count("input", mb, ih, iw, ic);
        weightElements = count("weights", kh, kw, ic / groups, oc);
        outputElements = count("output", mb, oh, ow, oc);
    }

    /** Pads {before, after} for one axis, resolving SAME and SAME_LOWER. */
    private int[] resolve(int in, long effectiveKernel, int stride, int before, int after) {
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

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1: " + name + "=" + value);
        }
    }

    private long count(String what, long a, long b, long c, long d) {
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
        Builder b = new Builder();
        b.layout = layout; b.dtype = dtype; b.padding = padding;
        b.mb = mb; b.ih = ih; b.iw = iw; b.ic = ic; b.oc = oc; b.kh = kh; b.kw = kw;
        b.sh = sh; b.sw = sw; b.dh = dh; b.dw = dw; b.groups = groups; b.bias = bias; b.relu = relu;
        return b;
    }

    public Layout layout() { return layout; }
    public DType dtype() { return dtype; }
    public Padding padding() { return padding; }
    /** Batch size. */
    public int mb() { return mb; }
    public int ih() { return ih; }
    public int iw() { return iw; }
    /** Input channels, all groups together. */
    public int ic() { return ic; }
    /** Output channels, all groups together. */
    public int oc() { return oc; }
    public int kh() { return kh; }
    public int kw() { return kw; }
    public int sh() { return sh; }
    public int sw() { return sw; }
    /** Vertical dilation, 1 = none. */
    public int dh() { return dh; }
    /** Horizontal dilation, 1 = none. */
    public int dw() { return dw; }
    public int groups() { return groups; }
    /** Input channels per group. */
    public int icPerGroup() { return ic / groups; }
    /** Output channels per group. */
    public int ocPerGroup() { return oc / groups; }
    /** Whether a bias vector of {@code oc} elements is added. */
    public boolean hasBias() { return bias; }
    /** Whether ReLU is applied after the bias. */
    public boolean relu() { return relu; }
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
    public boolean isDepthwise() { return groups == ic && groups > 1; }

    public long inputElements() { return inputElements; }
    public long weightElements() { return weightElements; }
    public long outputElements() { return outputElements; }

    /** Input shape in memory order: {@code [mb, ih, iw, ic]} for NHWC, {@code [mb, ic, ih, iw]} for NCHW. */
    public long[] inputShape() {
        return activation(ih, iw, ic);
    }

    /** Output shape in memory order: {@code [mb, oh, ow, oc]} for NHWC, {@code [mb, oc, oh, ow]} for NCHW. */
    public long[] outputShape() {
        return activation(oh, ow, oc);
    }

    /** Weight shape in memory order: HWIO {@code [kh, kw, ic/g, oc]} or OIHW {@code [oc, ic/g, kh, kw]}. */
    public long[] weightShape() {
        return layout == Layout.NHWC
                ? new long[] {kh, kw, ic / groups, oc}
                : new long[] {oc, ic / groups, kh, kw};
    }

    /** Bias shape: {@code [oc]}. */
    public long[] biasShape() {
        return new long[] {oc};
    }

    private long[] activation(int h, int w, int c) {
        return layout == Layout.NHWC ? new long[] {mb, h, w, c} : new long[] {mb, c, h, w};
    }

    /** Floating-point operations of one forward pass: {@code 2 * mb * oh * ow * oc * kh * kw * ic / groups}. */
    public double flops() {
        return 2.0 * mb * oh * ow * oc * kh * kw * (ic / groups);
    }

    /**
     * How far an engine's output element may lie from a reference value {@code reference} (a golden output or
     * naive's) for this spec: float64 {@code 1e-12 * (1 + |reference|)}, float32
     * {@code 1e-5 * sqrt(kh * kw * ic / groups) * (1 + |reference|)}, as README states.
     */
    public double tolerance(double reference) {
        // float32 rounding error grows with the reduction length; sqrt of it, since rounding errors partly cancel
        double k = (double) kh * kw * (ic / groups);
        return (dtype == DType.FLOAT64 ? 1e-12 : 1e-5 * Math.sqrt(k)) * (1 + Math.abs(reference));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConvSpec s && layout == s.layout && dtype == s.dtype && padding.equals(s.padding)
                && mb == s.mb && ih == s.ih && iw == s.iw && ic == s.ic && oc == s.oc && kh == s.kh && kw == s.kw
                && sh == s.sh && sw == s.sw && dh == s.dh && dw == s.dw && groups == s.groups
                && bias == s.bias && relu == s.relu;
    }

    @Override
    public int hashCode() {
        return Objects.hash(layout, dtype, padding, mb, ih, iw, ic, oc, kh, kw, sh, sw, dh, dw, groups, bias, relu);
    }

    /** A one-line description that names every field, fit for error messages and replaying a failure. */
    @Override
    public String toString() {
        return "ConvSpec[" + layout + " " + dtype + " x=" + Arrays.toString(inputShape())
                + " w=" + layout.weightOrder() + Arrays.toString(weightShape())
                + " stride=" + sh + "," + sw + " dilation=" + dh + "," + dw + " padding=" + padding
                + " (resolved " + padTop + "," + padBottom + "," + padLeft + "," + padRight + ")"
                + " groups=" + groups + (bias ? " bias" : "") + (relu ? " relu" : "")
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
            return new ConvSpec(this);
        }
    }
}
