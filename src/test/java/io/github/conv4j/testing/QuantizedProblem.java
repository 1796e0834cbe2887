package io.github.conv4j.testing;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Quantization;
import io.github.conv4j.Tensor;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * Seeded inputs for a quantized spec and naive's output on them.
 *
 * <p>How the parameters are drawn: activations uniform over the whole uint8 or int8 range with a nonzero zero
 * point; int8 weights uniform over -128..127 with scales per tensor or per output channel; an int32 bias uniform
 * in +-20000 when the spec has one. The output scale comes from the data: naive first computes the float32
 * (dequantised) result, and {@code outputScale = max |real| / 100}, so int8 outputs spread over most of their
 * range and few saturate (uint8 output: a zero point of 128, or 10 with ReLU; int8 output: -20..20). With
 * {@code powerOfTwo}, every scale is a power of two (the output scale rounded down to one) and the output zero
 * point even, so every product is exact, a tie rounds the same whether the zero point is added before or after
 * rounding, and an engine must agree with naive bit for bit, as long as {@code |acc + bias| < 2^24} (callers keep
 * the reduction small).
 *
 * @param spec the quantized spec, output type and scale included
 */
public record QuantizedProblem(ConvSpec spec, Tensor x, Tensor w, Tensor b, Tensor want) {

    /**
     * Turns the float {@code shape} into a quantized spec with {@code activation} input and {@code output} output,
     * draws its inputs from {@code rnd} and runs naive.
     */
    public static QuantizedProblem draw(Arena arena, ConvSpec shape, DType activation, DType output,
            boolean perChannel, boolean powerOfTwo, SplittableRandom rnd) {
        int oc = shape.oc();
        float xs = powerOfTwo ? (float) Math.scalb(1.0, -5 - rnd.nextInt(4)) : (float) rnd.nextDouble(0.005, 0.05);
        int xzp = activation == DType.UINT8 ? 1 + rnd.nextInt(254) : rnd.nextInt(-127, 128);
        if (xzp == 0) {
            xzp = 3;
        }
        float[] ws = new float[perChannel ? oc : 1];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = powerOfTwo ? (float) Math.scalb(1.0, -6 - rnd.nextInt(5)) : (float) rnd.nextDouble(0.001, 0.01);
        }
        ConvSpec real = shape.toBuilder().dtype(activation).quantization(Quantization.toFloat(xs, xzp, ws)).build();
        Tensor x = Tensor.allocate(arena, activation, real.inputShape());
        for (long i = 0; i < x.elementCount(); i++) {
            Tensors.set(x, i, activation == DType.UINT8 ? rnd.nextInt(256) : rnd.nextInt(-128, 128));
        }
        Tensor w = Tensor.allocate(arena, DType.INT8, real.weightShape());
        for (long i = 0; i < w.elementCount(); i++) {
            Tensors.set(w, i, rnd.nextInt(-128, 128));
        }
        Tensor b = null;
        if (real.hasBias()) {
            b = Tensor.allocate(arena, DType.INT32, real.biasShape());
            for (long i = 0; i < oc; i++) {
                Tensors.set(b, i, rnd.nextInt(-20000, 20001));
            }
        }
        Tensor reals = Tensor.allocate(arena, DType.FLOAT32, real.outputShape());
        Conv2d.forward(Conv2d.NAIVE, real, x, w, b, reals);
        if (output == DType.FLOAT32) {
            return new QuantizedProblem(real, x, w, b, reals);
        }
        double max = 0;
        for (long i = 0; i < reals.elementCount(); i++) {
            max = Math.max(max, Math.abs(reals.getDouble(i)));
        }
        double ys = Math.max(max, 1e-3) / 100;
        if (powerOfTwo) {
            ys = Math.scalb(1.0, Math.getExponent(ys));
        }
        int yzp = output == DType.INT8 ? rnd.nextInt(-20, 21) : shape.relu() ? 10 : 128;
        if (powerOfTwo) {
            // oneDNN adds the zero point before it rounds: on an exact tie (common with power-of-two scales) an odd
            // zero point then rounds the other way than ONNX's round-then-add
            yzp &= ~1;
        }
        ConvSpec spec = shape.toBuilder().dtype(activation)
                .quantization(new Quantization(xs, xzp, ws, new int[] {0}, output, (float) ys, yzp)).build();
        Tensor want = Tensor.allocate(arena, output, spec.outputShape());
        Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
        return new QuantizedProblem(spec, x, w, b, want);
    }

    /** Whether every scale of {@code spec} is a power of two (then its products are exact). */
    public static boolean powersOfTwo(ConvSpec spec) {
        Quantization q = spec.quantization();
        boolean all = pow2(q.inputScale()) && pow2(q.outputScale());
        for (float s : q.weightScales()) {
            all &= pow2(s);
        }
        return all;
    }

    private static boolean pow2(float v) {
        return v == Math.scalb(1f, Math.getExponent(v));
    }
}
