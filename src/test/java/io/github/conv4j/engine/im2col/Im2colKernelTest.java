package io.github.conv4j.engine.im2col;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the engine contract does not reach: the workspace bound and tiling, the weight order, the split among Java
 * workers, the 1x1 path that packs nothing,
 * heap segments, concurrent calls on one plan, the lifecycle, threads and declines. Both bindings, always
 * against {@code naive} on small integers, so every comparison is exact.
 */
class Im2colKernelTest {

    private static ConvEngine engine(String name) {
        return Engines.require(name);
    }

    /** Seeded small-integer x, w and bias for {@code spec}. */
    private record Inputs(Tensor x, Tensor w, Tensor b) {
        static Inputs of(ConvSpec spec, long seed, Arena arena) {
            SplittableRandom rnd = new SplittableRandom(seed);
            DType t = spec.dtype();
            return new Inputs(Tensors.smallIntegers(arena, t, rnd, spec.inputShape()),
                    Tensors.smallIntegers(arena, t, rnd, spec.weightShape()),
                    spec.hasBias() ? Tensors.smallIntegers(arena, t, rnd, spec.oc()) : null);
        }
    }

    /** Undoes a setting when closed. */
    private interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    /** Sets {@value Im2colEngine#WORKSPACE} to {@code value} until closed, then puts back what was there. */
    private static Restore workspace(String value) {
        String before = System.getProperty(Im2colEngine.WORKSPACE);
        System.setProperty(Im2colEngine.WORKSPACE, value);
        return () -> {
            if (before == null) {
                System.clearProperty(Im2colEngine.WORKSPACE);
            } else {
                System.setProperty(Im2colEngine.WORKSPACE, before);
            }
        };
    }

    /** The pixels per tile an implementation string names ({@code tiles of N pixels}), or -1 for none. */
    private static int tileRows(Im2colKernel k) {
        Matcher m = Pattern.compile("tiles of (\\d+) pixels").matcher(k.implementation());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The GEMMs per tile an implementation string names: 1 when groups are merged, else the group count. */
    private static int gemmsPerTile(Im2colKernel k) {
        if (k.implementation().contains("merged into one GEMM")) {
            return 1;
        }
        Matcher m = Pattern.compile("(\\d+) group\\(s\\)").matcher(k.implementation());
        assertTrue(m.find(), k.implementation());
        return Integer.parseInt(m.group(1));
    }

    /** The engine's own tuning for {@code spec}, with {@code tileRows} pixels per tile and the split forced on or off. */
    private static Im2colKernel.Tuning tuning(long transposeFrom, long tileRows, long minWorkerRows) {
        return new Im2colKernel.Tuning(Im2colEngine.DEFAULT_WORKSPACE, tileRows, transposeFrom, minWorkerRows);
    }

    private static Tensor naive(ConvSpec spec, Inputs in, Arena arena) {
        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
        Conv2d.forward(Conv2d.NAIVE, spec, in.x(), in.w(), in.b(), y);
        return y;
    }

    private static void assertSame(String what, Tensor want, Tensor got) {
        for (long i = 0; i < want.elementCount(); i++) {
            if (want.getDouble(i) != got.getDouble(i)) {
                fail(what + " at flat index " + i + ": got " + got.getDouble(i) + ", naive " + want.getDouble(i));
            }
        }
    }

    private static Im2colKernel kernel(ConvEngine e, ConvSpec spec, Inputs in) {
        return (Im2colKernel) e.plan(spec, in.w().data(), in.b() == null ? null : in.b().data(), 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void workspaceStaysUnderASmallBoundAndStillMatchesNaive(String name) {
        ConvEngine e = engine(name);
        long bound = 6000;
        try (Restore _ = workspace(Long.toString(bound)); Arena arena = Arena.ofConfined()) {
            for (Layout layout : Layout.values()) {
                // 8 input channels per group and more are packed group by group, fewer merged into one GEMM
                for (int groups : new int[] {1, 3, 12}) {
                    // 3x3 over 24 channels: 216-element patches; 3*10*8 pixels need 200 KiB of patches at once
                    ConvSpec spec = ConvSpec.builder().layout(layout).input(3, 9, 11, 24).kernel(3, 3, 12)
                            .groups(groups).padding(Padding.explicit(1, 2, 0, 1)).stride(1, 1).dilation(1, 2)
                            .bias(true).relu(true).build();
                    Inputs in = Inputs.of(spec, 11, arena);
                    Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                    try (Im2colKernel k = kernel(e, spec, in)) {
                        long scratch = (long) tileRows(k) * (9 * spec.ic() + spec.oc()) * spec.dtype().byteSize();
                        assertTrue(scratch <= bound, "scratch " + scratch + " bytes > bound " + bound);
                        long full = (long) spec.mb() * spec.oh() * spec.ow() * 9 * spec.ic() * 4;
                        assertTrue(full > 4 * bound, "the spec should need many tiles: " + full);
                        assertTrue(tileRows(k) % spec.ow() != 0, "tiles should split output rows");
                        int gemms = layout == Layout.NHWC && spec.icPerGroup() < 8 ? 1 : groups;
                        assertEquals(gemms, gemmsPerTile(k), k.implementation());
                        k.forward(in.x().data(), y.data(), spec.mb(), 1);
                    }
                    assertSame(name + " bounded " + spec, naive(spec, in, arena), y);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void everyTuningChoiceMatchesNaive(String name) {
        Im2colEngine e = (Im2colEngine) engine(name);
        // 3 threads split the pixels unevenly, across image boundaries, on segments confined to this thread
        try (Arena arena = Arena.ofConfined()) {
            for (Layout layout : Layout.values()) {
                for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    // one group, groups packed one by one (icg 8), and groups merged (icg 2)
                    for (int groups : new int[] {1, 2, 8}) {
                        ConvSpec spec = ConvSpec.builder().layout(layout).dtype(dtype).input(3, 7, 6, 16)
                                .kernel(3, 2, 8).groups(groups).padding(Padding.explicit(1, 0, 1, 1))
                                .stride(2, 1).bias(true).relu(true).build();
                        Inputs in = Inputs.of(spec, 23, arena);
                        Tensor want = naive(spec, in, arena);
                        // Java workers always, never (OpenBLAS's threads), or by the engine's rule
                        for (long minWorkerRows : new long[] {0, Long.MAX_VALUE, Im2colKernel.MIN_WORKER_ROWS}) {
                            for (boolean transposed : new boolean[] {false, true}) {
                                for (long rows : new long[] {0, 1, 5, 1000}) {
                                    String what = name + " minWorkerRows=" + minWorkerRows + " transposed="
                                            + transposed + " rows=" + rows + " " + spec;
                                    Tensor y = Tensor.allocate(arena, dtype, spec.outputShape());
                                    try (Im2colKernel k = new Im2colKernel(spec, in.w().data(), in.b().data(),
                                            e.gemm(), e.binding(),
                                            tuning(transposed ? 0 : Long.MAX_VALUE, rows, minWorkerRows))) {
                                        boolean expectT = transposed && layout == Layout.NHWC;
                                        assertEquals(expectT, k.implementation().contains("weights transposed"), what);
                                        if (rows > 0) {
                                            int images = layout == Layout.NHWC ? spec.mb() : 1;
                                            int pixels = spec.oh() * spec.ow() * images;
                                            assertEquals(Math.min(rows, pixels), tileRows(k), what);
                                        }
                                        k.forward(in.x().data(), y.data(), spec.mb(), 3);
                                    }
                                    assertSame(what, want, y);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void javaWorkersTakeHeapArraysToo(String name) {
        Im2colEngine e = (Im2colEngine) engine(name);
        try (Arena arena = Arena.ofConfined()) {
            for (Layout layout : Layout.values()) {
                ConvSpec spec = ConvSpec.builder().layout(layout).input(2, 9, 8, 4).kernel(3, 3, 5)
                        .padding(Padding.SAME).bias(true).build();
                Inputs in = Inputs.of(spec, 29, arena);
                float[] x = in.x().data().toArray(ValueLayout.JAVA_FLOAT);
                float[] y = new float[(int) spec.outputElements()];
                try (Im2colKernel k = new Im2colKernel(spec, in.w().data(), in.b().data(), e.gemm(), e.binding(),
                        tuning(Long.MAX_VALUE, 7, 0))) {
                    k.forward(MemorySegment.ofArray(x), MemorySegment.ofArray(y), spec.mb(), 2);
                }
                Tensor got = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                MemorySegment.copy(MemorySegment.ofArray(y), 0, got.data(), 0, got.data().byteSize());
                assertSame(name + " workers on heap arrays " + spec, naive(spec, in, arena), got);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void concurrentCallersThatEachSplitAmongWorkersMatchNaive(String name) throws Exception {
        Im2colEngine e = (Im2colEngine) engine(name);
        int callers = 4, calls = 10;
        try (Arena arena = Arena.ofShared();
                ExecutorService pool = Executors.newFixedThreadPool(callers)) {
            for (Layout layout : Layout.values()) {
                ConvSpec spec = ConvSpec.builder().layout(layout).input(3, 11, 9, 8).kernel(3, 3, 12)
                        .padding(Padding.SAME).bias(true).relu(true).build();
                Inputs weights = Inputs.of(spec, 41, arena);
                // 7-pixel tiles: every call splits among 3 workers, each taking a workspace from the shared pool
                try (Im2colKernel k = new Im2colKernel(spec, weights.w().data(), weights.b().data(), e.gemm(),
                        e.binding(), tuning(0, 7, 0))) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < callers; t++) {
                        Inputs in = new Inputs(Inputs.of(spec, 500 + t, arena).x(), weights.w(), weights.b());
                        Tensor want = naive(spec, in, arena);
                        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                        done.add(pool.submit(() -> {
                            for (int c = 0; c < calls; c++) {
                                Tensors.poison(y);
                                k.forward(in.x().data(), y.data(), spec.mb(), 3);
                                assertSame(name + " caller call " + c + " " + spec, want, y);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                }
            }
        }
    }

    /**
     * Weights transposed in blocks ({@code TRANSPOSE_BLOCK}, 64): per group 216 rows of K (three blocks and part of
     * a fourth) by 70 output channels (one and part of another), in both element sizes, with one group and two.
     */
    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void weightsTransposedAcrossSeveralBlocksMatchNaive(String name) {
        Im2colEngine e = (Im2colEngine) engine(name);
        try (Arena arena = Arena.ofConfined()) {
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (int groups : new int[] {1, 2}) {
                    ConvSpec spec = ConvSpec.builder().dtype(dtype).input(2, 6, 5, 24 * groups)
                            .kernel(3, 3, 70 * groups).groups(groups).padding(Padding.SAME).bias(true).build();
                    Inputs in = Inputs.of(spec, 29, arena);
                    Tensor y = Tensor.allocate(arena, dtype, spec.outputShape());
                    try (Im2colKernel k = new Im2colKernel(spec, in.w().data(), in.b().data(), e.gemm(), e.binding(),
                            tuning(0, 0, Long.MAX_VALUE))) {
                        assertTrue(k.implementation().contains("weights transposed"), k.implementation());
                        k.forward(in.x().data(), y.data(), spec.mb(), 1);
                    }
                    assertSame(name + " " + spec, naive(spec, in, arena), y);
                }
            }
        }
    }

    @Test
    void largeWeightsGetLongerTilesAndAreTransposed() {
        Im2colEngine e = (Im2colEngine) engine("im2col-ffm");
        try (Arena arena = Arena.ofConfined()) {
            // 3x3 over 128 channels to 128: 147,456 weight elements want 1,152 rows, more than the 512 that the
            // cache rule gives (1 MiB / ((1,152 + 128) * 4 bytes) = 204, at least 512) and less than the 8 MiB
            // bound's 1,638
            ConvSpec big = ConvSpec.builder().input(8, 28, 28, 128).kernel(3, 3, 128).padding(Padding.SAME).build();
            // 3x3 over 8 channels to 8: 576 weights; the 1 MiB cache rule gives 1 MiB / (80 * 4) = 3,276 rows
            ConvSpec small = ConvSpec.builder().input(8, 28, 28, 8).kernel(3, 3, 8).padding(Padding.SAME).build();
            MemorySegment w = arena.allocate(big.weightElements() * 4, 64);
            try (Im2colKernel k = (Im2colKernel) e.plan(big, w, null, 1)) {
                assertEquals(1152, tileRows(k), k.implementation());
                assertTrue(k.implementation().contains("weights transposed"),
                        "147,456 weights should be stored transposed: " + k.implementation());
            }
            try (Im2colKernel k = (Im2colKernel) e.plan(small, w, null, 1)) {
                assertEquals(3276, tileRows(k), k.implementation());
                assertFalse(k.implementation().contains("weights transposed"),
                        "576 weights should stay as given: " + k.implementation());
            }
        }
    }

    @Test
    void aBadWorkspacePropertyIsAnErrorNamingIt() {
        try (Restore _ = workspace("lots")) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, Im2colEngine::workspaceBound);
            assertEquals("conv4j.im2col.workspace must be a positive number of bytes: lots", ex.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void oneByOneStrideOneUnpaddedPacksNothing(String name) {
        ConvEngine e = engine(name);
        try (Arena arena = Arena.ofConfined()) {
            for (Layout layout : Layout.values()) {
                for (int groups : new int[] {1, 2}) {
                    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                        ConvSpec spec = ConvSpec.builder().layout(layout).dtype(dtype).input(2, 5, 7, 8)
                                .kernel(1, 1, 6).groups(groups).bias(true).build();
                        Inputs in = Inputs.of(spec, 5, arena);
                        Tensor y = Tensor.allocate(arena, dtype, spec.outputShape());
                        try (Im2colKernel k = kernel(e, spec, in)) {
                            assertTrue(k.implementation().contains("no packing"),
                                    "1x1 s1 unpadded should not pack: " + k.implementation());
                            k.forward(in.x().data(), y.data(), spec.mb(), 1);
                        }
                        assertSame(name + " 1x1 " + spec, naive(spec, in, arena), y);
                    }
                }
            }
            ConvSpec strided = ConvSpec.builder().input(1, 5, 5, 4).kernel(1, 1, 3).stride(2).build();
            ConvSpec padded = ConvSpec.builder().input(1, 5, 5, 4).kernel(1, 1, 3)
                    .padding(Padding.explicit(0, 1, 0, 0)).build();
            ConvSpec dilatedOnly = ConvSpec.builder().input(1, 5, 5, 4).kernel(1, 1, 3).dilation(3).build();
            for (ConvSpec spec : List.of(strided, padded)) {
                try (Im2colKernel k = kernel(e, spec, Inputs.of(spec, 1, arena))) {
                    assertFalse(k.implementation().contains("no packing"), "a strided or padded 1x1 must pack: " + spec);
                }
            }
            try (Im2colKernel k = kernel(e, dilatedOnly, Inputs.of(dilatedOnly, 1, arena))) {
                assertTrue(k.implementation().contains("no packing"), "dilation does not matter to a 1x1 kernel");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void heapArraysGiveTheSameResultsAsNativeSegments(String name) {
        engine(name);
        try (Arena arena = Arena.ofConfined()) {
            for (Layout layout : Layout.values()) {
                for (int k : new int[] {1, 3}) {
                    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                        ConvSpec spec = ConvSpec.builder().layout(layout).dtype(dtype).input(2, 6, 5, 4)
                                .kernel(k, k, 5).padding(k == 1 ? Padding.VALID : Padding.SAME).bias(true)
                                .relu(true).build();
                        Inputs in = Inputs.of(spec, 3, arena);
                        Tensor want = naive(spec, in, arena);
                        try (ConvPlan plan = Conv2d.plan(name, spec, in.w(), in.b())) {
                            if (dtype == DType.FLOAT32) {
                                float[] y = new float[(int) spec.outputElements()];
                                plan.forward(in.x().toFloatArray(), y);
                                assertArrayEquals(want.toFloatArray(), y, name + " heap " + spec);
                                // heap input, native output and the other way round
                                Tensor yn = Tensor.allocate(arena, dtype, spec.outputShape());
                                plan.forward(MemorySegment.ofArray(in.x().toFloatArray()), yn.data());
                                assertArrayEquals(want.toFloatArray(), yn.toFloatArray(), name + " heap x " + spec);
                                float[] y2 = new float[y.length];
                                plan.forward(in.x().data(), MemorySegment.ofArray(y2));
                                assertArrayEquals(want.toFloatArray(), y2, name + " heap y " + spec);
                            } else {
                                double[] y = new double[(int) spec.outputElements()];
                                plan.forward(in.x().toDoubleArray(), y);
                                assertArrayEquals(want.toDoubleArray(), y, name + " heap " + spec);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void concurrentForwardsOnOnePlanMatchASingleThread(String name) throws Exception {
        engine(name);
        int threads = 4, calls = 25;
        // several tiles per call
        try (Restore _ = workspace("20000"); Arena arena = Arena.ofShared();
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (Layout layout : Layout.values()) {
                ConvSpec spec = ConvSpec.builder().layout(layout).input(4, 13, 12, 8).kernel(3, 3, 16)
                        .padding(Padding.SAME).bias(true).relu(true).build();
                List<Inputs> inputs = new ArrayList<>();
                List<Tensor> single = new ArrayList<>();
                Inputs weights = Inputs.of(spec, 99, arena);
                try (ConvPlan plan = Conv2d.plan(name, spec, weights.w(), weights.b())) {
                    for (int i = 0; i < threads; i++) {
                        Inputs in = Inputs.of(spec, 1000 + i, arena);
                        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                        plan.forward(in.x(), y);
                        inputs.add(in);
                        single.add(y);
                    }
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        Inputs in = inputs.get(t);
                        Tensor want = single.get(t);
                        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                        done.add(pool.submit(() -> {
                            for (int c = 0; c < calls; c++) {
                                Tensors.poison(y);
                                plan.forward(in.x(), y);
                                assertArrayEquals(want.toFloatArray(), y.toFloatArray(), name + " call " + c);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                }
                Inputs first = new Inputs(inputs.get(0).x(), weights.w(), weights.b());
                assertSame(name + " single-threaded " + spec, naive(spec, first, arena), single.get(0));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void closeIsIdempotentAndForwardAfterCloseIsAnError(String name) {
        engine(name);
        try (Arena arena = Arena.ofConfined()) {
            // enough work (4.7 MFLOP) that the plan gives this call every thread the setting allows
            ConvSpec spec = ConvSpec.builder().input(1, 16, 16, 32).kernel(3, 3, 32).padding(Padding.SAME).build();
            Inputs in = Inputs.of(spec, 2, arena);
            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            ConvPlan plan = Conv2d.plan(name, spec, in.w(), null);
            plan.forward(in.x(), y);
            plan.close();
            plan.close();
            assertTrue(plan.isClosed());
            IllegalStateException ex = assertThrows(IllegalStateException.class, () -> plan.forward(in.x(), y));
            assertTrue(ex.getMessage().startsWith("plan is closed: " + name), ex.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void threadSettingReachesOpenBlasOrTheJavaWorkers(String name) {
        ConvEngine e = engine(name);
        try (Arena arena = Arena.ofConfined()) {
            // both 4.7 MFLOP, enough that the plan gives a call every thread the setting allows; 64 output
            // pixels are too few to split among Java workers, so OpenBLAS gets the threads, while 1,024 are
            // split and each worker's GEMMs run on one OpenBLAS thread
            ConvSpec few = ConvSpec.builder().input(1, 8, 8, 64).kernel(3, 3, 64).padding(Padding.SAME).build();
            ConvSpec many = ConvSpec.builder().input(1, 32, 32, 16).kernel(3, 3, 16).padding(Padding.SAME).build();
            for (ConvSpec spec : List.of(few, many)) {
                Inputs in = Inputs.of(spec, 2, arena);
                Tensor want = naive(spec, in, arena);
                Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                try (ConvPlan plan = Conv2d.plan(name, spec, in.w(), null)) {
                    for (int n : new int[] {1, 2, 1}) {
                        Settings.setThreads(n);
                        plan.forward(in.x(), y);
                        int blas = spec == few ? n : 1;
                        assertEquals(blas, OpenBlas.threads(), "openblas_get_num_threads after setThreads(" + n
                                + ") on " + spec);
                        assertSame(name + " threads=" + n + " " + spec, want, y);
                    }
                } finally {
                    Settings.setThreads(0);
                }
            }
            assertTrue(e.probe().reason().contains("core " + OpenBlas.corename()), e.probe().reason());
            assertTrue(OpenBlas.info().startsWith("OpenBLAS 0.3."), OpenBlas.info());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"im2col-jni", "im2col-ffm"})
    void declinesPatchesLongerThanAnInt(String name) {
        ConvEngine e = engine(name);
        ConvSpec huge = ConvSpec.builder().input(1, 1, 1, 1 << 28).kernel(3, 3, 1).padding(Padding.SAME).build();
        assertEquals("patch length overflows BLAS's int: kh*kw*ic = 3*3*268435456 = 2415919104",
                e.declines(huge).orElseThrow());
        assertTrue(e.declines(ConvSpec.builder().input(1, 8, 8, 3).kernel(3, 3, 4).build()).isEmpty());
    }
}
