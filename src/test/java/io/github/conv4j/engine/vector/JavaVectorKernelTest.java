package io.github.conv4j.engine.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.testing.AgainstNaive;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * java-vector against naive where SIMD code goes wrong: channel counts around the vector length, widths that
 * are not multiples of it, register-block tails, depthwise multipliers, heap and native segments, and several
 * threads sharing one plan. Inputs are small integers, so every sum is exact and the comparison is exact.
 */
class JavaVectorKernelTest {
    private static final String ENGINE = "java-vector";

    @BeforeEach
    void requireAvailable() {
        Engines.require(ENGINE);
    }

    @TestFactory
    List<DynamicTest> awkwardChannelsAndWidths() {
        List<DynamicTest> tests = new ArrayList<>();
        long seed = 1;
        for (int ic : new int[] {1, 13, 17, 33}) {
            for (int oc : new int[] {1, 13, 17, 33}) {
                for (int iw : new int[] {1, 7, 19, 37}) {
                    for (Layout layout : Layout.values()) {
                        DType dtype = (seed & 1) == 0 ? DType.FLOAT32 : DType.FLOAT64;
                        ConvSpec spec = ConvSpec.builder().layout(layout).dtype(dtype).input(2, 5, iw, ic)
                                .kernel(3, Math.min(3, iw), oc).padding(Padding.SAME).bias(true).relu(oc % 2 == 1)
                                .build();
                        long s = seed++;
                        tests.add(DynamicTest.dynamicTest(spec.toString(), () -> compare(spec, s, false)));
                    }
                }
            }
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> stridesDilationsGroupsAndHeapSegments() {
        List<ConvSpec> specs = List.of(
                // 1x1 stride 1: the patch rows are the input itself
                ConvSpec.builder().input(3, 7, 9, 33).kernel(1, 1, 65).build(),
                // 1x1 but strided, and 1x1 with padding: no longer a plain copy
                ConvSpec.builder().input(2, 7, 9, 17).kernel(1, 1, 31).stride(2).build(),
                ConvSpec.builder().input(2, 5, 6, 17).kernel(1, 1, 20).padding(Padding.explicit(1, 0, 2, 1)).build(),
                ConvSpec.builder().input(2, 11, 13, 6).kernel(3, 2, 40).stride(2, 3).dilation(2, 1)
                        .padding(Padding.SAME_LOWER).build(),
                ConvSpec.builder().input(1, 9, 10, 12).kernel(3, 3, 18).groups(3).dilation(1, 2)
                        .padding(Padding.explicit(2, 0, 0, 3)).bias(true).build(),
                // more reduction than one chunk (kh*kw*ic = 2 * 3 * 50 > 256) and a panel tail
                ConvSpec.builder().input(2, 6, 7, 50).kernel(2, 3, 47).padding(Padding.SAME).bias(true).relu(true)
                        .build(),
                // more output pixels than one tile
                ConvSpec.builder().input(3, 30, 31, 5).kernel(3, 3, 9).padding(Padding.SAME).build(),
                ConvSpec.builder().input(2, 224, 20, 3).kernel(7, 7, 64).stride(2)
                        .padding(Padding.explicit(3, 3, 3, 3)).build());
        List<DynamicTest> tests = new ArrayList<>();
        long seed = 100;
        for (ConvSpec base : specs) {
            for (Layout layout : Layout.values()) {
                for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    ConvSpec spec = base.toBuilder().layout(layout).dtype(dtype).build();
                    long s = seed++;
                    tests.add(DynamicTest.dynamicTest(spec + " native", () -> compare(spec, s, false)));
                    tests.add(DynamicTest.dynamicTest(spec + " heap", () -> compare(spec, s, true)));
                }
            }
        }
        return tests;
    }

    @TestFactory
    List<DynamicTest> depthwiseWithMultipliers() {
        List<DynamicTest> tests = new ArrayList<>();
        long seed = 500;
        for (int channels : new int[] {1, 3, 16, 17, 33}) {
            for (int mult : new int[] {1, 2, 3}) {
                for (Layout layout : Layout.values()) {
                    for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                        int c = Math.max(2, channels);   // groups == ic == 1 is an ordinary convolution
                        ConvSpec spec = ConvSpec.builder().layout(layout).dtype(dtype).input(2, 9, 23, c)
                                .kernel(3, 3, c * mult).groups(c).stride(1 + (int) (seed % 2))
                                .padding(Padding.explicit(1, 1, 1, 1)).bias(mult != 2).relu(mult == 3).build();
                        long s = seed++;
                        tests.add(DynamicTest.dynamicTest(spec.toString(), () -> compare(spec, s, false)));
                    }
                }
            }
        }
        ConvSpec dilated = ConvSpec.builder().input(1, 12, 40, 32).kernel(5, 3, 32).groups(32).dilation(2, 3)
                .stride(1, 2).padding(Padding.SAME).build();
        tests.add(DynamicTest.dynamicTest(dilated.toString(), () -> compare(dilated, 9, true)));
        // wide left padding, and a stride that leaves the last input column unread: the staged rows hold only the
        // columns the output reads, zero padding included
        for (Layout layout : Layout.values()) {
            ConvSpec skipped = ConvSpec.builder().layout(layout).input(2, 10, 18, 8).kernel(3, 3, 16).groups(8)
                    .stride(3).padding(Padding.explicit(0, 2, 4, 0)).bias(true).relu(true).build();
            tests.add(DynamicTest.dynamicTest(skipped.toString(), () -> compare(skipped, 10, false)));
        }
        // a multiplier with dilated rows, and with fewer input rows than the dilated kernel spans
        for (ConvSpec spec : List.of(
                ConvSpec.builder().input(2, 13, 11, 5).kernel(3, 3, 10).groups(5).dilation(2, 1).build(),
                ConvSpec.builder().layout(Layout.NCHW).input(1, 3, 9, 4).kernel(5, 3, 12).groups(4).dilation(2, 1)
                        .padding(Padding.SAME).build())) {
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                ConvSpec typed = spec.toBuilder().dtype(dtype).build();
                tests.add(DynamicTest.dynamicTest(typed.toString(), () -> compare(typed, 11, false)));
            }
        }
        return tests;
    }

    /**
     * The direct kernel, here with few input channels per group: its three register blocks (one, two and four
     * vectors of output channels), channel tails, padding wider than the kernel's reach, strides, dilations,
     * groups, and images longer than one job. Each spec runs in both layouts and dtypes, on native and heap
     * segments. (The other factories reach it too: every reduction up to 1152 takes it.)
     */
    @TestFactory
    List<DynamicTest> directFewChannels() {
        List<ConvSpec> specs = List.of(
                // the notebook's case, smaller: one vector of output channels, and a tail of one
                ConvSpec.builder().input(3, 13, 11, 3).kernel(3, 3, 16).stride(2).build(),
                ConvSpec.builder().input(2, 13, 11, 3).kernel(3, 3, 5).stride(2).bias(true).relu(true).build(),
                // the stem, smaller: 64 output channels are four float and eight double vectors
                ConvSpec.builder().input(2, 23, 37, 3).kernel(7, 7, 64).stride(2)
                        .padding(Padding.explicit(3, 3, 3, 3)).bias(true).relu(true).build(),
                // two-vector blocks with a last panel partly or wholly past the channels
                ConvSpec.builder().input(2, 9, 14, 3).kernel(5, 5, 68).stride(2).padding(Padding.SAME).bias(true)
                        .build(),
                ConvSpec.builder().input(2, 9, 10, 2).kernel(3, 3, 48).padding(Padding.SAME).relu(true).build(),
                // asymmetric padding, dilation in both directions, unequal strides
                ConvSpec.builder().input(2, 9, 17, 2).kernel(3, 5, 33).stride(3, 2).dilation(2, 3)
                        .padding(Padding.explicit(2, 4, 5, 1)).relu(true).build(),
                // groups of three channels, output channels per group just past a vector, and just two
                ConvSpec.builder().input(2, 10, 19, 6).kernel(3, 3, 34).groups(2).padding(Padding.SAME).bias(true)
                        .build(),
                ConvSpec.builder().input(1, 8, 9, 12).kernel(2, 3, 8).groups(4).stride(1, 2)
                        .padding(Padding.SAME_LOWER).bias(true).build(),
                // one input channel and a one-wide kernel; more output pixels than one job, so several per image
                ConvSpec.builder().input(2, 41, 29, 1).kernel(5, 1, 20).padding(Padding.SAME).relu(true).build(),
                ConvSpec.builder().input(2, 64, 30, 4).kernel(3, 3, 24).padding(Padding.SAME).bias(true).build(),
                // a kernel wider than the input: every output column reads padding
                ConvSpec.builder().input(1, 4, 3, 3).kernel(3, 5, 16).padding(Padding.explicit(1, 1, 2, 2)).build());
        return inEveryLayoutAndDType(specs, 700, "direct ", 0);
    }

    /**
     * The packed GEMM, which takes reductions ({@code kh*kw*icg}) longer than 1152: several reduction chunks, a
     * panel tail, more output pixels than one tile, a 1x1 with its copied patch rows, strides, dilation, groups
     * and padding, in both layouts and dtypes.
     */
    @TestFactory
    List<DynamicTest> gemmLongReductions() {
        List<ConvSpec> specs = List.of(
                ConvSpec.builder().input(2, 6, 7, 130).kernel(3, 3, 47).padding(Padding.SAME).bias(true).relu(true)
                        .build(),
                ConvSpec.builder().input(1, 9, 10, 260).kernel(3, 3, 18).groups(2).stride(2, 1).dilation(1, 2)
                        .padding(Padding.explicit(2, 0, 1, 3)).bias(true).build(),
                ConvSpec.builder().input(2, 3, 5, 1200).kernel(1, 1, 65).relu(true).build(),
                ConvSpec.builder().input(2, 30, 31, 129).kernel(3, 3, 9).padding(Padding.SAME).build());
        return inEveryLayoutAndDType(specs, 900, "packed GEMM ", 1);
    }

    /**
     * A test per spec, layout and dtype, seeded from {@code firstSeed} on: the plan's implementation starts with
     * {@code kernel}, and its output matches naive's, on heap segments where the seed's parity is
     * {@code heapParity} and native ones otherwise.
     */
    private static List<DynamicTest> inEveryLayoutAndDType(List<ConvSpec> specs, long firstSeed, String kernel,
            int heapParity) {
        List<DynamicTest> tests = new ArrayList<>();
        long seed = firstSeed;
        for (ConvSpec base : specs) {
            for (Layout layout : Layout.values()) {
                for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    ConvSpec spec = base.toBuilder().layout(layout).dtype(dtype).build();
                    long s = seed++;
                    tests.add(DynamicTest.dynamicTest(spec.toString(), () -> {
                        assertTrue(implementation(spec).startsWith(kernel), () -> implementation(spec));
                        compare(spec, s, s % 2 == heapParity);
                    }));
                }
            }
        }
        return tests;
    }

    private static String implementation(ConvSpec spec) {
        try (Arena arena = Arena.ofConfined();
                ConvPlan plan = Conv2d.plan(ENGINE, spec, Tensor.allocate(arena, spec.dtype(), spec.weightShape()),
                        spec.hasBias() ? Tensor.allocate(arena, spec.dtype(), spec.oc()) : null)) {
            return plan.implementation();
        }
    }

    /** One plan, eight threads, each with its own input and output, many times over: all must match naive. */
    @Test
    void concurrentForwardsOnOnePlan() throws Exception {
        for (ConvSpec spec : List.of(
                ConvSpec.builder().input(2, 20, 21, 17).kernel(3, 3, 40).padding(Padding.SAME).bias(true).build(),
                ConvSpec.builder().layout(Layout.NCHW).dtype(DType.FLOAT64).input(2, 20, 21, 16).kernel(3, 3, 32)
                        .groups(16).padding(Padding.SAME).build())) {
            int threads = 8;
            try (Arena arena = Arena.ofShared()) {
                SplittableRandom rnd = new SplittableRandom(77);
                Tensor w = Tensors.smallIntegers(arena, spec.dtype(), rnd, spec.weightShape());
                Tensor b = spec.hasBias() ? Tensors.smallIntegers(arena, spec.dtype(), rnd, spec.oc()) : null;
                List<Tensor> xs = new ArrayList<>(), wants = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Tensor x = Tensors.smallIntegers(arena, spec.dtype(), rnd, spec.inputShape());
                    Tensor want = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                    Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
                    xs.add(x);
                    wants.add(want);
                }
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try (ConvPlan plan = Conv2d.plan(ENGINE, spec, w, b)) {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        int me = t;
                        done.add(pool.submit(() -> {
                            Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                            for (int round = 0; round < 20; round++) {
                                Tensors.poison(y);
                                plan.forward(xs.get(me), y);
                                assertSame(wants.get(me), y, spec, "thread " + me + " round " + round);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                } finally {
                    pool.shutdown();
                }
            }
        }
    }

    @Test
    void declinesWhatItsJavaArraysCannotHold() {
        ConvSpec huge = ConvSpec.builder().input(1, 1, 1, 65536).kernel(1, 1, 65536).build();
        var no = Conv2d.engine(ENGINE).declines(huge);
        assertTrue(no.isPresent(), huge::toString);
        assertTrue(no.get().startsWith("scratch or packed weights exceed a Java array: "), no.get());
        assertTrue(Conv2d.engine(ENGINE).declines(huge.toBuilder().input(1, 1, 1, 64).build()).isEmpty());
    }

    @Test
    void implementationNamesTheKernel() {
        ConvSpec dw = ConvSpec.builder().input(1, 4, 4, 8).kernel(3, 3, 8).groups(8).build();
        ConvSpec gemm = ConvSpec.builder().input(1, 4, 4, 129).kernel(3, 3, 8).build();
        try (Arena arena = Arena.ofConfined();
                ConvPlan a = Conv2d.plan(ENGINE, dw, Tensor.allocate(arena, DType.FLOAT32, dw.weightShape()), null);
                ConvPlan b = Conv2d.plan(ENGINE, gemm, Tensor.allocate(arena, DType.FLOAT32, gemm.weightShape()),
                        null)) {
            assertEquals(true, a.implementation().startsWith("depthwise direct loop"), a.implementation());
            assertEquals(true, b.implementation().startsWith("packed GEMM "), b.implementation());
        }
        // the direct kernel up to a reduction of 1152 (3 * 3 * 128), the GEMM past it (3 * 3 * 129, above)
        ConvSpec longest = ConvSpec.builder().input(1, 4, 4, 128).kernel(3, 3, 8).build();
        assertEquals(true, implementation(longest).startsWith("direct "), implementation(longest));
    }

    private static void compare(ConvSpec spec, long seed, boolean heap) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (Arena arena = Arena.ofConfined()) {
            DType t = spec.dtype();
            AgainstNaive.Problem p = AgainstNaive.Problem.draw(arena, spec, rnd, true);
            Tensor y = heap ? onHeap(Tensor.allocate(arena, t, spec.outputShape())) : Tensor.allocate(arena, t,
                    spec.outputShape());
            Tensors.poison(y);
            Conv2d.forward(ENGINE, spec, heap ? onHeap(p.x()) : p.x(), p.w(), p.b(), y);
            assertSame(p.want(), y, spec, "seed " + seed + (heap ? " heap" : " native"));
        }
    }

    /** The same elements in a Java array. */
    private static Tensor onHeap(Tensor t) {
        MemorySegment s = t.dtype() == DType.FLOAT32
                ? MemorySegment.ofArray(t.data().asSlice(0, t.byteSize()).toArray(ValueLayout.JAVA_FLOAT))
                : MemorySegment.ofArray(t.data().asSlice(0, t.byteSize()).toArray(ValueLayout.JAVA_DOUBLE));
        return new Tensor(s, t.dtype(), t.shape());
    }

    private static void assertSame(Tensor want, Tensor got, ConvSpec spec, String what) {
        for (long i = 0; i < want.elementCount(); i++) {
            double ref = want.getDouble(i), v = got.getDouble(i);
            if (Double.compare(ref + 0.0, v + 0.0) != 0) {
                fail("java-vector differs from naive, " + what + " " + spec + " at flat index " + i + ": got " + v
                        + ", naive " + ref);
            }
        }
    }
}
