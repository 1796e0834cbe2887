package io.github.conv4j.engine.im2col;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.bench.Shapes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The im2col benchmarks plan what their parameters name, and their setup (which checks the output: against
 * naive, or against a dot product) passes; run outside JMH on small shapes.
 */
class Im2colBenchmarksTest {
    private static final long WORKSPACE = 8L << 20;

    @BeforeAll
    static void openBlas() {
        assumeTrue(OpenBlas.availability().available(), () -> "OpenBLAS is unavailable here: "
                + OpenBlas.availability().reason());
    }

    @Test
    void tuningVariantsChangeOneChoiceOfTheRule() {
        ConvSpec spec = Shapes.spec("R5", DType.FLOAT32, Layout.NHWC);
        Im2colKernel.Tuning rule = Im2colKernel.Tuning.of(spec, WORKSPACE);
        assertEquals(rule, Im2colTuningBenchmark.tuning("rule", spec, WORKSPACE));
        assertEquals(new Im2colKernel.Tuning(WORKSPACE, rule.tileRows(), 0, rule.minWorkerRows()),
                Im2colTuningBenchmark.tuning("transpose-always", spec, WORKSPACE));
        assertEquals(new Im2colKernel.Tuning(WORKSPACE, rule.tileRows(), Long.MAX_VALUE, rule.minWorkerRows()),
                Im2colTuningBenchmark.tuning("transpose-never", spec, WORKSPACE));
        assertEquals(new Im2colKernel.Tuning(WORKSPACE, 384, rule.transposeFrom(), rule.minWorkerRows()),
                Im2colTuningBenchmark.tuning("rows-384", spec, WORKSPACE));
        assertEquals(new Im2colKernel.Tuning(WORKSPACE, rule.tileRows(), rule.transposeFrom(), 0),
                Im2colTuningBenchmark.tuning("workers-always", spec, WORKSPACE));
        assertEquals(new Im2colKernel.Tuning(WORKSPACE, rule.tileRows(), rule.transposeFrom(), Long.MAX_VALUE),
                Im2colTuningBenchmark.tuning("workers-never", spec, WORKSPACE));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rows-0", "rows-", "rows-x", "tiles-512", ""})
    void unknownTuningVariantsAreRefused(String variant) {
        ConvSpec spec = Shapes.spec("S1", DType.FLOAT32, Layout.NHWC);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Im2colTuningBenchmark.tuning(variant, spec, WORKSPACE));
        assertEquals("unknown variant: " + variant + " (rule, transpose-always, transpose-never, rows-N with N >= 1,"
                + " workers-always, workers-never)", e.getMessage());
    }

    /**
     * S2's 432 weights are far below the rule's transposition threshold, so only transpose-always transposes them;
     * the rule puts all of its 5,408 output pixels in one tile.
     */
    @ParameterizedTest
    @CsvSource({
        "ffm, rule, 1, tiles of 5408 pixels", "jni, rule, 2, tiles of 5408 pixels",
        "ffm, transpose-always, 1, (weights transposed)", "jni, transpose-never, 1, tiles of 5408 pixels",
        "ffm, rows-100, 1, tiles of 100 pixels", "jni, rows-100, 2, tiles of 100 pixels",
        "ffm, workers-always, 2, tiles of 5408 pixels", "jni, workers-never, 2, tiles of 5408 pixels"})
    void tuningBenchmarkPlansItsVariantAndComputesTheConvolution(String binding, String variant, int threads,
            String implementation) {
        Im2colTuningBenchmark b = new Im2colTuningBenchmark();
        b.shape = "S2";
        b.binding = binding;
        b.variant = variant;
        b.threads = threads;
        b.dtype = "float32";
        String out = stdout(b::setUp);
        try {
            b.forward();
        } finally {
            b.tearDown();
        }
        assertTrue(out.contains(implementation), out);
        assertEquals(variant.equals("transpose-always"), out.contains("transposed"), out);
    }

    /** R5 in tiles of 256 rows: a full tile and a 136-row tail, each GEMM checked against a dot product. */
    @ParameterizedTest
    @CsvSource({"hot, plain, ffm", "hot, transposed, jni", "cold, plain, jni", "cold, transposed, ffm"})
    void gemmShapesBenchmarkMultipliesWhatItClaims(String tiles, String weights, String binding) {
        GemmShapesBenchmark b = new GemmShapesBenchmark();
        b.shape = "R5";
        b.tileRows = "256";
        b.tiles = tiles;
        b.weights = weights;
        b.binding = binding;
        b.threads = 1;
        String out = stdout(b::setUp);
        try {
            b.multiply();
        } finally {
            b.tearDown();
        }
        assertTrue(out.contains("R5: M x K x N = 392 x 4608 x 512, 256 rows per call"), out);
    }

    @Test
    void gemmShapesBenchmarkRefusesGroupedShapes() {
        GemmShapesBenchmark b = new GemmShapesBenchmark();
        b.shape = "D1";
        b.tileRows = "whole";
        b.tiles = "cold";
        b.weights = "plain";
        b.binding = "ffm";
        b.threads = 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::setUp);
        assertEquals("one GEMM per tile needs an ungrouped shape: D1 has groups=32", e.getMessage());
    }

    /** Its setup checks the 4x4x4 product. */
    @ParameterizedTest
    @ValueSource(strings = {"ffm-native", "ffm-heap", "jni-native"})
    void gemmCallBenchmarkMultiplies(String call) {
        GemmCallBenchmark b = new GemmCallBenchmark();
        b.call = call;
        b.setUp();
        try {
            b.multiply();
        } finally {
            b.tearDown();
        }
    }

    /** What {@code task} prints on standard output, the benchmarks' one line about what they planned. */
    private static String stdout(Runnable task) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            task.run();
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
