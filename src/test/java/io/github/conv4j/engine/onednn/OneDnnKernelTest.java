package io.github.conv4j.engine.onednn;

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
import io.github.conv4j.spi.ConvKernel;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the contract does not cover: oneDNN's fast kernels on sizes the random specs are too small to reach,
 * concurrent calls on one plan, heap segments, the thread setting, lifetime and the implementation name.
 */
class OneDnnKernelTest {
    private final OneDnnEngine engine = new OneDnnEngine();
    private int threadsBefore;

    @BeforeEach
    void requireAvailable() {
        Engines.require(OneDnnEngine.NAME);
        threadsBefore = Settings.threads();
    }

    @AfterEach
    void restoreThreads() {
        Settings.setThreads(threadsBefore);
    }

    /** Random floats in [-1, 1) for x, w and bias from {@code seed}. */
    private record Problem(ConvSpec spec, Tensor x, Tensor w, Tensor b) {
        static Problem of(ConvSpec spec, long seed, Arena arena) {
            SplittableRandom rnd = new SplittableRandom(seed);
            return new Problem(spec, Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape()),
                    Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape()),
                    spec.hasBias() ? Tensors.uniform(arena, spec.dtype(), rnd, spec.oc()) : null);
        }

        Tensor naive(Arena arena) {
            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, y);
            return y;
        }
    }

    private static void assertClose(Tensor want, Tensor got, ConvSpec spec, String what) {
        double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
        double tol = 8 * 0x1p-23 * (k + 1);
        for (long i = 0; i < want.elementCount(); i++) {
            double ref = want.getDouble(i), v = got.getDouble(i);
            if (!(Math.abs(v - ref) <= tol)) {
                fail("onednn differs from naive, " + what + " " + spec + " at flat index " + i + ": got " + v
                        + ", naive " + ref + " (tolerance " + tol + ")");
            }
        }
    }

    private static ConvSpec.Builder base(Layout layout) {
        return ConvSpec.builder().layout(layout).input(2, 17, 13, 32).kernel(3, 3, 48).bias(true);
    }

    /** Specs large enough for the JIT kernels, one feature each, both layouts. */
    private static List<ConvSpec> featureSpecs() {
        List<ConvSpec> specs = new ArrayList<>();
        for (Layout l : Layout.values()) {
            specs.add(base(l).build());
            specs.add(base(l).groups(4).build());
            specs.add(base(l).input(2, 17, 13, 32).kernel(3, 3, 32).groups(32).padding(Padding.SAME).build());
            specs.add(base(l).input(2, 17, 13, 16).kernel(5, 3, 32).groups(16).stride(2, 1).build());
            specs.add(base(l).dilation(2, 3).padding(Padding.SAME).build());
            specs.add(base(l).padding(Padding.explicit(3, 0, 1, 4)).stride(1, 2).relu(true).build());
            specs.add(base(l).padding(Padding.SAME_LOWER).stride(3, 2).relu(true).build());
            specs.add(base(l).kernel(1, 1, 64).bias(false).build());
            specs.add(base(l).kernel(7, 7, 16).stride(2).padding(Padding.explicit(3, 3, 3, 3)).build());
        }
        return specs;
    }

    @Test
    void groupsDepthwiseDilationAsymmetricPaddingMatchNaive() {
        long seed = 40;
        for (ConvSpec spec : featureSpecs()) {
            try (Arena arena = Arena.ofConfined()) {
                Problem p = Problem.of(spec, ++seed, arena);
                Tensor y = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                Tensors.poison(y);
                try (ConvPlan plan = Conv2d.plan(OneDnnEngine.NAME, spec, p.w, p.b)) {
                    plan.forward(p.x, y);
                    assertClose(p.naive(arena), y, spec, "seed " + seed + " impl " + plan.implementation());
                }
            }
        }
    }

    @Test
    void depthwiseUsesADepthwiseKernelAndOthersAreNamed() {
        ConvSpec d1 = ConvSpec.builder().input(1, 16, 16, 32).kernel(3, 3, 32).groups(32).padding(Padding.SAME)
                .build();
        ConvSpec dense = ConvSpec.builder().input(1, 16, 16, 32).kernel(3, 3, 32).padding(Padding.SAME).build();
        try (Arena arena = Arena.ofConfined();
                ConvPlan dw = Conv2d.plan(OneDnnEngine.NAME, d1, Problem.of(d1, 1, arena).w, null);
                ConvPlan full = Conv2d.plan(OneDnnEngine.NAME, dense, Problem.of(dense, 2, arena).w, null)) {
            assertTrue(dw.implementation().contains("dw"), () -> "depthwise implementation: " + dw.implementation());
            assertFalse(full.implementation().isBlank());
            assertFalse(full.implementation().contains("ref"), () -> "dense implementation: " + full.implementation());
        }
    }

    @Test
    void concurrentForwardsOnOnePlanEqualTheSingleThreadResult() throws Exception {
        ConvSpec spec = base(Layout.NHWC).input(4, 24, 24, 32).relu(true).build();
        int callers = 6, rounds = 25;
        try (Arena arena = Arena.ofShared(); ConvPlan plan = Conv2d.plan(OneDnnEngine.NAME, spec,
                Problem.of(spec, 7, arena).w, Problem.of(spec, 7, arena).b)) {
            // each caller has its own input, and its expected output computed alone before any concurrency
            List<Tensor> xs = new ArrayList<>(), wants = new ArrayList<>();
            for (int t = 0; t < callers; t++) {
                Tensor x = Tensors.uniform(arena, DType.FLOAT32, new SplittableRandom(100 + t), spec.inputShape());
                Tensor y = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                plan.forward(x, y);
                xs.add(x);
                wants.add(y);
            }
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < callers; t++) {
                    int id = t;
                    done.add(pool.submit(() -> {
                        start.await();
                        float[] want = wants.get(id).toFloatArray();
                        for (int r = 0; r < rounds; r++) {
                            // odd callers use Java arrays, so the heap staging path runs concurrently too
                            float[] got;
                            if (id % 2 == 0) {
                                Tensor y = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                                plan.forward(xs.get(id), y);
                                got = y.toFloatArray();
                            } else {
                                got = new float[want.length];
                                plan.forward(xs.get(id).toFloatArray(), got);
                            }
                            assertArrayEquals(want, got, "caller " + id + " round " + r);
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void heapAndNativeSegmentsGiveTheSameResult() {
        ConvSpec spec = base(Layout.NCHW).groups(2).build();
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 9, arena);
            float[] w = p.w.toFloatArray(), b = p.b.toFloatArray();
            // heap weights and bias at plan time, heap x and y at forward time
            try (ConvPlan heap = Conv2d.plan(OneDnnEngine.NAME, spec, Tensor.of(w, spec.weightShape()),
                    Tensor.of(b, spec.oc()))) {
                float[] y = new float[(int) spec.outputElements()];
                heap.forward(p.x.toFloatArray(), y);
                Tensor yn = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                heap.forward(p.x, yn);
                assertArrayEquals(yn.toFloatArray(), y);
                assertClose(p.naive(arena), yn, spec, "heap plan");
            }
        }
    }

    @Test
    void threadSettingReachesOpenMpAndEachCountComputesTheSame() {
        ConvSpec spec = base(Layout.NHWC).input(2, 20, 20, 64).kernel(3, 3, 64).build();
        OneDnnRuntime runtime = OneDnnEngine.runtime();
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 11, arena);
            Tensor want = p.naive(arena);
            Settings.setThreads(1);
            try (ConvPlan plan = Conv2d.plan(OneDnnEngine.NAME, spec, p.w, p.b)) {
                for (int threads : new int[] {1, 2, 3, 1}) {
                    Settings.setThreads(threads);
                    Tensor y = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                    Tensors.poison(y);
                    plan.forward(p.x, y);
                    assertEquals(threads, runtime.threads(), "OpenMP threads on the calling thread");
                    assertClose(want, y, spec, "threads " + threads);
                }
            }
        }
    }

    @Test
    void eachCallUsesItsOwnBudgetOnOneKernel() {
        // planned for 2 threads, then called with 1, 3 and 2: a primitive per count, all on the weights
        // reordered once at planning, every one computing the same as naive
        ConvSpec spec = base(Layout.NHWC).input(2, 20, 20, 64).kernel(3, 3, 64).bias(true).relu(true).build();
        OneDnnRuntime runtime = OneDnnEngine.runtime();
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 17, arena);
            Tensor want = p.naive(arena);
            try (ConvKernel k = engine.plan(spec, p.w.data(), p.b.data(), 2)) {
                String planned = k.implementation();
                for (int threads : new int[] {1, 3, 2, 1}) {
                    Tensor y = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                    Tensors.poison(y);
                    k.forward(p.x.data(), y.data(), spec.mb(), threads);
                    assertEquals(threads, runtime.threads(), "OpenMP threads on the calling thread");
                    assertClose(want, y, spec, "budget " + threads);
                }
                assertFalse(planned.isEmpty());
            }
        }
    }

    @Test
    void shortBatchesAreRightOnTheirOwnPrimitiveAndOnTheStagedFullBatch() {
        // the staged route is what a call takes when oneDNN offers another kernel for the short batch (seen
        // here for a 1x1 with 1024 outputs planned at 2 threads, called with 1 image): forced, so every CPU
        // covers it; with the Java epilogue too (output columns that see only right padding move bias/ReLU there)
        List<ConvSpec> specs = new ArrayList<>();
        for (Layout l : Layout.values()) {
            specs.add(base(l).input(4, 9, 8, 32).kernel(3, 3, 32).padding(Padding.SAME).relu(true).build());
            specs.add(base(l).input(4, 9, 4, 16).kernel(3, 3, 16).padding(Padding.explicit(1, 1, 0, 4)).relu(true)
                    .build());
        }
        try (Arena arena = Arena.ofConfined()) {
            for (ConvSpec spec : specs) {
                Problem p = Problem.of(spec, 23, arena);
                Tensor want = p.naive(arena);
                long imageOut = spec.outputElements() / spec.mb() * 4;
                for (boolean staged : new boolean[] {false, true}) {
                    for (int threads : new int[] {1, 2}) {
                        try (OneDnnKernel k = (OneDnnKernel) engine.plan(spec, p.w.data(), p.b.data(), 2)) {
                            assertEquals(spec.iw() == 4, k.implementation().contains("bias/relu applied in java"),
                                    k.implementation());
                            k.stageShortBatches = staged;
                            for (int n : new int[] {3, 1, spec.mb(), 2, 1}) {
                                String what = (staged ? "staged, " : "") + threads + " threads, batch " + n;
                                for (boolean heap : new boolean[] {false, true}) {
                                    MemorySegment y = heap ? MemorySegment.ofArray(new float[(int) spec.outputElements()])
                                            : arena.allocate(spec.outputElements() * 4, 64);
                                    MemorySegment x = heap ? MemorySegment.ofArray(p.x.toFloatArray()) : p.x.data();
                                    y.fill((byte) 0xc1);   // -24.2 as float32: bias or ReLU would change it
                                    k.forward(x, y, n, threads);
                                    long[] shape = spec.outputShape();
                                    shape[0] = n;
                                    ConvSpec short_ = spec.toBuilder().input(n, spec.ih(), spec.iw(), spec.ic()).build();
                                    assertClose(new Tensor(want.data().asSlice(0, n * imageOut), DType.FLOAT32, shape),
                                            new Tensor(y.asSlice(0, n * imageOut), DType.FLOAT32, shape), short_,
                                            what + (heap ? " (heap)" : ""));
                                    for (long i = n * imageOut; i < y.byteSize(); i++) {
                                        assertEquals((byte) 0xc1, y.get(ValueLayout.JAVA_BYTE, i),
                                                what + ": byte " + i + " after the batch was written");
                                    }
                                }
                                assertEquals(staged && n < spec.mb(), k.implementation().contains("staging buffers"),
                                        what + ": " + k.implementation());
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void aNewBudgetNeverFallsOntoTheReferenceKernel() {
        // at 16 threads brgemm picks another output-channel block, hence another weight layout, than at 1-4 for
        // this shape; a primitive pinned to the planned layout then gets oneDNN's reference kernel (ref:any)
        ConvSpec spec = base(Layout.NHWC).input(1, 28, 28, 128).kernel(3, 3, 128).padding(Padding.SAME).bias(true)
                .build();
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 19, arena);
            Tensor want = p.naive(arena);
            for (int[] run : new int[][] {{16, 1}, {16, 2}, {16, 4}, {1, 16}, {2, 16}, {4, 16}}) {
                try (ConvKernel k = engine.plan(spec, p.w.data(), p.b.data(), run[0])) {
                    String planned = k.implementation();
                    Tensor y = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                    Tensors.poison(y);
                    k.forward(p.x.data(), y.data(), spec.mb(), run[1]);
                    String what = "planned for " + run[0] + " threads, called with " + run[1];
                    assertFalse(planned.contains("ref:"), what + ": " + planned);
                    assertFalse(k.implementation().contains("ref:"), what + ": " + k.implementation());
                    assertClose(want, y, spec, what);
                }
            }
        }
    }

    @Test
    void kernelCloseIsIdempotentAndPlanRefusesUseAfterClose() {
        ConvSpec spec = base(Layout.NHWC).build();
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 13, arena);
            ConvKernel kernel = engine.plan(spec, p.w.data(), p.b.data(), 1);
            MemorySegment y = arena.allocate(spec.outputElements() * 4, 64);
            kernel.forward(p.x.data(), y, spec.mb(), 1);
            assertEquals(p.naive(arena).getDouble(5), y.getAtIndex(ValueLayout.JAVA_FLOAT, 5), 1e-4);
            kernel.close();
            kernel.close();

            ConvPlan plan = Conv2d.plan(OneDnnEngine.NAME, spec, p.w, p.b);
            plan.close();
            plan.close();
            Tensor yt = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> plan.forward(p.x, yt));
            assertTrue(e.getMessage().startsWith("plan is closed: onednn"), e.getMessage());
        }
    }

    @Test
    void kernelRefusesSegmentsSmallerThanItsDescriptorsAndAShortBias() {
        // ConvPlan checks segments first; the kernel checks again right before the addresses reach oneDNN
        ConvSpec spec = ConvSpec.builder().input(1, 6, 6, 4).kernel(3, 3, 8).bias(true).build();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(spec.weightElements() * 4, 64);
            IndexOutOfBoundsException shortBias = assertThrows(IndexOutOfBoundsException.class,
                    () -> new OneDnnEngine().plan(spec, w, arena.allocate(7 * 4, 64), 1));
            assertEquals("bias segment too small: 28 bytes < 32 needed for oc=8", shortBias.getMessage());
            try (ConvKernel k = new OneDnnEngine().plan(spec, w, arena.allocate(8 * 4, 64), 1)) {
                MemorySegment x = arena.allocate(spec.inputElements() * 4, 64);
                MemorySegment y = arena.allocate(spec.outputElements() * 4, 64);
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                        () -> k.forward(x, y.asSlice(0, y.byteSize() - 4), 1, 1));
                assertEquals("segment too small for oneDNN: x 576 bytes (needs 576), y 508 bytes (needs 512)",
                        e.getMessage());
                assertThrows(IndexOutOfBoundsException.class, () -> k.forward(x.asSlice(4), y, 1, 1));
                k.forward(x, y, 1, 1);
            }
        }
    }

    @Test
    void float64IsDeclinedWithTheReason() {
        ConvSpec spec = base(Layout.NHWC).dtype(DType.FLOAT64).build();
        assertEquals(OneDnnEngine.F64_REASON, engine.declines(spec).orElseThrow());
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 3, arena);
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> Conv2d.plan(OneDnnEngine.NAME, spec, p.w, p.b));
            assertTrue(e.getMessage().startsWith("engine onednn declines ConvSpec[NHWC float64")
                    && e.getMessage().endsWith(OneDnnEngine.F64_REASON), e.getMessage());
            assertEquals(Optional.of(e.getMessage()), Conv2d.whyNot(OneDnnEngine.NAME, spec));
        }
    }

    @Test
    void float64ReallyIsUnimplementedOnTheCpuEngine() {
        // the decline is a fact about this oneDNN, checked here so it cannot silently go stale
        ConvSpec spec = base(Layout.NHWC).dtype(DType.FLOAT64).build();
        try (Arena arena = Arena.ofConfined()) {
            Problem p = Problem.of(spec, 3, arena);
            OneDnnException e = assertThrows(OneDnnException.class, () -> engine.plan(spec, p.w.data(), p.b.data(), 1));
            assertTrue(e.getMessage().contains("status dnnl_unimplemented (3)"), e.getMessage());
        }
    }

    @Test
    void probeReportsVersionRuntimeAndIsa() {
        OneDnnEngine.Info info = OneDnnEngine.info().orElseThrow();
        assertTrue(info.version().startsWith("3.11."), info.version());
        assertEquals("OpenMP", info.runtime());
        assertFalse(info.isa().isBlank());
        assertEquals(info.toString(), engine.probe().reason());
    }
}
