package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.RandomSpecs;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Winograd engine at the default level, F(2x2,3x3): the contract every engine passes (whose random specs are
 * rarely 3x3, stride 1, undilated), then random specs of that shape, specs spanning several tile blocks and ragged
 * channel counts, realistic data against a float64 reference, and what it declines. {@link WinogradFastEngineTest}
 * runs all of it at {@link Accuracy#FAST}, F(4x4,3x3).
 */
class WinogradEngineTest extends EngineContract {
    @Override
    String engine() {
        return "winograd";
    }

    @Override
    int randomSpecs() {
        return 200;
    }

    /** Outputs per tile side the engine uses at this test's level. */
    int tile() {
        return accuracy() == Accuracy.EXACT ? 2 : 4;
    }

    /**
     * Seeded random specs made 3x3, stride 1, undilated: every padding mode, groups, both layouts and dtypes, bias
     * and ReLU. Depthwise ones, which the engine declines, and ones whose kernel outgrew the input are skipped.
     */
    private List<ConvSpec> winogradSpecs(long firstSeed, int count, int maxSize, int maxChannels) {
        List<ConvSpec> specs = new ArrayList<>();
        for (long seed = firstSeed; specs.size() < count; seed++) {
            ConvSpec r = RandomSpecs.next(seed, maxSize, maxChannels);
            if (r.isDepthwise()) {
                continue;
            }
            try {
                specs.add(atLevel(r.toBuilder().kernel(3, 3, r.oc()).stride(1).dilation(1).build()));
            } catch (IllegalArgumentException tooSmall) {
                // a 3x3 kernel does not fit this unpadded input
            }
        }
        return specs;
    }

    /** Specs across several blocks of tiles, with odd output sizes and channel counts that are not whole vectors. */
    private List<ConvSpec> blockSpecs() {
        List<ConvSpec> specs = new ArrayList<>();
        for (Layout layout : Layout.values()) {
            for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                ConvSpec.Builder b = ConvSpec.builder().layout(layout).dtype(dtype);
                specs.add(b.input(2, 28, 31, 64).kernel(3, 3, 64).padding(Padding.SAME).bias(true).relu(true)
                        .groups(1).build());
                specs.add(b.input(3, 17, 23, 80).kernel(3, 3, 74).padding(Padding.VALID).bias(true).relu(false)
                        .groups(2).build());
                specs.add(b.input(1, 35, 10, 19).kernel(3, 3, 41).padding(Padding.SAME_LOWER).bias(false)
                        .relu(true).groups(1).build());
            }
        }
        return specs.stream().map(this::atLevel).toList();
    }

    /**
     * Exact at EXACT: every intermediate of F(2x2,3x3) is a small multiple of 1/4, exact in both dtypes. F(4x4,3x3)'s
     * sixths and twenty-fourths are not, so at FAST within that level's bound.
     */
    @Test
    void random3x3SmallIntegersMatchNaive() {
        for (ConvSpec spec : winogradSpecs(5000, 150, 12, 6)) {
            AgainstNaive.check(engine(), spec, spec.hashCode(), true);
        }
    }

    @Test
    void tileBlocksAndRaggedChannelsOnSmallIntegersMatchNaive() {
        for (ConvSpec spec : blockSpecs()) {
            AgainstNaive.check(engine(), spec, spec.hashCode(), true);
        }
    }

    @Test
    void random3x3FloatsMatchNaiveWithinScaledTolerance() {
        List<ConvSpec> specs = new ArrayList<>(winogradSpecs(7000, 150, 12, 6));
        specs.addAll(winogradSpecs(9000, 20, 20, 40));
        specs.addAll(blockSpecs());
        double worst = 0;
        String where = "";
        for (ConvSpec spec : specs) {
            SplittableRandom rnd = new SplittableRandom(spec.hashCode());
            try (Arena arena = Arena.ofConfined()) {
                AgainstNaive.Problem p = AgainstNaive.Problem.draw(arena, spec, rnd, false);
                Tensor got = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                Tensors.poison(got);
                try (ConvPlan plan = Conv2d.plan(engine(), spec, p.w(), p.b())) {
                    plan.forward(p.x(), got);
                }
                // AgainstNaive's bound at EXACT, measured here to report how close the transforms come to it
                double k = 9.0 * spec.icPerGroup();
                double eps = spec.dtype() == DType.FLOAT32 ? 0x1p-23 : 0x1p-52;
                double tol = 8 * eps * (k + 1);
                for (long i = 0; i < got.elementCount(); i++) {
                    double ratio = Math.abs(got.getDouble(i) - p.want().getDouble(i)) / tol;
                    if (Double.isNaN(ratio)) {
                        fail("winograd " + spec + " at " + i + ": got " + got.getDouble(i) + ", naive "
                                + p.want().getDouble(i));
                    }
                    if (ratio > worst) {
                        worst = ratio;
                        where = spec + " at " + i;
                    }
                }
            }
        }
        double bound = AgainstNaive.levelFactor(specs.get(0));
        System.out.printf("winograd F(%dx%d,3x3) random floats: worst |error| / (8 eps (9 icg + 1)) = %.3f over %d"
                + " specs, bound %.0f (%s)%n", tile(), tile(), worst, specs.size(), bound, where);
        assertTrue(worst <= bound, "worst error is " + worst + " times the EXACT tolerance, over " + bound + ", " + where);
    }

    /**
     * Large channel counts over few tiles make fewer blocks than threads, and the threads then share each block's
     * phases; in NCHW, a batch smaller than the threads has them share each image. Every thread count from 1 to 4
     * must give the same answer as naive (small integers: exact at EXACT), in both dtypes and layouts, with groups,
     * bias and ReLU, on a batch whose tiles fill a block and spill a little into the next, and on an image of
     * several blocks.
     */
    @Test
    void blocksSharedAmongThreadsMatchNaive() {
        int before = Settings.threads();
        try {
            for (int threads = 1; threads <= 4; threads++) {
                Settings.setThreads(threads);
                for (DType dtype : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                    for (Layout layout : Layout.values()) {
                        ConvSpec.Builder b = ConvSpec.builder().dtype(dtype).layout(layout).padding(Padding.SAME)
                                .bias(true).relu(true);
                        List<ConvSpec> specs = List.of(
                                b.input(1, 13, 14, 160).kernel(3, 3, 144).groups(1).build(),
                                b.input(2, 7, 7, 256).kernel(3, 3, 200).groups(2).build(),
                                b.input(3, 15, 15, 96).kernel(3, 3, 96).groups(1).build(),
                                b.input(1, 40, 36, 24).kernel(3, 3, 16).groups(1).build());
                        for (ConvSpec spec : specs) {
                            AgainstNaive.check(engine(), atLevel(spec), spec.hashCode() + threads, true);
                        }
                    }
                }
            }
        } finally {
            Settings.setThreads(before);
        }
    }

    /**
     * Realistic layers: He-initialised weights (normal, std {@code sqrt(2 / (9 ic))}), ReLU'd standard normal
     * inputs, zero bias, in float32, against naive in float64 on the same float32 values; the error must stay
     * within {@link ConvSpec#tolerance} at the test's level. Prints the error against EXACT's tolerance too, the
     * figure the README quotes per tile size.
     */
    @Test
    void realisticLayersStayWithinTheFloat32Tolerance() {
        int[][] layers = {{64, 28, 28, 2}, {64, 27, 25, 1}, {128, 21, 21, 1}, {128, 16, 16, 2}, {256, 14, 14, 1},
            {512, 7, 7, 2}};
        double worstExact = 0;
        for (int[] l : layers) {
            int c = l[0];
            ConvSpec spec = atLevel(ConvSpec.builder().input(l[3], l[1], l[2], c).kernel(3, 3, c)
                    .padding(Padding.SAME).bias(true).build());
            ConvSpec exact = spec.toBuilder().accuracy(Accuracy.EXACT).build();
            SplittableRandom rnd = new SplittableRandom(c * 1000L + l[1]);
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = Tensor.allocate(arena, DType.FLOAT32, spec.inputShape());
                for (long i = 0; i < x.elementCount(); i++) {
                    Tensors.set(x, i, (float) Math.max(0, normal(rnd)));
                }
                Tensor w = Tensor.allocate(arena, DType.FLOAT32, spec.weightShape());
                double std = Math.sqrt(2.0 / (9 * c));
                for (long i = 0; i < w.elementCount(); i++) {
                    Tensors.set(w, i, (float) (std * normal(rnd)));
                }
                Tensor b = Tensor.allocate(arena, DType.FLOAT32, c);
                Tensor got = Tensor.allocate(arena, DType.FLOAT32, spec.outputShape());
                Tensors.poison(got);
                try (ConvPlan plan = Conv2d.plan(engine(), spec, w, b)) {
                    plan.forward(x, got);
                }
                ConvSpec spec64 = spec.toBuilder().dtype(DType.FLOAT64).build();
                Tensor want = Tensor.allocate(arena, DType.FLOAT64, spec64.outputShape());
                Conv2d.forward(Conv2d.NAIVE, spec64, Tensors.convert(x, DType.FLOAT64, arena),
                        Tensors.convert(w, DType.FLOAT64, arena), Tensors.convert(b, DType.FLOAT64, arena), want);
                double maxAbs = 0, maxRatio = 0, maxExact = 0;
                long worst = -1;
                for (long i = 0; i < want.elementCount(); i++) {
                    double ref = want.getDouble(i), err = Math.abs(got.getDouble(i) - ref);
                    maxAbs = Math.max(maxAbs, err);
                    maxExact = Math.max(maxExact, err / exact.tolerance(ref));
                    double ratio = err / spec.tolerance(ref);
                    if (!(ratio <= maxRatio)) {
                        maxRatio = ratio;
                        worst = i;
                        if (Double.isNaN(ratio)) {
                            break;    // a later element must not hide it
                        }
                    }
                }
                worstExact = Math.max(worstExact, maxExact);
                System.out.printf("winograd F(%dx%d,3x3) realistic %s: max |error| %.3g, / EXACT tolerance %.4f,"
                        + " / the level's %.4f%n", tile(), tile(), spec, maxAbs, maxExact, maxRatio);
                if (!(maxRatio <= 1)) {
                    fail("winograd " + spec + " at " + worst + ": got " + got.getDouble(worst) + ", float64 naive "
                            + want.getDouble(worst) + " (tolerance " + spec.tolerance(want.getDouble(worst)) + ")");
                }
            }
        }
        System.out.printf("winograd F(%dx%d,3x3) realistic layers, 64-512 channels: worst |error| / EXACT tolerance"
                + " %.4f%n", tile(), tile(), worstExact);
    }

    /** A standard normal draw (Box-Muller). */
    private static double normal(SplittableRandom rnd) {
        return Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    @Test
    void declinesWhatItCannotComputeAndNamesTheFieldAndTile() {
        ConvSpec.Builder ok = atLevel(ConvSpec.builder().input(1, 8, 8, 4).kernel(3, 3, 4).padding(Padding.SAME)
                .build()).toBuilder();
        assertEquals(Optional.empty(), Conv2d.engine(engine()).declines(ok.build()));
        assertDeclines(ok.build().toBuilder().kernel(5, 3, 4).build(), "kernel is 5x3");
        assertDeclines(ok.build().toBuilder().kernel(3, 1, 4).build(), "kernel is 3x1");
        assertDeclines(ok.build().toBuilder().stride(1, 2).build(), "stride is 1x2");
        assertDeclines(ok.build().toBuilder().dilation(2, 1).build(), "dilation is 2x1");
        assertDeclines(ok.build().toBuilder().groups(4).build(), "depthwise (groups = ic = 4)");
        assertEquals(Optional.empty(), Conv2d.engine(engine()).declines(ok.build().toBuilder().groups(2).build()));
    }

    private void assertDeclines(ConvSpec spec, String reason) {
        Optional<String> why = Conv2d.engine(engine()).declines(spec);
        String f = "F(" + tile() + "x" + tile() + ",3x3)";
        assertTrue(why.isPresent() && why.get().startsWith(reason) && why.get().contains(f), spec + ": " + why);
    }

    @Test
    void implementationNamesTheAlgorithmAndBlock() {
        ConvSpec spec = atLevel(ConvSpec.builder().input(1, 8, 8, 4).kernel(3, 3, 4).padding(Padding.SAME).build());
        try (Arena arena = Arena.ofConfined();
                ConvPlan plan = Conv2d.plan(engine(), spec, Tensor.allocate(arena, DType.FLOAT32, spec.weightShape()),
                        null)) {
            String f = "F(" + tile() + "x" + tile() + ",3x3), float32 x";
            assertTrue(plan.implementation().startsWith(f), plan.implementation());
            assertTrue(plan.implementation().contains(" tiles per block"), plan.implementation());
        }
    }
}
