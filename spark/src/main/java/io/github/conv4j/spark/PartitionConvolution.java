package io.github.conv4j.spark;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Tensor;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;

/**
 * What each task runs on its partition: gathers up to {@code mb} images into one batch, convolves the batch with
 * one forward call, and emits each input row with its output image appended. The task serialises only this
 * object (the broadcast's handle, the application id, the column); the spec, weights and bias come from the
 * broadcast, read once per executor when the plan is made.
 */
final class PartitionConvolution implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /** What is broadcast once: the spec's fields, the weights and the bias (null when the spec has none). */
    record Parameters(SpecFields spec, float[] weights, float[] bias) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final Broadcast<Parameters> parameters;
    private final String application;
    private final int inputIndex;
    private final String inputColumn;
    private final boolean cachePlans;

    /**
     * @param application the id of the application that made {@code parameters}
     * @param inputIndex the input column's position in the rows
     * @param cachePlans false to make and close a plan in every partition instead of sharing one per executor
     *     (only to measure what the cache saves)
     */
    PartitionConvolution(Broadcast<Parameters> parameters, String application, int inputIndex, String inputColumn,
            boolean cachePlans) {
        this.parameters = parameters;
        this.application = application;
        this.inputIndex = inputIndex;
        this.inputColumn = inputColumn;
        this.cachePlans = cachePlans;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();   // an empty partition needs no plan
        }
        TaskContext task = TaskContext.get();
        ExecutorThreads.apply(application, SparkEnv.get().conf());
        ConvPlan plan;
        if (cachePlans) {
            plan = PlanCache.plan(new PlanCache.Key(application, parameters.id()), this::makePlan);
        } else {
            ConvPlan own = makePlan();
            task.addTaskCompletionListener((TaskCompletionListener) context -> own.close());
            plan = own;
        }
        return new Batches(rows, plan, inputIndex, inputColumn, task.partitionId());
    }

    /** A plan through {@code auto}, which falls back to the pure-Java engines when the natives cannot load. */
    private ConvPlan makePlan() {
        Parameters p = parameters.value();
        ConvSpec spec = p.spec().toSpec();
        return Conv2d.plan(spec, Tensor.of(p.weights(), spec.weightShape()),
                p.bias() == null ? null : Tensor.of(p.bias(), spec.oc()));
    }

    /** The output rows of one partition, computed a batch of {@code mb} input rows at a time. */
    static final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final ConvPlan plan;
        private final int inputIndex;
        private final String inputColumn;
        private final int partition;
        private final int mb, imageLength, outputLength;
        /** One image as stored in a row, in the spec's layout: {@code [ih, iw, ic]} or {@code [ic, ih, iw]}. */
        private final long[] imageShape;
        // x[mb * imageLength] <- the batch's images, y[mb * outputLength] -> their outputs
        private final float[] x, y;
        /** The batch's input rows, emitted with their outputs. */
        private final Row[] batch;
        private int size, emitted;
        /** Input rows read so far in this partition, to name a bad one. */
        private long read;

        Batches(Iterator<Row> rows, ConvPlan plan, int inputIndex, String inputColumn, int partition) {
            this.rows = rows;
            this.plan = plan;
            this.inputIndex = inputIndex;
            this.inputColumn = inputColumn;
            this.partition = partition;
            ConvSpec spec = plan.spec();
            mb = spec.mb();
            imageLength = Math.toIntExact(spec.inputElements() / mb);
            outputLength = Math.toIntExact(spec.outputElements() / mb);
            long[] shape = spec.inputShape();
            imageShape = Arrays.copyOfRange(shape, 1, shape.length);
            x = new float[Math.multiplyExact(mb, imageLength)];
            y = new float[Math.multiplyExact(mb, outputLength)];
            batch = new Row[mb];
        }

        @Override
        public boolean hasNext() {
            return emitted < size || rows.hasNext();
        }

        @Override
        public Row next() {
            if (emitted == size) {
                fill();
            }
            Row in = batch[emitted];
            batch[emitted] = null;
            float[] out = Arrays.copyOfRange(y, emitted * outputLength, (emitted + 1) * outputLength);
            emitted++;
            Object[] values = new Object[in.length() + 1];
            for (int i = 0; i < in.length(); i++) {
                values[i] = in.get(i);
            }
            values[in.length()] = out;
            return RowFactory.create(values);
        }

        /** Reads up to {@code mb} rows into the batch and convolves them. */
        private void fill() {
            size = 0;
            emitted = 0;
            while (size < mb && rows.hasNext()) {
                Row row = rows.next();
                copyImage(row, size * imageLength);
                batch[size++] = row;
                read++;
            }
            if (size == 0) {
                throw new NoSuchElementException("no more rows in partition " + partition);
            }
            plan.forward(x, y, size);   // the first size images; a partition's last batch may be short
        }

        /** Copies the row's image into {@code x} at {@code offset}, checking that it is one whole image. */
        private void copyImage(Row row, int offset) {
            if (row.isNullAt(inputIndex)) {
                throw new IllegalArgumentException("image is null: column " + inputColumn + " in row " + read
                        + " of partition " + partition + ", spec wants " + imageLength + " values ("
                        + plan.spec().layout() + " image " + Arrays.toString(imageShape) + ")");
            }
            List<Float> image = row.getList(inputIndex);
            if (image.size() != imageLength) {
                throw new IllegalArgumentException("image length differs from spec: column " + inputColumn + " has "
                        + image.size() + " values in row " + read + " of partition " + partition + ", spec wants "
                        + imageLength + " (" + plan.spec().layout() + " image " + Arrays.toString(imageShape) + ")");
            }
            for (int i = 0; i < imageLength; i++) {
                Float v = image.get(i);
                if (v == null) {
                    throw new IllegalArgumentException("image value is null: column " + inputColumn + " index " + i
                            + " in row " + read + " of partition " + partition);
                }
                x[offset + i] = v;
            }
        }
    }
}
