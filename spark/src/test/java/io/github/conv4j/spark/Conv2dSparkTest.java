package io.github.conv4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Convolves Datasets on a {@code local[2]} session (two executor threads in this JVM) and compares every output
 * with the naive engine run here directly.
 */
class Conv2dSparkTest {
    private static final StructType IMAGES = new StructType()
            .add("id", DataTypes.IntegerType, false)
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType, true), true);

    private static SparkSession spark;

    @BeforeAll
    static void startSpark() {
        // a value no local[2] executor would choose: the first task must replace it with its 2 cores
        Settings.setThreads(5);
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("conv4j-spark-test")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
        Settings.setThreads(0);   // the shipped default: all processors
    }

    /**
     * {@code count} seeded images of {@code imageLength} uniform values in [-1, 1) as rows (id, pixels), in
     * {@code partitions} partitions.
     */
    private static Dataset<Row> images(int imageLength, int count, int partitions, long seed) {
        List<Row> rows = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            rows.add(RowFactory.create(id, uniform(new SplittableRandom(seed * 1000 + id), imageLength)));
        }
        // parallelize splits a list into slices of known sizes, so the test knows where short batches fall
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows, partitions), IMAGES);
    }

    private static int imageLength(ConvSpec spec) {
        return Math.toIntExact(spec.inputElements() / spec.mb());
    }

    private static float[] uniform(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }

    /**
     * Fails unless every row's output equals naive's for its image, within {@code 8 * eps * (kh*kw*ic/groups + 1)},
     * the bound the library's tests hold every engine to against naive on uniform inputs in [-1, 1).
     */
    private static void assertMatchesNaive(ConvSpec spec, float[] w, float[] b, List<Row> out, int count, long seed) {
        assertEquals(count, out.size(), "rows out");
        ConvSpec one = spec.toBuilder().input(1, spec.ih(), spec.iw(), spec.ic()).build();
        double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
        double tol = 8 * 0x1p-23 * (k + 1);
        List<Row> sorted = new ArrayList<>(out);
        sorted.sort(Comparator.comparingInt(r -> r.getInt(0)));
        for (int id = 0; id < count; id++) {
            Row row = sorted.get(id);
            assertEquals(id, row.getInt(0), "ids pass through");
            float[] x = uniform(new SplittableRandom(seed * 1000 + id), imageLength(spec));
            float[] pixels = floats(row.getList(1));
            assertTrue(Arrays.equals(x, pixels), "input column passes through unchanged, id " + id);
            float[] want = new float[Math.toIntExact(one.outputElements())];
            Conv2d.forward(Conv2d.NAIVE, one, Tensor.of(x, one.inputShape()), Tensor.of(w, one.weightShape()),
                    b == null ? null : Tensor.of(b, one.oc()), Tensor.of(want, one.outputShape()));
            float[] got = floats(row.getList(2));
            assertEquals(want.length, got.length, "output length, id " + id);
            for (int i = 0; i < want.length; i++) {
                if (!(Math.abs(got[i] - want[i]) <= tol)) {
                    fail("id " + id + " (seed " + seed + ") " + spec + " at flat index " + i + ": got " + got[i]
                            + ", naive " + want[i] + " (tolerance " + tol + ")");
                }
            }
        }
    }

    private static float[] floats(List<Float> list) {
        float[] a = new float[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = list.get(i);
        }
        return a;
    }

    private static ConvSpec spec(Layout layout) {
        // mb = 4 against partitions of 5 and 6 rows: every partition ends in a short batch
        return layout == Layout.NHWC
                ? ConvSpec.builder().layout(layout).input(4, 9, 7, 3).kernel(3, 3, 5).padding(Padding.SAME)
                        .bias(true).relu(true).build()
                : ConvSpec.builder().layout(layout).input(4, 10, 8, 4).kernel(3, 2, 6).stride(2, 1).dilation(1, 2)
                        .groups(2).padding(Padding.explicit(1, 0, 2, 1)).bias(true).relu(true).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"NHWC", "NCHW"})
    void everyOutputMatchesNaive(String layoutName) {
        ConvSpec spec = spec(Layout.parse(layoutName));
        long seed = 11 + layoutName.hashCode();
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = uniform(rnd, Math.toIntExact(spec.weightElements()));
        float[] b = uniform(rnd, spec.oc());
        int count = 23;
        Dataset<Row> images = images(imageLength(spec), count, 4, seed);
        Dataset<Row> out = Conv2dSpark.convolve(images, "pixels", "features", spec, w, b);
        assertEquals("array<float>", out.schema().apply("features").dataType().simpleString());
        assertMatchesNaive(spec, w, b, out.collectAsList(), count, seed);
    }

    /** The example in README.md, as it is there, then its output read back and checked. */
    @Test
    void readmeExample(@TempDir Path dir) {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] weights = uniform(rnd, 3 * 3 * 3 * 8);
        float[] bias = uniform(rnd, 8);
        Dataset<Row> images = images(32 * 32 * 3, 37, 3, 3);
        String path = dir.resolve("features").toString();

        // images: one row per image, column "pixels" an array<float> of 32 * 32 * 3 values (NHWC, no batch)
        ConvSpec spec = ConvSpec.builder()
                .layout(Layout.NHWC)
                .input(16, 32, 32, 3)          // mb = 16 images per forward call on an executor; ih, iw, ic
                .kernel(3, 3, 8)               // kh, kw, oc
                .padding(Padding.SAME).bias(true).relu(true)
                .build();
        Dataset<Row> features = Conv2dSpark.convolve(images, "pixels", "features", spec, weights, bias);
        features.write().parquet(path);        // "features": array<float> of 32 * 32 * 8 values; other columns kept

        assertMatchesNaive(spec, weights, bias, spark.read().parquet(path).collectAsList(), 37, 3);
    }

    @Test
    void partitionsEmptyOrShorterThanOneBatch() {
        ConvSpec spec = spec(Layout.NHWC);
        SplittableRandom rnd = new SplittableRandom(5);
        float[] w = uniform(rnd, Math.toIntExact(spec.weightElements()));
        float[] b = uniform(rnd, spec.oc());
        // 3 rows in 5 slices: two partitions are empty, three hold one row
        Dataset<Row> out = Conv2dSpark.convolve(images(imageLength(spec), 3, 5, 5), "pixels", "features", spec, w, b);
        assertMatchesNaive(spec, w, b, out.collectAsList(), 3, 5);
    }

    @Test
    void oneExecutorMakesOnePlanPerBroadcastAndSetsThreadsToItsCores() {
        ConvSpec spec = spec(Layout.NHWC);
        SplittableRandom rnd = new SplittableRandom(7);
        float[] w = uniform(rnd, Math.toIntExact(spec.weightElements()));
        float[] b = uniform(rnd, spec.oc());
        Map<PlanCache.Key, String> before = PlanCache.engines();
        // 8 partitions on 2 executor threads: two tasks at a time ask for the plan
        Dataset<Row> out = Conv2dSpark.convolve(images(imageLength(spec), 40, 8, 7), "pixels", "features", spec, w, b);
        assertMatchesNaive(spec, w, b, out.collectAsList(), 40, 7);
        assertEquals(1, newPlans(before).size(), "plans made for one convolve call: " + newPlans(before));
        // the same Dataset again uses the same broadcast, whose plan exists
        assertEquals(40, out.count());
        assertEquals(1, newPlans(before).size(), "plans after computing the result again: " + newPlans(before));
        if (System.getProperty(Settings.THREADS) == null) {
            assertEquals(2, Settings.threads(), "conv4j threads on a local[2] executor");
        }
        // a second call broadcasts again, and its plan is made once too
        Conv2dSpark.convolve(images(imageLength(spec), 40, 8, 7), "pixels", "features", spec, w, b).count();
        assertEquals(2, newPlans(before).size(), "plans after a second convolve call: " + newPlans(before));
    }

    @Test
    void withoutTheCacheNoPlanIsKept() {
        ConvSpec spec = spec(Layout.NHWC);
        SplittableRandom rnd = new SplittableRandom(8);
        float[] w = uniform(rnd, Math.toIntExact(spec.weightElements()));
        float[] b = uniform(rnd, spec.oc());
        int made = PlanCache.plansMade();
        Map<PlanCache.Key, String> before = PlanCache.engines();
        Dataset<Row> images = images(imageLength(spec), 23, 4, 8);
        Dataset<Row> out = Conv2dSpark.convolve(images, "pixels", "features", spec, w, b, false);
        assertMatchesNaive(spec, w, b, out.collectAsList(), 23, 8);
        assertEquals(made, PlanCache.plansMade(), "plans made through the cache");
        assertEquals(Map.of(), newPlans(before));
    }

    private static Map<PlanCache.Key, String> newPlans(Map<PlanCache.Key, String> before) {
        Map<PlanCache.Key, String> now = new HashMap<>(PlanCache.engines());
        now.keySet().removeAll(before.keySet());
        return now;
    }

    @ParameterizedTest
    @ValueSource(strings = {"java-vector", "naive"})
    void executorsComputeWithAForcedPureJavaEngine(String engine) {
        ConvSpec spec = spec(Layout.NCHW);
        SplittableRandom rnd = new SplittableRandom(9);
        float[] w = uniform(rnd, Math.toIntExact(spec.weightElements()));
        float[] b = uniform(rnd, spec.oc());
        Map<PlanCache.Key, String> before = PlanCache.engines();
        // the executors of local mode are threads of this JVM and read the engine order when they plan
        String order = System.getProperty(Settings.ENGINES);
        System.setProperty(Settings.ENGINES, engine);
        try {
            Dataset<Row> images = images(imageLength(spec), 23, 4, 9);
            Dataset<Row> out = Conv2dSpark.convolve(images, "pixels", "features", spec, w, b);
            assertMatchesNaive(spec, w, b, out.collectAsList(), 23, 9);
        } finally {
            if (order == null) {
                System.clearProperty(Settings.ENGINES);
            } else {
                System.setProperty(Settings.ENGINES, order);
            }
        }
        assertEquals(List.of(engine), List.copyOf(newPlans(before).values()), "engines of the plans made");
    }

    // ---- bad input ----------------------------------------------------------------------------------------

    /** One partition of rows, so the failing row's position in it is known. */
    private static Dataset<Row> rows(Object[]... values) {
        List<Row> rows = new ArrayList<>();
        for (Object[] v : values) {
            rows.add(RowFactory.create(v));
        }
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 1),
                IMAGES);
    }

    /** The message of the job that convolves {@code images}, which must fail. */
    private static String failure(ConvSpec spec, Dataset<Row> images) {
        float[] w = new float[Math.toIntExact(spec.weightElements())];
        float[] b = new float[spec.oc()];
        // the executor and the scheduler log a failing task with its stack trace; here the failure is the point,
        // and its message and trace reach the test through the job's exception
        List<String> loggers = List.of("org.apache.spark.executor.Executor",
                "org.apache.spark.scheduler.TaskSetManager");
        Map<String, Level> levels = new HashMap<>();
        for (String name : loggers) {
            levels.put(name, LogManager.getLogger(name).getLevel());
            Configurator.setLevel(name, Level.OFF);
        }
        try {
            SparkException e = assertThrows(SparkException.class,
                    () -> Conv2dSpark.convolve(images, "pixels", "features", spec, w, b).collectAsList());
            return e.getMessage();
        } finally {
            levels.forEach(Configurator::setLevel);
        }
    }

    @Test
    void anImageOfTheWrongLengthFailsNamingColumnAndLengths() {
        ConvSpec spec = spec(Layout.NHWC);   // 9 x 7 x 3 = 189 values per image
        String message = failure(spec, rows(new Object[] {0, new float[189]}, new Object[] {1, new float[189]},
                new Object[] {2, new float[188]}));
        String want = "java.lang.IllegalArgumentException: image length differs from spec: column pixels has 188 values"
                + " in row 2 of partition 0, spec wants 189 (NHWC image [9, 7, 3])";
        assertTrue(message.contains(want), message);
    }

    @Test
    void aNullImageFailsNamingColumnAndLength() {
        ConvSpec spec = spec(Layout.NCHW);   // 4 x 10 x 8 = 320 values per image
        String message = failure(spec, rows(new Object[] {0, new float[320]}, new Object[] {1, null}));
        String want = "java.lang.IllegalArgumentException: image is null: column pixels in row 1 of partition 0,"
                + " spec wants 320 values (NCHW image [4, 10, 8])";
        assertTrue(message.contains(want), message);
    }

    @Test
    void aNullValueInAnImageFailsNamingColumnAndIndex() {
        ConvSpec spec = spec(Layout.NHWC);
        Float[] image = new Float[189];
        Arrays.fill(image, 0f);
        image[17] = null;
        String message = failure(spec, rows(new Object[] {0, image}));
        assertTrue(message.contains("java.lang.IllegalArgumentException: image value is null: column pixels"
                + " index 17 in row 0 of partition 0"), message);
    }

    @Test
    void badArgumentsFailOnTheDriverBeforeAnyJob() {
        ConvSpec spec = spec(Layout.NHWC);
        Dataset<Row> images = images(imageLength(spec), 2, 1, 1);
        float[] w = new float[Math.toIntExact(spec.weightElements())];
        float[] b = new float[spec.oc()];
        assertMessage("input column is missing: image not in struct<id:int,pixels:array<float>>",
                () -> Conv2dSpark.convolve(images, "image", "features", spec, w, b));
        assertMessage("input column must be array<float>: id is int",
                () -> Conv2dSpark.convolve(images, "id", "features", spec, w, b));
        assertMessage("output column exists: id in struct<id:int,pixels:array<float>>",
                () -> Conv2dSpark.convolve(images, "pixels", "id", spec, w, b));
        assertMessage("weights length differs from spec: weights length=3, spec wants 135 (HWIO [3, 3, 3, 5])",
                () -> Conv2dSpark.convolve(images, "pixels", "features", spec, new float[3], b));
        assertMessage("bias is missing: spec has bias, none given",
                () -> Conv2dSpark.convolve(images, "pixels", "features", spec, w, null));
        assertMessage("bias length differs from spec: bias length=4, spec wants oc=5",
                () -> Conv2dSpark.convolve(images, "pixels", "features", spec, w, new float[4]));
        ConvSpec doubles = spec.toBuilder().dtype(DType.FLOAT64).build();
        assertMessage("dtype differs: images are array<float> (FLOAT32), spec is float64",
                () -> Conv2dSpark.convolve(images, "pixels", "features", doubles, w, b));
    }

    private static void assertMessage(String want, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(want, e.getMessage());
    }
}
