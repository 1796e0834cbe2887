package io.github.conv4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * The quantization parameters of an int8 convolution, as ONNX {@code QLinearConv} defines them: activations
 * {@code x} (int8 or uint8, the spec's {@link ConvSpec#dtype()}) with a per-tensor scale and zero point, int8
 * weights with a scale and a zero point per tensor (arrays of length 1) or per output channel (length
 * {@code oc}), an optional int32 bias, and the output's type, scale and zero point.
 *
 * <p>With {@code acc[o] = sum (x - inputZeroPoint) * (w - weightZeroPoint[o])} computed exactly and
 * {@code real = (acc + bias[o]) * inputScale * weightScale[o]} (ReLU, if the spec has it, applied to
 * {@code real}):
 * <ul>
 *   <li>int8/uint8 output: {@code y = saturate(roundHalfEven(real / outputScale) + outputZeroPoint)};
 *   <li>float32 output: {@code y = real}, which is ONNX {@code ConvInteger} followed by dequantisation. Its
 *       output scale must be 1 and its zero point 0: a float output has neither, and other values are refused
 *       rather than silently ignored.
 * </ul>
 *
 * <p>Equality compares values (scales bit for bit), so two specs equal in everything but their scales are
 * different specs; {@link #describe()} names only the structure, which is what a spec's description (and so its
 * wisdom key) carries.
 *
 * @param inputScale the activations' scale, finite and {@code > 0}
 * @param inputZeroPoint the activations' zero point, in the activation type's range (checked by the spec)
 * @param weightScales the weights' scales: one, or one per output channel; each finite and {@code > 0}
 * @param weightZeroPoints the weights' zero points: one, or one per output channel; each in {@code -128..127}
 * @param output the output type: {@link DType#INT8}, {@link DType#UINT8} or {@link DType#FLOAT32}
 * @param outputScale the output's scale, finite and {@code > 0} (1 for float32 output)
 * @param outputZeroPoint the output's zero point, in the output type's range (0 for float32 output)
 */
public record Quantization(float inputScale, int inputZeroPoint, float[] weightScales, int[] weightZeroPoints,
        DType output, float outputScale, int outputZeroPoint) {

    /**
     * Validates every field and copies the arrays.
     *
     * @throws IllegalArgumentException naming the field and value, for a scale that is not finite and positive,
     *     a zero point outside its type's range, an empty array, or an output type other than int8, uint8 or
     *     float32 (or a float32 output with a scale other than 1 or a zero point other than 0)
     */
    public Quantization {
        Objects.requireNonNull(weightScales, "weightScales");
        Objects.requireNonNull(weightZeroPoints, "weightZeroPoints");
        Objects.requireNonNull(output, "output");
        weightScales = weightScales.clone();
        weightZeroPoints = weightZeroPoints.clone();
        scale("inputScale", inputScale);
        // the activation type is the spec's; here only what neither int8 nor uint8 can hold is refused
        if (inputZeroPoint < -128 || inputZeroPoint > 255) {
            throw new IllegalArgumentException("inputZeroPoint outside int8 and uint8 range: inputZeroPoint="
                    + inputZeroPoint);
        }
        if (weightScales.length == 0) {
            throw new IllegalArgumentException("weightScales is empty: give one scale or one per output channel");
        }
        if (weightZeroPoints.length == 0) {
            throw new IllegalArgumentException("weightZeroPoints is empty: give one zero point or one per output"
                    + " channel");
        }
        for (int i = 0; i < weightScales.length; i++) {
            scale("weightScales[" + i + "]", weightScales[i]);
        }
        for (int i = 0; i < weightZeroPoints.length; i++) {
            zeroPoint("weightZeroPoints[" + i + "]", weightZeroPoints[i], DType.INT8);
        }
        switch (output) {
            case INT8, UINT8 -> {
                scale("outputScale", outputScale);
                zeroPoint("outputZeroPoint", outputZeroPoint, output);
            }
            case FLOAT32 -> {
                if (outputScale != 1f || outputZeroPoint != 0) {
                    throw new IllegalArgumentException("float32 output takes no output scale or zero point:"
                            + " outputScale=" + outputScale + ", outputZeroPoint=" + outputZeroPoint
                            + " (must be 1 and 0)");
                }
            }
            default -> throw new IllegalArgumentException("output must be int8, uint8 or float32: output=" + output);
        }
    }

    /** Int8/uint8 output with per-tensor weight scale and zero point 0. */
    public static Quantization perTensor(float inputScale, int inputZeroPoint, float weightScale, DType output,
            float outputScale, int outputZeroPoint) {
        return new Quantization(inputScale, inputZeroPoint, new float[] {weightScale}, new int[] {0}, output,
                outputScale, outputZeroPoint);
    }

    /** Int8/uint8 output with one weight scale per output channel and weight zero points 0. */
    public static Quantization perChannel(float inputScale, int inputZeroPoint, float[] weightScales, DType output,
            float outputScale, int outputZeroPoint) {
        return new Quantization(inputScale, inputZeroPoint, weightScales, new int[] {0}, output, outputScale,
                outputZeroPoint);
    }

    /** Float32 output ({@code ConvInteger} then dequantisation), weight scales per tensor or per channel. */
    public static Quantization toFloat(float inputScale, int inputZeroPoint, float... weightScales) {
        return new Quantization(inputScale, inputZeroPoint, weightScales, new int[] {0}, DType.FLOAT32, 1f, 0);
    }

    /** The weight scales (a copy). */
    @Override
    public float[] weightScales() {
        return weightScales.clone();
    }

    /** The weight zero points (a copy). */
    @Override
    public int[] weightZeroPoints() {
        return weightZeroPoints.clone();
    }

    /** The weight scale of output channel {@code oc}. */
    public float weightScale(int oc) {
        return weightScales[weightScales.length == 1 ? 0 : oc];
    }

    /** The weight zero point of output channel {@code oc}. */
    public int weightZeroPoint(int oc) {
        return weightZeroPoints[weightZeroPoints.length == 1 ? 0 : oc];
    }

    /** Whether the weight scales are per output channel. */
    public boolean perChannelScales() {
        return weightScales.length > 1;
    }

    /** Whether any weight zero point is nonzero. */
    public boolean hasWeightZeroPoints() {
        for (int z : weightZeroPoints) {
            if (z != 0) {
                return true;
            }
        }
        return false;
    }

    /** Checks the parts that depend on the spec: the input zero point's type and the weight arrays' lengths. */
    void check(DType activation, int oc) {
        zeroPoint("inputZeroPoint", inputZeroPoint, activation);
        if (weightScales.length != 1 && weightScales.length != oc) {
            throw new IllegalArgumentException("weightScales length must be 1 or oc: length " + weightScales.length
                    + ", oc=" + oc);
        }
        if (weightZeroPoints.length != 1 && weightZeroPoints.length != oc) {
            throw new IllegalArgumentException("weightZeroPoints length must be 1 or oc: length "
                    + weightZeroPoints.length + ", oc=" + oc);
        }
    }

    /**
     * The structure without the values: output type, and whether weight scales and zero points are per tensor or
     * per channel (and nonzero). Layers that differ only in their scales describe alike.
     */
    public String describe() {
        return "quantized(w scales " + (perChannelScales() ? "per-channel" : "per-tensor")
                + (hasWeightZeroPoints() ? ", w zero points " + (weightZeroPoints.length > 1 ? "per-channel"
                        : "per-tensor") : "")
                + " -> " + output + ")";
    }

    private static void scale(String name, float v) {
        if (!(Float.isFinite(v) && v > 0)) {
            throw new IllegalArgumentException(name + " must be finite and > 0: " + name + "=" + v);
        }
    }

    private static void zeroPoint(String name, int v, DType type) {
        int lo = type == DType.UINT8 ? 0 : -128, hi = type == DType.UINT8 ? 255 : 127;
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(name + " outside " + type + " range " + lo + ".." + hi + ": " + name
                    + "=" + v);
        }
    }

    /** Whether {@code o} holds the same values (scales compared bit for bit). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Quantization q && Float.compare(inputScale, q.inputScale) == 0
                && inputZeroPoint == q.inputZeroPoint && Arrays.equals(weightScales, q.weightScales)
                && Arrays.equals(weightZeroPoints, q.weightZeroPoints) && output == q.output
                && Float.compare(outputScale, q.outputScale) == 0 && outputZeroPoint == q.outputZeroPoint;
    }

    @Override
    public int hashCode() {
        return Objects.hash(inputScale, inputZeroPoint, Arrays.hashCode(weightScales),
                Arrays.hashCode(weightZeroPoints), output, outputScale, outputZeroPoint);
    }

    /** Every value, for messages. */
    @Override
    public String toString() {
        return "Quantization[x scale=" + inputScale + " zp=" + inputZeroPoint + ", w scales="
                + Arrays.toString(weightScales) + " zps=" + Arrays.toString(weightZeroPoints) + ", y " + output
                + (output == DType.FLOAT32 ? "" : " scale=" + outputScale + " zp=" + outputZeroPoint) + "]";
    }
}
