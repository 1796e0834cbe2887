package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Golden;
import io.github.conv4j.testing.RandomSpecs;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The tests every engine passes: hand-computed answers, the golden cases in both layouts, and seeded random
 * specs against {@code naive} (exact on small integers, within a tolerance scaled by the reduction length
 * on random floats). One subclass per engine; an unavailable engine fails with its probe's reason on
 * linux-x86_64, where the build bundles every engine's natives, and is skipped with that reason elsewhere.
 */
abstract class EngineContract {

    /** The engine under test. */
    abstract String engine();

    /**
     * The accuracy level every spec here asks for. At a level looser than EXACT the random specs are held to that
     * level's bound ({@link AgainstNaive#assertAgrees}), small integers included.
     */
    Accuracy accuracy() {
        return Accuracy.EXACT;
    }

    /**
     * The element type every spec here is converted to, with its inputs rounded to it ({@link Tensors#set}); null
     * (the default) keeps each spec's own.
     */
    DType dtype() {
        return null;
    }

    /** {@code spec} at {@link #accuracy()}, in {@link #dtype()} if one is set. */
    final ConvSpec atLevel(ConvSpec spec) {
        ConvSpec leveled = spec.accuracy() == accuracy() ? spec : spec.toBuilder().accuracy(accuracy()).build();
        return dtype() == null || leveled.dtype() == dtype() ? leveled : leveled.toBuilder().dtype(dtype()).build();
    }

    /** How many random specs each random test runs. */
    int randomSpecs() {
        return 60;
    }

    @BeforeEach
    void requireAvailable() {
        Engines.require(engine());
    }

    /** Runs {@code spec} on this engine, or skips the calling test if the engine declines it. */
    Tensor run(ConvSpec given, Tensor x, Tensor w, Tensor b, Arena arena) {
        ConvSpec spec = atLevel(given);
        Optional<String> no = Conv2d.engine(engine()).declines(spec);
        assumeTrue(no.isEmpty(), () -> engine() + " declines " + spec + ": " + no.orElse(""));
        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
        Tensors.poison(y);
        try (ConvPlan plan = Conv2d.plan(engine(), spec, w, b)) {
            assertEquals(engine(), plan.engine());
            plan.forward(x, y);
        }
        return y;
    }

    // ---- known answers, computed by hand -------------------------------------------------------------

    /** x = 1..9 as a 3x3 image, one channel. */
    private static float[] oneToNine() {
        return new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9};
    }

    private float[] conv(ConvSpec given, float[] x, float[] w, float[] b) {
        ConvSpec spec = atLevel(given);
        try (Arena arena = Arena.ofConfined()) {
            Tensor y = run(spec, tensor(spec, x, spec.inputShape()), tensor(spec, w, spec.weightShape()),
                    b == null ? null : tensor(spec, b, spec.oc()), arena);
            float[] out = new float[(int) y.elementCount()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) y.getDouble(i);
            }
            return out;
        }
    }

    /** {@code values} in {@code spec}'s element type (bfloat16: rounded to nearest even, {@link Tensor#bfloat16}). */
    private static Tensor tensor(ConvSpec spec, float[] values, long... shape) {
        return spec.dtype() == DType.BFLOAT16 ? Tensor.bfloat16(values, shape) : Tensor.of(values, shape);
    }

    /** A known answer as {@link #dtype()} holds it: each value rounded to bfloat16 once when that is the type. */
    private float[] expect(float... exact) {
        return dtype() == DType.BFLOAT16 ? toFloats(BFloat16.fromFloats(exact)) : exact;
    }

    private static float[] toFloats(short[] bits) {
        float[] f = new float[bits.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = BFloat16.toFloat(bits[i]);
        }
        return f;
    }

    @Test
    void ones2x2Valid() {
        ConvSpec s = ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1).build();
        assertArrayEquals(expect(12, 16, 24, 28), conv(s, oneToNine(), new float[] {1, 1, 1, 1}, null));
    }

    @Test
    void ones2x2SamePadsBottomRight() {
        ConvSpec s = ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1).padding(Padding.SAME).build();
        assertArrayEquals(expect(12, 16, 9, 24, 28, 15, 15, 17, 9),
                conv(s, oneToNine(), new float[] {1, 1, 1, 1}, null));
    }

    @Test
    void ones2x2SameLowerPadsTopLeft() {
        ConvSpec s = ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1).padding(Padding.SAME_LOWER).build();
        assertArrayEquals(expect(1, 3, 5, 5, 12, 16, 11, 24, 28),
                conv(s, oneToNine(), new float[] {1, 1, 1, 1}, null));
    }

    @Test
    void ones3x3SameStride2() {
        ConvSpec s = ConvSpec.builder().input(1, 3, 3, 1).kernel(3, 3, 1).stride(2).padding(Padding.SAME).build();
        float[] w = new float[9];
        java.util.Arrays.fill(w, 1);
        assertArrayEquals(expect(12, 16, 24, 28), conv(s, oneToNine(), w, null));
    }

    @Test
    void biasThenRelu() {
        ConvSpec s = ConvSpec.builder().input(1, 1, 2, 1).kernel(1, 1, 1).bias(true).relu(true).build();
        assertArrayEquals(expect(0, 2.5f), conv(s, new float[] {1, -2}, new float[] {-1}, new float[] {0.5f}));
    }

    @Test
    void dilationSkipsColumns() {
        ConvSpec s = ConvSpec.builder().input(1, 1, 5, 1).kernel(1, 2, 1).dilation(1, 2).build();
        assertArrayEquals(expect(31, 42, 53), conv(s, new float[] {1, 2, 3, 4, 5}, new float[] {1, 10}, null));
    }

    @Test
    void groupsSeeOnlyTheirChannels() {
        // HWIO w[0][0][i][o] = {{1, 10}, {100, 1000}}: group 0 reads x0, x1 into y0; group 1 reads x2, x3 into y1
        ConvSpec s = ConvSpec.builder().input(1, 1, 1, 4).kernel(1, 1, 2).groups(2).build();
        assertArrayEquals(expect(201, 4030),
                conv(s, new float[] {1, 2, 3, 4}, new float[] {1, 10, 100, 1000}, null));
    }

    @Test
    void nchwStridedKnownAnswer() {
        // two channels: channel 1 is channel 0 times 10; weights OIHW [1][2][1][1] = {1, 1}; stride 2 picks corners
        ConvSpec s = ConvSpec.builder().layout(Layout.NCHW).input(1, 3, 3, 2).kernel(1, 1, 1).stride(2).build();
        float[] x = new float[18];
        for (int i = 0; i < 9; i++) {
            x[i] = i + 1;
            x[9 + i] = 10 * (i + 1);
        }
        assertArrayEquals(expect(11, 33, 77, 99), conv(s, x, new float[] {1, 1}, null));
    }

    // ---- golden cases ---------------------------------------------------------------------------------

    @TestFactory
    List<DynamicTest> golden() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Golden.Case c : Golden.cases()) {
            for (Layout layout : Layout.values()) {
                tests.add(DynamicTest.dynamicTest(c.name() + " " + layout, () -> golden(c, layout)));
            }
        }
        return tests;
    }

    private void golden(Golden.Case c, Layout layout) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = c.load("x.npy", arena), w = c.load("w.npy", arena), want = c.load("y.npy", arena);
            if (dtype() != null) {
                x = Tensors.convert(x, dtype(), arena);
                w = Tensors.convert(w, dtype(), arena);
            }
            ConvSpec spec = c.spec(layout, x, w);
            if (layout == Layout.NCHW) {
                x = Tensors.nhwcToNchw(x, arena);
                w = Tensors.hwioToOihw(w, arena);
            }
            Tensor y = run(spec, x, w, null, arena);
            if (layout == Layout.NCHW) {
                y = Tensors.nchwToNhwc(y, arena);
            }
            // in another type than the file's, the inputs were rounded: the golden output is then held to the bound
            // of BF16 (which allows for rounding x and w to bfloat16), and naive on the rounded inputs to the level's
            ConvSpec againstGolden = dtype() == null ? spec : spec.toBuilder().accuracy(Accuracy.BF16).build();
            for (long i = 0; i < want.elementCount(); i++) {
                double ref = want.getDouble(i), got = y.getDouble(i);
                double tol = againstGolden.tolerance(ref);
                if (!(Math.abs(got - ref) <= tol)) {
                    fail(engine() + " golden " + c.name() + " " + layout + " at flat NHWC index " + i + ": got " + got
                            + ", want " + ref + " (tolerance " + tol + ")");
                }
            }
            if (dtype() != null) {
                if (layout == Layout.NCHW) {
                    y = Tensors.nhwcToNchw(y, arena);
                }
                ConvSpec leveled = atLevel(spec);
                Tensor naive = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                Conv2d.forward(Conv2d.NAIVE, leveled, x, w, null, naive);
                AgainstNaive.assertAgrees(engine() + " golden " + c.name() + " " + layout + " rounded to " + dtype(),
                        leveled, naive, y, false);
            }
        }
    }

    // ---- random specs against naive -------------------------------------------------------------------

    @Test
    void smallIntegersMatchNaiveExactly() {
        compareWithNaive(1000, true);
    }

    @Test
    void randomFloatsMatchNaiveWithinScaledTolerance() {
        compareWithNaive(2000, false);
    }

    private void compareWithNaive(long firstSeed, boolean integers) {
        int ran = 0;
        for (long seed = firstSeed; seed < firstSeed + randomSpecs(); seed++) {
            ConvSpec spec = atLevel(RandomSpecs.next(seed, 12));
            if (Conv2d.engine(engine()).declines(spec).isPresent()) {
                continue;
            }
            ran++;
            AgainstNaive.check(engine(), spec, seed, integers);
        }
        assumeTrue(ran > 0, () -> engine() + " declined every random spec");
    }

    // ---- partial batches ------------------------------------------------------------------------------

    /**
     * Specs whose engine paths differ (a 3x3 with enough channels for oneDNN's jit kernels and im2col's tiles,
     * a 1x1, a depthwise, a strided grouped one, one with few channels and more output rows than java-vector's
     * direct kernel takes in one job) in both layouts and dtypes, then random ones; each with a batch of 5.
     */
    private List<ConvSpec> partialBatchSpecs() {
        List<ConvSpec> specs = new ArrayList<>();
        for (Layout layout : Layout.values()) {
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                ConvSpec.Builder b = ConvSpec.builder().layout(layout).dtype(dtype);
                specs.add(b.input(5, 9, 8, 32).kernel(3, 3, 32).padding(Padding.SAME).bias(true).relu(true).build());
                specs.add(b.input(5, 6, 7, 16).kernel(1, 1, 24).padding(Padding.VALID).bias(false).relu(false).build());
                specs.add(b.input(5, 7, 7, 12).kernel(3, 3, 12).groups(12).padding(Padding.SAME).bias(true)
                        .build());
                specs.add(b.input(5, 11, 10, 6).kernel(3, 2, 8).groups(2).stride(2, 1).padding(Padding.VALID)
                        .relu(true).build());
                specs.add(b.input(5, 30, 25, 3).kernel(3, 3, 20).groups(1).stride(1).padding(Padding.SAME).bias(true)
                        .relu(true).build());
            }
        }
        for (long seed = 3000; seed < 3000 + randomSpecs() / 3; seed++) {
            ConvSpec r = RandomSpecs.next(seed, 10);
            specs.add(r.toBuilder().input(2 + (int) (seed % 4), r.ih(), r.iw(), r.ic()).build());
        }
        return specs.stream().map(this::atLevel).toList();
    }

    @Test
    void aPlanComputesEveryShorterBatchAndWritesOnlyThoseImages() {
        int ran = 0;
        for (ConvSpec spec : partialBatchSpecs()) {
            if (Conv2d.engine(engine()).declines(spec).isPresent()) {
                continue;
            }
            ran++;
            SplittableRandom rnd = new SplittableRandom(spec.hashCode());
            try (Arena arena = Arena.ofConfined()) {
                Tensor w = Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape());
                Tensor b = spec.hasBias() ? Tensors.uniform(arena, spec.dtype(), rnd, spec.oc()) : null;
                partialBatches(spec, w, b, rnd, arena);
            }
        }
        assumeTrue(ran > 0, () -> engine() + " declined every partial-batch spec");
    }

    private void partialBatches(ConvSpec spec, Tensor w, Tensor b, SplittableRandom rnd, Arena arena) {
        try (ConvPlan plan = Conv2d.plan(engine(), spec, w, b)) {
            long imageIn = spec.inputElements() / spec.mb(), imageOut = spec.outputElements() / spec.mb();
            long esz = spec.dtype().byteSize();
            // every batch from the full one down, then all again in a shuffled order: a batch size seen before
            // must reuse what its first call made
            List<Integer> batches = new ArrayList<>();
            for (int n = spec.mb(); n >= 1; n--) {
                batches.add(n);
            }
            List<Integer> again = new ArrayList<>(batches);
            java.util.Collections.shuffle(again, new java.util.Random(rnd.nextLong()));
            batches.addAll(again);
            for (int n : batches) {
                Tensor x = Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape());
                Tensor want = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
                // raw segments: y holds a whole batch, and the images after the n-th must stay as they were
                MemorySegment y = arena.allocate(spec.outputElements() * esz, 64);
                Tensor yt = new Tensor(y, spec.dtype(), spec.outputShape());
                // -24.2 in float32, -2.4e-10 in float64: a bias or ReLU applied past the batch would change it
                y.fill((byte) 0xc1);
                byte[] before = y.toArray(ValueLayout.JAVA_BYTE);
                plan.forward(x.data(), y, n);
                String what = engine() + " batch " + n + " of " + spec.mb() + " " + spec;
                assertImagesAgree(what, spec, want, yt, n);
                for (long i = n * imageOut * esz; i < before.length; i++) {
                    if (y.get(ValueLayout.JAVA_BYTE, i) != before[(int) i]) {
                        fail(what + ": wrote byte " + i + ", after the batch's " + n * imageOut * esz);
                    }
                }
                // tensors whose leading dimension is the batch, exactly that large
                long[] xs = spec.inputShape(), ys = spec.outputShape();
                xs[0] = n;
                ys[0] = n;
                Tensor xn = new Tensor(x.data().asSlice(0, n * imageIn * esz), spec.dtype(), xs);
                Tensor yn = Tensor.allocate(arena, spec.dtype(), ys);
                Tensors.poison(yn);
                plan.forward(xn, yn);
                assertImagesAgree(what + " (tensors)", spec, want, yn, n);
            }
        }
    }

    /** Fails unless the first {@code n} images of {@code got} agree with {@code want}'s within the float tolerance. */
    private static void assertImagesAgree(String what, ConvSpec spec, Tensor want, Tensor got, int n) {
        long[] shape = spec.outputShape();
        shape[0] = n;
        long bytes = spec.outputElements() / spec.mb() * n * spec.dtype().byteSize();
        AgainstNaive.assertAgrees(what, spec.toBuilder().input(n, spec.ih(), spec.iw(), spec.ic()).build(),
                new Tensor(want.data().asSlice(0, bytes), spec.dtype(), shape),
                new Tensor(got.data().asSlice(0, bytes), spec.dtype(), shape), false);
    }
}
