package io.github.conv4j.engine.naive;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Quantization;
import io.github.conv4j.engine.TensorIndex;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference for quantized specs: {@link Quantization}'s definition as plain loops. The zero-point-shifted
 * products are summed exactly in a {@code long}; the requantisation runs in double and rounds half to even
 * ({@link Math#rint}), then saturates to the output type.
 *
 * <p>ONNX accumulates in int32. Where {@code acc + bias} leaves the int32 range, an int32 engine wraps or
 * saturates and its result means nothing, so this reference refuses to give one: the call throws
 * {@link ArithmeticException} naming the output element. (With uint8 activations and int8 weights without a zero
 * point, each product is at most 255 * 128, so that takes more than 65,000 products per output; with weight zero
 * points a product can reach 255 * 255, and about 33,000 suffice; or a bias near the int32 limits.)
 */
final class QuantizedKernel implements ConvKernel {
    private final ConvSpec s;
    private final TensorIndex ix;
    private final DType in, out;
    /** Weights minus their zero point, HWIO or OIHW as given. */
    private final int[] w;
    private final int[] bias;
    private final double inputScale, outputScale;
    private final int inputZeroPoint, outputZeroPoint;
    private final double[] weightScales;

    QuantizedKernel(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        this.s = spec;
        this.ix = new TensorIndex(spec);
        Quantization q = spec.quantization();
        this.in = spec.dtype();
        this.out = q.output();
        byte[] raw = weights.asSlice(0, spec.weightElements()).toArray(ValueLayout.JAVA_BYTE);
        this.w = new int[raw.length];
        for (int kh = 0; kh < spec.kh(); kh++) {
            for (int kw = 0; kw < spec.kw(); kw++) {
                for (int i = 0; i < spec.icPerGroup(); i++) {
                    for (int o = 0; o < spec.oc(); o++) {
                        int at = (int) ix.weight(kh, kw, i, o);
                        w[at] = raw[at] - q.weightZeroPoint(o);
                    }
                }
            }
        }
        this.bias = bias == null ? null : bias.asSlice(0, 4L * spec.oc()).toArray(ValueLayout.JAVA_INT);
        this.inputScale = q.inputScale();
        this.inputZeroPoint = q.inputZeroPoint();
        this.outputScale = q.outputScale();
        this.outputZeroPoint = q.outputZeroPoint();
        this.weightScales = new double[spec.oc()];
        for (int o = 0; o < spec.oc(); o++) {
            weightScales[o] = q.weightScale(o);
        }
    }

    /** Single-threaded whatever the budget, like the float reference. */
    @Override
    public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
        int icg = s.icPerGroup(), ocg = s.ocPerGroup();
        for (int n = 0; n < batch; n++) {
            for (int oc = 0; oc < s.oc(); oc++) {
                int g = oc / ocg;
                for (int oh = 0; oh < s.oh(); oh++) {
                    for (int ow = 0; ow < s.ow(); ow++) {
                        long acc = bias == null ? 0 : bias[oc];
                        for (int kh = 0; kh < s.kh(); kh++) {
                            long ih = (long) oh * s.sh() - s.padTop() + (long) kh * s.dh();
                            if (ih < 0 || ih >= s.ih()) {
                                continue;   // padding holds the zero point: x - zero point = 0
                            }
                            for (int kw = 0; kw < s.kw(); kw++) {
                                long iw = (long) ow * s.sw() - s.padLeft() + (long) kw * s.dw();
                                if (iw < 0 || iw >= s.iw()) {
                                    continue;
                                }
                                for (int i = 0; i < icg; i++) {
                                    byte b = x.get(ValueLayout.JAVA_BYTE, ix.input(n, ih, iw, g * icg + i));
                                    int xv = in == DType.UINT8 ? Byte.toUnsignedInt(b) : b;
                                    acc += (long) (xv - inputZeroPoint) * w[(int) ix.weight(kh, kw, i, oc)];
                                }
                            }
                        }
                        long yi = ix.output(n, oh, ow, oc);
                        if (acc != (int) acc) {
                            throw new ArithmeticException("int32 accumulator overflows at output n=" + n + ", oh="
                                    + oh + ", ow=" + ow + ", oc=" + oc + ": acc + bias = " + acc + " ("
                                    + s + ")");
                        }
                        store(y, yi, acc, oc);
                    }
                }
            }
        }
    }

    /** Requantises (or dequantises) one accumulator into {@code y[yi]}. */
    private void store(MemorySegment y, long yi, long acc, int oc) {
        double real = acc * inputScale * weightScales[oc];
        if (s.relu() && real < 0) {
            real = 0;
        }
        switch (out) {
            case FLOAT32 -> y.setAtIndex(ValueLayout.JAVA_FLOAT, yi, (float) real);
            case INT8 -> y.set(ValueLayout.JAVA_BYTE, yi, (byte) saturate(real, -128, 127));
            case UINT8 -> y.set(ValueLayout.JAVA_BYTE, yi, (byte) saturate(real, 0, 255));
            default -> throw new IllegalStateException("output type " + out);
        }
    }

    /** {@code roundHalfEven(real / outputScale) + outputZeroPoint}, clamped to {@code lo..hi}. */
    private int saturate(double real, int lo, int hi) {
        double v = Math.rint(real / outputScale) + outputZeroPoint;
        return (int) Math.max(lo, Math.min(hi, v));
    }

    @Override
    public String implementation() {
        return "loops, exact integer accumulation, requantisation in double";
    }

    @Override
    public void close() {
        // holds only Java arrays
    }
}
