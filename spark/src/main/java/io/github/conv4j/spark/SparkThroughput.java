package io.github.conv4j.spark;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.Wisdom;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Images per second for one ResNet-like layer (NHWC 56x56x64 to 64 channels, 3x3, SAME, float32, mb 8): a plain
 * loop on one plan at 1 and 2 threads, and {@link Conv2dSpark#convolve} on {@code local[1]} and {@code local[2]}
 * with the executor's plan cache and with a plan made in every partition. Prints a markdown table on stdout and
 * progress on stderr. Run it with {@code spark/throughput.sh}.
 *
 * <p>Options: {@code --images N} (default 192), {@code --partition-images N} images per partition (default 32),
 * {@code --runs N} timed runs per row after one warm-up run (default 3; the table gives their median).
 */
public final class SparkThroughput {
    private static final ConvSpec SPEC = ConvSpec.builder().layout(Layout.NHWC).input(8, 56, 56, 64)
            .kernel(3, 3, 64).padding(Padding.SAME).build();
    private static final int IMAGE = Math.toIntExact(SPEC.inputElements() / SPEC.mb());
    private static final int OUTPUT = Math.toIntExact(SPEC.outputElements() / SPEC.mb());
    private static final long SEED = 42;

    private SparkThroughput() {
    }

    /** One line of the table: images per second in each timed run. */
    private record Result(String how, String threads, String plans, double[] imagesPerSecond) {
        double median() {
            double[] s = imagesPerSecond.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    public static void main(String[] args) throws Exception {
        int images = 192, perPartition = 32, runs = 3;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i]) {
                case "--images" -> images = positive(args[i], value);
                case "--partition-images" -> perPartition = positive(args[i], value);
                case "--runs" -> runs = positive(args[i], value);
                default -> throw new IllegalArgumentException("unknown option: " + args[i]
                        + " (options: --images N, --partition-images N, --runs N)");
            }
            i++;
        }
        float[] weights = uniform(new SplittableRandom(SEED), Math.toIntExact(SPEC.weightElements()));
        List<Result> results = new ArrayList<>();
        String engine;

        float[][] data = new float[images][], outputs = new float[SPEC.mb()][];
        for (int i = 0; i < images; i++) {
            data[i] = image(i);
        }
        try (ConvPlan plan = Conv2d.plan(SPEC, Tensor.of(weights, SPEC.weightShape()), null)) {
            engine = plan.engine() + (plan.implementation().isEmpty() ? "" : " (" + plan.implementation() + ")");
            for (int threads = 1; threads <= 2; threads++) {
                Settings.setThreads(threads);
                progress("JVM loop, " + threads + " thread(s)");
                loop(plan, data, outputs);
                double[] rates = new double[runs];
                for (int r = 0; r < runs; r++) {
                    long t0 = System.nanoTime();
                    loop(plan, data, outputs);
                    rates[r] = images / ((System.nanoTime() - t0) / 1e9);
                }
                results.add(new Result("JVM loop on one plan", String.valueOf(threads), "one", rates));
            }
        }
        data = null;   // the Spark runs make their own images
        outputs = null;

        String sparkVersion = "";
        int partitions = Math.max(1, (images + perPartition - 1) / perPartition);
        for (int cores = 1; cores <= 2; cores++) {
            SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("conv4j-throughput")
                    .config("spark.ui.enabled", "false").getOrCreate();
            try {
                sparkVersion = spark.version();
                Dataset<Row> input = images(spark, images, partitions).cache();
                input.count();
                for (boolean cached : new boolean[] {true, false}) {
                    progress("Spark local[" + cores + "], " + (cached ? "plan cache" : "a plan per partition"));
                    double[] rates = new double[runs];
                    for (int r = -1; r < runs; r++) {
                        // a new convolve call per run: each run broadcasts again and makes its plans, as a job does
                        Dataset<Row> out =
                                Conv2dSpark.convolve(input, "pixels", "features", SPEC, weights, null, cached);
                        long t0 = System.nanoTime();
                        out.write().format("noop").mode("overwrite").save();
                        if (r >= 0) {
                            rates[r] = images / ((System.nanoTime() - t0) / 1e9);
                        }
                    }
                    results.add(new Result("Spark local[" + cores + "]", cores == 1 ? "1" : cores + ", shared by the tasks"
                            + " in flight", cached ? "one per executor (cache)" : "one per partition", rates));
                }
                input.unpersist();
            } finally {
                spark.stop();
            }
        }
        print(results, engine, sparkVersion, images, perPartition, partitions, runs);
    }

    private static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(option + " must be an integer >= 1: " + value);
    }

    /** Image {@code i}: uniform values in [-1, 1), the same in every row of the table. */
    private static float[] image(long i) {
        return uniform(new SplittableRandom(SEED * 1_000_003 + i), IMAGE);
    }

    private static float[] uniform(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /**
     * The same work as a task's, without Spark: batches of mb images in, one forward, each output copied out into
     * an array of its own; {@code outputs} holds one batch's.
     */
    private static void loop(ConvPlan plan, float[][] images, float[][] outputs) {
        int mb = SPEC.mb();
        float[] x = new float[mb * IMAGE], y = new float[mb * OUTPUT];
        for (int first = 0; first < images.length; first += mb) {
            int count = Math.min(mb, images.length - first);
            for (int i = 0; i < count; i++) {
                System.arraycopy(images[first + i], 0, x, i * IMAGE, IMAGE);
            }
            plan.forward(x, y, count);
            for (int i = 0; i < count; i++) {
                // a new array per image, as a task hands each output row to Spark; kept only until the next
                // batch, as the noop sink keeps Spark's rows (holding every output made the loop measure the
                // garbage collector copying them: 171 images/s against 246 through Spark on local[1])
                outputs[i] = Arrays.copyOfRange(y, i * OUTPUT, (i + 1) * OUTPUT);
            }
        }
    }

    /** {@code count} rows (id, pixels) made on the executors, in {@code partitions} partitions. */
    private static Dataset<Row> images(SparkSession spark, int count, int partitions) {
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("pixels", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        return spark.range(0, count, 1, partitions).map(
                (MapFunction<Long, Row>) i -> RowFactory.create(i, image(i)),
                Encoders.row(schema));
    }

    private static void progress(String what) {
        System.err.println("throughput: " + what);
    }

    private static void print(List<Result> results, String engine, String sparkVersion, int images, int perPartition,
            int partitions, int runs) {
        StringBuilder out = new StringBuilder();
        out.append("# conv4j on Spark: images per second\n\n");
        out.append("Layer: ").append(SPEC).append(", ").append(images).append(" images, ")
                .append(partitions).append(" partitions of up to ").append(perPartition).append(" images\n\n");
        out.append("- CPU: ").append(Wisdom.cpuModel()).append(" (").append(Runtime.getRuntime().availableProcessors())
                .append(" processors)\n");
        out.append("- JDK: ").append(System.getProperty("java.vm.vendor")).append(' ').append(Runtime.version())
                .append('\n');
        out.append("- Spark: ").append(sparkVersion).append('\n');
        out.append("- engine (auto): ").append(engine).append('\n');
        out.append("- commit: ").append(gitCommit()).append('\n');
        out.append("- threads: conv4j's thread setting, shared by the forward calls in flight\n");
        out.append("- each figure: the median of ").append(runs).append(" timed runs after one warm-up run;")
                .append(" a Spark run is a new convolve call written to the noop sink, its plans made within it\n\n");
        out.append("| how | threads | plans | images/s | runs (images/s) |\n|---|---|---|---:|---|\n");
        for (Result r : results) {
            StringBuilder each = new StringBuilder();
            for (double v : r.imagesPerSecond()) {
                each.append(each.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.1f", v));
            }
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %s |%n", r.how(), r.threads(), r.plans(),
                    r.median(), each));
        }
        System.out.print(out);
    }

    /** The commit checked out, with {@code -dirty} when tracked files differ from it, or "unknown". */
    private static String gitCommit() {
        String head = git("rev-parse", "--short=12", "HEAD");
        if (head == null || head.isEmpty()) {
            return "unknown";
        }
        String status = git("status", "--porcelain", "--untracked-files=no");
        return status == null ? head : status.isEmpty() ? head : head + "-dirty";
    }

    private static String git(String... args) {
        try {
            List<String> command = new ArrayList<>(List.of("git"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException | InterruptedException | RuntimeException e) {
            return null;
        }
    }
}
