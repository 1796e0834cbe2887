package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Golden;
import io.github.conv4j.testing.QuantizedProblem;
import io.github.conv4j.testing.RandomSpecs;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Int8/uint8 convolution (ONNX QLinearConv): naive's reference against hand-computed answers, onednn against
 * naive on the golden geometries and on fuzzed ones, the parameters' validation, and the engines that decline.
 */
class QuantizedConvTest {
    private static final String ONEDNN = "onednn";

    // ---- naive against hand-computed answers ------------------------------------------------------------

    /** A 1 x ih x iw x ic NHWC spec with kernel kh x kw and the given quantization. */
    private static ConvSpec spec(DType in, int iw, int ic, int kw, int oc, Quantization q) {
        return ConvSpec.builder().dtype(in).quantization(q).input(1, 1, iw, ic).kernel(1, kw, oc).build();
    }

    private static Tensor bytes(Arena arena, DType t, long[] shape, int... v) {
        Tensor x = Tensor.allocate(arena, t, shape);
        for (int i = 0; i < v.length; i++) {
            Tensors.set(x, i, v[i]);
        }
        return x;
    }

    private static Tensor ints(Arena arena, int... v) {
        return bytes(arena, DType.INT32, new long[] {v.length}, v);
    }

    private static double[] naive(ConvSpec spec, Tensor x, Tensor w, Tensor b) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor y = Tensor.allocate(arena, spec.outputDType(), spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, y);
            double[] out = new double[(int) y.elementCount()];
            for (int i = 0; i < out.length; i++) {
                out[i] = y.getDouble(i);
            }
            return out;
        }
    }

    @Test
    void zeroPointShiftsInputAndScalesRoundToNearest() {
        // x - 10 = [0, 10, 20]; w = [2, -3]; acc = [-30, -40]; real = acc * 0.5 * 0.25 = [-3.75, -5]
        Quantization q = Quantization.perTensor(0.5f, 10, 0.25f, DType.INT8, 1f, 0);
        ConvSpec s = spec(DType.UINT8, 3, 1, 2, 1, q);
        try (Arena a = Arena.ofConfined()) {
            Tensor x = bytes(a, DType.UINT8, s.inputShape(), 10, 20, 30);
            Tensor w = bytes(a, DType.INT8, s.weightShape(), 2, -3);
            assertArrayEquals(new double[] {-4, -5}, naive(s, x, w, null));
            assertArrayEquals(new double[] {0, 0}, naive(s.toBuilder().relu(true).build(), x, w, null));
            ConvSpec f = s.toBuilder().quantization(Quantization.toFloat(0.5f, 10, 0.25f)).build();
            assertArrayEquals(new double[] {-3.75, -5}, naive(f, x, w, null));
        }
    }

    @Test
    void tiesRoundToEven() {
        // real / outputScale = 2.5, 3.5, -2.5, 0.5 -> 2, 4, -2, 0
        Quantization q = Quantization.perTensor(0.5f, 0, 1f, DType.INT8, 1f, 0);
        ConvSpec s = spec(DType.INT8, 4, 1, 1, 1, q);
        try (Arena a = Arena.ofConfined()) {
            Tensor x = bytes(a, DType.INT8, s.inputShape(), 5, 7, -5, 1);
            Tensor w = bytes(a, DType.INT8, s.weightShape(), 1);
            assertArrayEquals(new double[] {2, 4, -2, 0}, naive(s, x, w, null));
        }
    }

    @Test
    void outputsSaturate() {
        // 127 * 127 = 16129 and -128 * 127 = -16256 saturate to 127 and -128 (int8) or 255 and 0 (uint8)
        ConvSpec s = spec(DType.INT8, 3, 1, 1, 1, Quantization.perTensor(1f, 0, 1f, DType.INT8, 1f, 0));
        ConvSpec u = spec(DType.INT8, 3, 1, 1, 1, Quantization.perTensor(1f, 0, 1f, DType.UINT8, 1f, 0));
        try (Arena a = Arena.ofConfined()) {
            Tensor x = bytes(a, DType.INT8, s.inputShape(), 127, -128, 1);
            Tensor w = bytes(a, DType.INT8, s.weightShape(), 127);
            assertArrayEquals(new double[] {127, -128, 127}, naive(s, x, w, null));
            assertArrayEquals(new double[] {255, 0, 127}, naive(u, x, w, null));
        }
    }

    @Test
    void perChannelScalesZeroPointsAndBias() {
        // x - 1 = 2; w - wzp = [5 - 1, -4 + 2] = [4, -2]; acc = [8, -4]; + bias [2, 1] = [10, -3];
        // real = [10 * 0.5, -3 * 2] = [5, -6]; / 2 = [2.5, -3] -> [2, -3]; + 10 = [12, 7]
        Quantization q = new Quantization(1f, 1, new float[] {0.5f, 2f}, new int[] {1, -2}, DType.INT8, 2f, 10);
        ConvSpec s = spec(DType.UINT8, 1, 1, 1, 2, q).toBuilder().bias(true).build();
        try (Arena a = Arena.ofConfined()) {
            Tensor x = bytes(a, DType.UINT8, s.inputShape(), 3);
            Tensor w = bytes(a, DType.INT8, s.weightShape(), 5, -4);
            assertArrayEquals(new double[] {12, 7}, naive(s, x, w, ints(a, 2, 1)));
            // without bias: real = [8 * 0.5, -4 * 2] = [4, -8]; / 2 = [2, -4]; + 10 = [12, 6]
            assertArrayEquals(new double[] {12, 6}, naive(s.toBuilder().bias(false).build(), x, w, null));
        }
    }

    @Test
    void paddingHoldsTheInputZeroPoint() {
        // one pixel 201 with zero point 200 under a 3x3 kernel of ones, SAME: only the centre tap sees input;
        // padding read as raw 0 would add 8 * (0 - 200)
        ConvSpec s = ConvSpec.builder().dtype(DType.UINT8).quantization(Quantization.toFloat(1f, 200, 1f))
                .input(1, 1, 1, 1).kernel(3, 3, 1).padding(Padding.SAME).build();
        try (Arena a = Arena.ofConfined()) {
            Tensor x = bytes(a, DType.UINT8, s.inputShape(), 201);
            Tensor w = bytes(a, DType.INT8, s.weightShape(), 1, 1, 1, 1, 1, 1, 1, 1, 1);
            assertArrayEquals(new double[] {1}, naive(s, x, w, null));
        }
    }

    @Test
    void int32OverflowOfTheAccumulatorIsAnError() {
        // acc = 1 * 1 = 1, bias = 2^31 - 1: the sum leaves int32
        ConvSpec s = spec(DType.INT8, 1, 1, 1, 1, Quantization.toFloat(1f, 0, 1f)).toBuilder().bias(true).build();
        try (Arena a = Arena.ofConfined()) {
            Tensor x = bytes(a, DType.INT8, s.inputShape(), 1);
            Tensor w = bytes(a, DType.INT8, s.weightShape(), 1);
            ArithmeticException e = assertThrows(ArithmeticException.class,
                    () -> naive(s, x, w, ints(a, Integer.MAX_VALUE)));
            assertTrue(e.getMessage().startsWith("int32 accumulator overflows at output n=0, oh=0, ow=0, oc=0:"
                    + " acc + bias = 2147483648"), e.getMessage());
            assertArrayEquals(new double[] {(float) Integer.MAX_VALUE}, naive(s, x, bytes(a, DType.INT8, s.weightShape(), 0),
                    ints(a, Integer.MAX_VALUE)));
        }
    }

    // ---- onednn against naive ---------------------------------------------------------------------------

    private static void requireOneDnn() {
        Optional<String> why = Conv2d.whyNot(ONEDNN, spec(DType.UINT8, 3, 1, 1, 1,
                Quantization.perTensor(1f, 1, 1f, DType.INT8, 1f, 0)));
        assumeTrue(why.isEmpty(), () -> "onednn cannot run int8 here: " + why.orElse(""));
    }

    /**
     * The golden geometries, their float inputs quantised: x to uint8 with scale {@code max|x| / 127} and zero
     * point 128, w to int8 per output channel with scale {@code max|w[., o]| / 127} (1 for an all-zero channel),
     * both rounding half to even; then onednn against naive with float32 and int8 output.
     */
    @TestFactory
    List<DynamicTest> goldenGeometriesQuantised() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Golden.Case c : Golden.cases()) {
            for (DType out : List.of(DType.FLOAT32, DType.INT8)) {
                tests.add(DynamicTest.dynamicTest(c.name() + " -> " + out, () -> golden(c, out)));
            }
        }
        return tests;
    }

    private static void golden(Golden.Case c, DType out) {
        requireOneDnn();
        try (Arena arena = Arena.ofConfined()) {
            Tensor xf = c.load("x.npy", arena), wf = c.load("w.npy", arena);
            ConvSpec shape = c.spec(Layout.NHWC, xf, wf).toBuilder().dtype(DType.FLOAT32).build();
            float xs = (float) (maxAbs(xf, 0, 1) / 127);
            Tensor x = Tensor.allocate(arena, DType.UINT8, xf.shape());
            for (long i = 0; i < x.elementCount(); i++) {
                Tensors.set(x, i, Math.max(0, Math.min(255, Math.rint(xf.getDouble(i) / xs) + 128)));
            }
            int oc = shape.oc();
            float[] ws = new float[oc];
            for (int o = 0; o < oc; o++) {
                double m = maxAbs(wf, o, oc);
                ws[o] = m == 0 ? 1f : (float) (m / 127);
            }
            Tensor w = Tensor.allocate(arena, DType.INT8, wf.shape());
            for (long i = 0; i < w.elementCount(); i++) {
                Tensors.set(w, i, Math.rint(wf.getDouble(i) / ws[(int) (i % oc)]));   // HWIO: o is innermost
            }
            ConvSpec real = shape.toBuilder().dtype(DType.UINT8).quantization(Quantization.toFloat(xs, 128, ws)).build();
            ConvSpec spec = real;
            if (out == DType.INT8) {
                double[] reals = naive(real, x, w, null);
                double m = 0;
                for (double r : reals) {
                    m = Math.max(m, Math.abs(r));
                }
                spec = real.toBuilder().quantization(Quantization.perChannel(xs, 128, ws, DType.INT8,
                        (float) (Math.max(m, 1e-3) / 100), 0)).build();
            }
            Optional<String> no = Conv2d.whyNot(ONEDNN, spec);
            // the one quantized geometry onednn declines: oneDNN 3.11's crash (an output column blind right of
            // the input), which padding wider than the kernel's reach makes
            no.ifPresent(why -> assertTrue(why.contains("issue 5942"), why));
            assumeTrue(no.isEmpty(), () -> "onednn declines " + c.name() + ": " + no.orElse(""));
            Tensor want = Tensor.allocate(arena, spec.outputDType(), spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, null, want);
            AgainstNaive.checkQuantized(ONEDNN, new QuantizedProblem(spec, x, w, null, want), 0);
        }
    }

    /** The largest magnitude among elements {@code first, first + step, ...}. */
    private static double maxAbs(Tensor t, long first, long step) {
        double m = 0;
        for (long i = first; i < t.elementCount(); i += step) {
            m = Math.max(m, Math.abs(t.getDouble(i)));
        }
        return m;
    }

    /**
     * Random geometries (both layouts, strides, dilations, pads, groups, depthwise, batch, bias, ReLU) with u8 and
     * s8 activations, per-tensor and per-channel scales, int8/uint8/float32 output; bit-exact with power-of-two
     * scales, within one unit otherwise. Prints how many elements differ by one.
     */
    @Test
    void fuzzAgainstNaive() {
        requireOneDnn();
        DType[] outs = {DType.INT8, DType.UINT8, DType.FLOAT32};
        long differ = 0, elements = 0, intElements = 0;
        int specs = 0;
        java.util.TreeSet<String> impls = new java.util.TreeSet<>();
        for (long seed = 0; seed < 240; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed * 7919 + 1);
            ConvSpec shape = RandomSpecs.next(seed, 9, 6).toBuilder().dtype(DType.FLOAT32).build();
            DType in = seed % 2 == 0 ? DType.UINT8 : DType.INT8;
            DType out = outs[(int) (seed / 2 % 3)];
            boolean perChannel = seed / 6 % 2 == 0, powerOfTwo = seed / 12 % 2 == 0;
            try (Arena arena = Arena.ofConfined()) {
                QuantizedProblem p = QuantizedProblem.draw(arena, shape, in, out, perChannel, powerOfTwo, rnd);
                Optional<String> no = Conv2d.whyNot(ONEDNN, p.spec());
                if (no.isPresent()) {
                    assertTrue(no.get().contains("issue 5942"), no.get());   // the only int8 geometry declined
                    continue;
                }
                long d = AgainstNaive.checkQuantized(ONEDNN, p, seed);
                try (ConvPlan plan = Conv2d.plan(ONEDNN, p.spec(), p.w(), p.b())) {
                    impls.add(plan.implementation());
                }
                specs++;
                elements += p.spec().outputElements();
                if (out != DType.FLOAT32) {
                    differ += d;
                    intElements += p.spec().outputElements();
                }
            }
        }
        System.out.println("int8 fuzz: " + specs + " specs, " + elements + " outputs; int8/uint8 outputs one unit"
                + " from naive: " + differ + " of " + intElements + "; implementations " + impls);
        assertTrue(specs > 200, "too few specs ran: " + specs);
    }

    @Test
    void onednnDeclinesWeightZeroPointsAndNaiveComputesThem() {
        requireOneDnn();
        Quantization q = new Quantization(1f, 1, new float[] {1f}, new int[] {3}, DType.INT8, 1f, 0);
        ConvSpec s = spec(DType.UINT8, 3, 1, 1, 1, q);
        assertEquals(Optional.of("engine onednn declines " + s + ": nonzero weight zero points: oneDNN 3.11's CPU"
                + " convolution accepts zero points for src and dst only (primitive creation returns"
                + " dnnl_unimplemented)"), Conv2d.whyNot(ONEDNN, s));
        try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, s, weightsOf(s), null)) {
            assertEquals(Conv2d.NAIVE, p.engine());
        }
    }

    private static Tensor weightsOf(ConvSpec s) {
        return Tensor.allocate(Arena.ofAuto(), s.weightDType(), s.weightShape());
    }

    @Test
    void autoPicksOnednn() {
        requireOneDnn();
        ConvSpec s = spec(DType.UINT8, 5, 4, 3, 8, Quantization.perTensor(0.1f, 3, 0.1f, DType.INT8, 1f, 0));
        try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, s, weightsOf(s), null)) {
            assertEquals(ONEDNN, p.engine());
            System.out.println("onednn int8 implementation: " + p.implementation());
            assertTrue(!p.implementation().isEmpty());
        }
    }

    /** The output is written exactly where it belongs: bytes around it stay as they were. */
    @Test
    void guardBytesAroundTheOutputStayUntouched() {
        ConvSpec shape = ConvSpec.builder().input(2, 5, 6, 3).kernel(3, 3, 5).padding(Padding.SAME).bias(true).build();
        for (String engine : List.of(Conv2d.NAIVE, ONEDNN)) {
            if (Conv2d.whyNot(engine, spec(DType.UINT8, 3, 1, 1, 1,
                    Quantization.perTensor(1f, 1, 1f, DType.INT8, 1f, 0))).isPresent()) {
                continue;
            }
            for (DType out : List.of(DType.INT8, DType.UINT8, DType.FLOAT32)) {
                try (Arena arena = Arena.ofConfined()) {
                    QuantizedProblem p = QuantizedProblem.draw(arena, shape, DType.UINT8, out, true, false,
                            new SplittableRandom(5));
                    ConvSpec s = p.spec();
                    long bytes = s.outputElements() * out.byteSize(), guard = 64;
                    MemorySegment all = arena.allocate(bytes + 2 * guard, 64);
                    all.fill((byte) 0x77);
                    Tensor y = new Tensor(all.asSlice(guard, bytes), out, s.outputShape());
                    try (ConvPlan plan = Conv2d.plan(engine, s, p.w(), p.b())) {
                        plan.forward(p.x(), y);
                    }
                    for (long i = 0; i < guard; i++) {
                        assertEquals(0x77, all.get(ValueLayout.JAVA_BYTE, i), engine + " " + out + " before, byte " + i);
                        assertEquals(0x77, all.get(ValueLayout.JAVA_BYTE, guard + bytes + i),
                                engine + " " + out + " after, byte " + i);
                    }
                    for (long i = 0; i < s.outputElements(); i++) {
                        assertEquals(p.want().getDouble(i), y.getDouble(i), s.tolerance(p.want().getDouble(i)),
                                engine + " " + out + " at " + i);
                    }
                }
            }
        }
    }

    /**
     * A plan for three images computes one or two (a new primitive for that batch) and writes only those, on native
     * and on Java-heap segments.
     */
    @Test
    void shortBatchesComputeTheirImagesOnly() {
        requireOneDnn();
        ConvSpec shape = ConvSpec.builder().layout(Layout.NCHW).input(3, 7, 6, 4).kernel(3, 3, 8).padding(Padding.SAME)
                .bias(true).relu(true).build();
        try (Arena arena = Arena.ofConfined()) {
            QuantizedProblem p = QuantizedProblem.draw(arena, shape, DType.INT8, DType.UINT8, true, true,
                    new SplittableRandom(11));
            ConvSpec s = p.spec();
            long image = s.outputElements() / s.mb();
            try (ConvPlan plan = Conv2d.plan(ONEDNN, s, p.w(), p.b())) {
                // native segments, then Java-heap ones (staged through native copies)
                MemorySegment heapX = MemorySegment.ofArray(new byte[(int) s.inputElements()]).copyFrom(p.x().data());
                for (int call = 0; call < 6; call++) {
                    int batch = new int[] {1, 2, 3, 1, 3, 2}[call];
                    boolean heap = call >= 4;
                    MemorySegment y = (heap ? MemorySegment.ofArray(new byte[(int) s.outputElements()])
                            : arena.allocate(s.outputElements(), 64)).fill((byte) 0x77);
                    plan.forward(heap ? heapX : p.x().data(), y, batch);
                    for (long i = 0; i < s.outputElements(); i++) {
                        double want = i < batch * image ? p.want().getDouble(i) : 0x77;
                        assertEquals(want, Byte.toUnsignedInt(y.get(ValueLayout.JAVA_BYTE, i)),
                                "batch " + batch + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void everyOtherEngineDeclinesNamingTheDType() {
        ConvSpec u8 = spec(DType.UINT8, 3, 1, 1, 1, Quantization.perTensor(1f, 1, 1f, DType.INT8, 1f, 0));
        ConvSpec s8 = u8.toBuilder().dtype(DType.INT8).build();
        int checked = 0;
        for (ConvEngine e : Engines.available()) {
            if (e.name().equals(Conv2d.NAIVE) || e.name().equals(ONEDNN)) {
                continue;
            }
            for (ConvSpec s : List.of(u8, s8)) {
                Optional<String> no = e.declines(s);
                assertTrue(no.isPresent() && no.get().startsWith(s.dtype() + ":"), e.name() + ": " + no);
                UnsupportedOperationException x = assertThrows(UnsupportedOperationException.class,
                        () -> Conv2d.plan(e.name(), s, weightsOf(s), null));
                assertTrue(x.getMessage().contains("declines"), x.getMessage());
            }
            checked++;
        }
        assertTrue(checked >= 3, "engines checked: " + checked);
    }

    // ---- parameters --------------------------------------------------------------------------------------

    private static void refused(String message, Runnable r) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, r::run).getMessage());
    }

    @Test
    void badParametersAreRefusedNamingFieldAndValue() {
        refused("inputScale must be finite and > 0: inputScale=0.0",
                () -> Quantization.perTensor(0f, 0, 1f, DType.INT8, 1f, 0));
        refused("inputScale must be finite and > 0: inputScale=NaN",
                () -> Quantization.perTensor(Float.NaN, 0, 1f, DType.INT8, 1f, 0));
        refused("weightScales[1] must be finite and > 0: weightScales[1]=-2.0",
                () -> Quantization.perChannel(1f, 0, new float[] {1f, -2f}, DType.INT8, 1f, 0));
        refused("outputScale must be finite and > 0: outputScale=Infinity",
                () -> Quantization.perTensor(1f, 0, 1f, DType.INT8, Float.POSITIVE_INFINITY, 0));
        refused("outputZeroPoint outside uint8 range 0..255: outputZeroPoint=-1",
                () -> Quantization.perTensor(1f, 0, 1f, DType.UINT8, 1f, -1));
        refused("outputZeroPoint outside int8 range -128..127: outputZeroPoint=128",
                () -> Quantization.perTensor(1f, 0, 1f, DType.INT8, 1f, 128));
        refused("weightZeroPoints[0] outside int8 range -128..127: weightZeroPoints[0]=200",
                () -> new Quantization(1f, 0, new float[] {1f}, new int[] {200}, DType.INT8, 1f, 0));
        refused("inputZeroPoint outside int8 and uint8 range: inputZeroPoint=300",
                () -> Quantization.perTensor(1f, 300, 1f, DType.INT8, 1f, 0));
        refused("output must be int8, uint8 or float32: output=int32",
                () -> Quantization.perTensor(1f, 0, 1f, DType.INT32, 1f, 0));
        refused("float32 output takes no output scale or zero point: outputScale=2.0, outputZeroPoint=0 (must be 1"
                + " and 0)", () -> Quantization.perTensor(1f, 0, 1f, DType.FLOAT32, 2f, 0));
        refused("weightScales is empty: give one scale or one per output channel",
                () -> Quantization.perChannel(1f, 0, new float[0], DType.INT8, 1f, 0));

        ConvSpec.Builder b = ConvSpec.builder().input(1, 3, 3, 2).kernel(1, 1, 3);
        refused("quantization is missing: dtype uint8 needs scales and zero points",
                () -> b.dtype(DType.UINT8).quantization(null).build());
        refused("quantization given for dtype float32: only int8 and uint8 activations take one",
                () -> b.dtype(DType.FLOAT32).quantization(Quantization.toFloat(1f, 0, 1f)).build());
        refused("inputZeroPoint outside int8 range -128..127: inputZeroPoint=200",
                () -> b.dtype(DType.INT8).quantization(Quantization.toFloat(1f, 200, 1f)).build());
        refused("weightScales length must be 1 or oc: length 2, oc=3",
                () -> b.dtype(DType.INT8).quantization(Quantization.toFloat(1f, 0, 1f, 2f)).build());
        refused("dtype int32 is a bias type, not an activation type: dtype=int32",
                () -> b.dtype(DType.INT32).quantization(null).build());
    }

    @Test
    void tensorsOfTheWrongTypeAreRefused() {
        ConvSpec s = spec(DType.UINT8, 3, 1, 1, 1, Quantization.perTensor(1f, 1, 1f, DType.INT8, 1f, 0))
                .toBuilder().bias(true).build();
        try (Arena a = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(a, DType.INT8, s.weightShape());
            refused("dtype differs: weights is uint8, spec is int8",
                    () -> Conv2d.plan(Conv2d.NAIVE, s, Tensor.allocate(a, DType.UINT8, s.weightShape()),
                            Tensor.allocate(a, DType.INT32, s.biasShape())));
            refused("dtype differs: bias is float32, spec is int32",
                    () -> Conv2d.plan(Conv2d.NAIVE, s, w, Tensor.allocate(a, DType.FLOAT32, s.biasShape())));
            try (ConvPlan p = Conv2d.plan(Conv2d.NAIVE, s, w, Tensor.allocate(a, DType.INT32, s.biasShape()))) {
                refused("dtype differs: y is uint8, spec is int8", () -> p.forward(
                        Tensor.allocate(a, DType.UINT8, s.inputShape()),
                        Tensor.allocate(a, DType.UINT8, s.outputShape())));
                refused("dtype differs: arrays are float32, spec is uint8", () -> p.forward(new float[3], new float[3]));
            }
        }
    }

    /** Equal values make equal specs; scale values do not reach the description, the structure does. */
    @Test
    void equalityHasTheValuesAndTheDescriptionTheStructure() {
        ConvSpec a = spec(DType.UINT8, 3, 1, 1, 2, Quantization.perTensor(0.5f, 1, 0.25f, DType.INT8, 1f, 0));
        ConvSpec same = spec(DType.UINT8, 3, 1, 1, 2, Quantization.perTensor(0.5f, 1, 0.25f, DType.INT8, 1f, 0));
        ConvSpec scaled = spec(DType.UINT8, 3, 1, 1, 2, Quantization.perTensor(0.7f, 2, 0.5f, DType.INT8, 3f, 4));
        ConvSpec perChannel = spec(DType.UINT8, 3, 1, 1, 2,
                Quantization.perChannel(0.5f, 1, new float[] {0.25f, 0.5f}, DType.INT8, 1f, 0));
        ConvSpec toFloat = spec(DType.UINT8, 3, 1, 1, 2, Quantization.toFloat(0.5f, 1, 0.25f));
        assertEquals(a, same);
        assertEquals(a.hashCode(), same.hashCode());
        assertNotEquals(a, scaled);
        assertEquals(a.toString(), scaled.toString());
        assertNotEquals(a.toString(), perChannel.toString());
        assertNotEquals(a.toString(), toFloat.toString());
        assertEquals(a, a.toBuilder().build());
        assertTrue(a.toString().contains("uint8 quantized(w scales per-tensor -> int8)"), a.toString());
        assertEquals(DType.INT8, a.weightDType());
        assertEquals(DType.INT32, a.biasDType());
        assertEquals(DType.FLOAT32, toFloat.outputDType());
        assertEquals(6, a.outputElements());
    }
}
