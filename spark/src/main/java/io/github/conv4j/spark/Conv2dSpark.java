package io.github.conv4j.spark;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import java.util.Arrays;
import java.util.Objects;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Convolves the images of a Spark {@link Dataset} on the executors, a batch of {@code spec.mb()} images per
 * forward call.
 *
 * <p>Each row's input column holds one image as {@code array<float>} of {@code ih * iw * ic} values in the
 * spec's layout, without the batch dimension ({@code [ih, iw, ic]} for NHWC, {@code [ic, ih, iw]} for NCHW); the
 * output column receives {@code array<float>} of {@code oh * ow * oc} values in the same layout. Other columns
 * pass through unchanged. The package documentation says how plans, threads and engines are chosen.
 */
public final class Conv2dSpark {
    /** The largest Java array: a batch of mb images must fit in one. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private Conv2dSpark() {
    }

    /**
     * Returns {@code images} with {@code outputColumn} appended: each row's {@code inputColumn} image convolved
     * with {@code weights} and {@code bias} as {@code spec} describes. The weights, bias and spec are broadcast
     * once (copied first, so the caller may change its arrays); the work runs when the result is computed.
     *
     * @param spec a float32 convolution; its {@code mb} is the number of images an executor convolves at once
     * @param weights the weights in the spec's weight layout (HWIO for NHWC, OIHW for NCHW)
     * @param bias {@code oc} values, or null when the spec has no bias
     * @throws IllegalArgumentException if the spec is not float32, the weights or bias do not match it, the input
     *     column is missing or not {@code array<float>}, the output column exists, or a batch of {@code mb}
     *     images does not fit in a Java array
     */
    public static Dataset<Row> convolve(Dataset<Row> images, String inputColumn, String outputColumn, ConvSpec spec,
            float[] weights, float[] bias) {
        return convolve(images, inputColumn, outputColumn, spec, weights, bias, true);
    }

    /**
     * {@link #convolve(Dataset, String, String, ConvSpec, float[], float[])}, or with {@code cachePlans} false a
     * plan made and closed in every partition, to measure what the executor's plan cache saves.
     */
    static Dataset<Row> convolve(Dataset<Row> images, String inputColumn, String outputColumn, ConvSpec spec,
            float[] weights, float[] bias, boolean cachePlans) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(inputColumn, "inputColumn");
        Objects.requireNonNull(outputColumn, "outputColumn");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(weights, "weights");
        requireParameters(spec, weights, bias);
        StructType schema = images.schema();
        int inputIndex = inputIndex(schema, inputColumn);
        if (Arrays.asList(schema.fieldNames()).contains(outputColumn)) {
            throw new IllegalArgumentException("output column exists: " + outputColumn + " in "
                    + schema.simpleString());
        }

        SparkContext context = images.sparkSession().sparkContext();
        // copies: in local mode the executors read the broadcast object itself, so a caller changing its arrays
        // before the job runs would change the weights under it
        Broadcast<PartitionConvolution.Parameters> parameters = JavaSparkContext.fromSparkContext(context).broadcast(
                new PartitionConvolution.Parameters(SpecFields.of(spec), weights.clone(),
                        bias == null ? null : bias.clone()));
        StructType output = schema.add(outputColumn, DataTypes.createArrayType(DataTypes.FloatType, false), false);
        return images.mapPartitions(new PartitionConvolution(parameters, context.applicationId(), inputIndex,
                inputColumn, cachePlans), Encoders.row(output));
    }

    private static void requireParameters(ConvSpec spec, float[] weights, float[] bias) {
        if (spec.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("dtype differs: images are array<float> (FLOAT32), spec is "
                    + spec.dtype());
        }
        if (weights.length != spec.weightElements()) {
            throw new IllegalArgumentException("weights length differs from spec: weights length=" + weights.length
                    + ", spec wants " + spec.weightElements() + " (" + spec.layout().weightOrder() + " "
                    + Arrays.toString(spec.weightShape()) + ")");
        }
        if (spec.hasBias() && bias == null) {
            throw new IllegalArgumentException("bias is missing: spec has bias, none given");
        }
        if (!spec.hasBias() && bias != null) {
            throw new IllegalArgumentException("bias given but spec has no bias: bias length=" + bias.length);
        }
        if (bias != null && bias.length != spec.oc()) {
            throw new IllegalArgumentException("bias length differs from spec: bias length=" + bias.length
                    + ", spec wants oc=" + spec.oc());
        }
        if (spec.inputElements() > MAX_ARRAY || spec.outputElements() > MAX_ARRAY) {
            throw new IllegalArgumentException("batch too large for a Java array: mb=" + spec.mb() + " images make "
                    + spec.inputElements() + " input and " + spec.outputElements() + " output values, at most "
                    + MAX_ARRAY + "; lower mb");
        }
    }

    private static int inputIndex(StructType schema, String inputColumn) {
        int index = Arrays.asList(schema.fieldNames()).indexOf(inputColumn);
        if (index < 0) {
            throw new IllegalArgumentException("input column is missing: " + inputColumn + " not in "
                    + schema.simpleString());
        }
        DataType type = schema.fields()[index].dataType();
        if (!(type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType))) {
            throw new IllegalArgumentException("input column must be array<float>: " + inputColumn + " is "
                    + type.simpleString());
        }
        return index;
    }
}
