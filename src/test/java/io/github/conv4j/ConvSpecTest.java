package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Shape derivation, pad resolution, and every invalid field with its exception type and message. */
class ConvSpecTest {

    private static ConvSpec.Builder base() {
        return ConvSpec.builder().input(1, 8, 8, 4).kernel(3, 3, 6);
    }

    private static void rejects(String message, Supplier<ConvSpec.Builder> spec) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec.get().build());
        assertEquals(message, e.getMessage());
    }

    // ---- derivation -------------------------------------------------------------------------------------

    @ParameterizedTest(name = "in={0} k={1} s={2} d={3} {4}: out={5} pads={6},{7}")
    @CsvSource({
        // in, k, s, d, padding, out, before, after
        "5, 3, 1, 1, VALID, 3, 0, 0",
        "8, 3, 2, 1, VALID, 3, 0, 0",            // floor((8-3)/2)+1: the last column is dropped
        "8, 3, 2, 1, SAME, 4, 0, 1",             // ceil(8/2); total pad 1 goes after
        "8, 3, 2, 1, SAME_LOWER, 4, 1, 0",       // the same pad goes before
        "6, 3, 1, 1, SAME, 6, 1, 1",
        "5, 2, 1, 1, SAME, 5, 0, 1",
        "11, 5, 3, 1, SAME, 4, 1, 2",            // total (4-1)*3 + 5 - 11 = 3: the odd row goes after
        "9, 3, 1, 2, VALID, 5, 0, 0",            // effective kernel (3-1)*2+1 = 5
        "10, 3, 1, 3, SAME, 10, 3, 3",           // effective kernel 7, total 6
        "1, 1, 4, 1, SAME, 1, 0, 0",
    })
    void derivesOutputAndPads(int in, int k, int s, int d, String padding, int out, int before, int after) {
        ConvSpec spec = ConvSpec.builder().input(1, in, in, 1).kernel(k, k, 1).stride(s).dilation(d)
                .padding(Padding.parse(padding)).build();
        assertEquals(out, spec.oh());
        assertEquals(out, spec.ow());
        assertEquals(before, spec.padTop());
        assertEquals(after, spec.padBottom());
        assertEquals(before, spec.padLeft());
        assertEquals(after, spec.padRight());
    }

    @Test
    void explicitAsymmetricPadsAndPerAxisStride() {
        ConvSpec spec = ConvSpec.builder().input(2, 6, 7, 3).kernel(3, 3, 4).stride(2, 1)
                .padding(Padding.explicit(1, 2, 0, 3)).build();
        assertEquals(1, spec.padTop());
        assertEquals(3, spec.padRight());
        assertEquals((6 + 3 - 3) / 2 + 1, spec.oh());
        assertEquals(7 + 3 - 3 + 1, spec.ow());
        assertArrayEquals(new long[] {2, 4, 8, 4}, spec.outputShape());
    }

    @Test
    void shapesInBothLayouts() {
        ConvSpec nhwc = ConvSpec.builder().input(2, 5, 7, 6).kernel(3, 1, 4).groups(2).build();
        assertArrayEquals(new long[] {2, 5, 7, 6}, nhwc.inputShape());
        assertArrayEquals(new long[] {3, 1, 3, 4}, nhwc.weightShape());
        assertArrayEquals(new long[] {2, 3, 7, 4}, nhwc.outputShape());
        ConvSpec nchw = nhwc.toBuilder().layout(Layout.NCHW).build();
        assertArrayEquals(new long[] {2, 6, 5, 7}, nchw.inputShape());
        assertArrayEquals(new long[] {4, 3, 3, 1}, nchw.weightShape());
        assertArrayEquals(new long[] {2, 4, 3, 7}, nchw.outputShape());
        assertEquals(2.0 * 2 * 3 * 7 * 4 * 3 * 1 * 3, nchw.flops());
    }

    @Test
    void shapesFromFilesAgreeOnChannels() {
        ConvSpec s = ConvSpec.builder().layout(Layout.NCHW).groups(3)
                .shapes(new long[] {2, 3, 6, 6}, new long[] {6, 1, 3, 3}).build();
        assertTrue(s.isDepthwise());
        assertEquals(6, s.oc());
        assertEquals(2, s.ocPerGroup());
    }

    @Test
    void toleranceGrowsWithTheReductionAndTheReference() {
        // float32: 1e-5 * sqrt(kh * kw * ic / groups) * (1 + |y|), here sqrt(3 * 3 * 8 / 2) = 6
        ConvSpec f32 = ConvSpec.builder().input(1, 5, 5, 8).kernel(3, 3, 4).groups(2).build();
        assertEquals(6e-5 * 3, f32.tolerance(-2), 1e-18);
        assertEquals(6e-5, f32.tolerance(0), 1e-18);
        // float64: 1e-12 * (1 + |y|), whatever the reduction length
        ConvSpec f64 = f32.toBuilder().dtype(DType.FLOAT64).build();
        assertEquals(1e-12 * 3, f64.tolerance(2), 1e-27);
    }

    @Test
    void accuracyIsExactByDefaultAndFastAllowsTenTimesTheBound() {
        ConvSpec exact = ConvSpec.builder().input(1, 5, 5, 8).kernel(3, 3, 4).groups(2).build();
        assertEquals(Accuracy.EXACT, exact.accuracy());
        ConvSpec fast = exact.toBuilder().accuracy(Accuracy.FAST).build();
        assertEquals(Accuracy.FAST, fast.accuracy());
        assertEquals(10 * 6e-5 * 3, fast.tolerance(-2), 1e-17);
        assertEquals(10 * 1e-12 * 3, fast.toBuilder().dtype(DType.FLOAT64).build().tolerance(2), 1e-26);
        // a different level is a different spec, named in its description; EXACT adds nothing to the old text
        assertNotEquals(exact, fast);
        assertEquals(exact.toString().replace(" -> y=", " accuracy=fast -> y="), fast.toString());
        assertFalse(exact.toString().contains("accuracy"), exact.toString());
        // bfloat16 (u = 2^-8), K = 3 * 3 * 4 = 36: tensors add one bfloat16 ulp, 2u; the BF16 level (2u + u^2) sqrt(K)
        ConvSpec bf16 = exact.toBuilder().dtype(DType.BFLOAT16).build();
        assertEquals((6e-5 + 0x1p-7) * 3, bf16.tolerance(2), 1e-17);
        assertEquals((6e-5 + (0x1p-7 + 0x1p-16) * 6) * 3, exact.toBuilder().accuracy(Accuracy.BF16).build()
                .tolerance(-2), 1e-17);
        assertEquals((6e-5 + 0x1p-7 + (0x1p-7 + 0x1p-16) * 6) * 3, bf16.toBuilder().accuracy(Accuracy.BF16).build()
                .tolerance(2), 1e-17);
        assertEquals(Accuracy.BF16, Accuracy.parse("BF16"));
        assertEquals("bf16", Accuracy.BF16.toString());
        assertEquals(DType.BFLOAT16, DType.parse("bf16"));
        assertEquals(DType.BFLOAT16, DType.parse("BFloat16"));
        assertEquals("bfloat16", DType.BFLOAT16.toString());
        assertEquals(2, DType.BFLOAT16.byteSize());
        assertEquals("<V2", DType.BFLOAT16.npyDescr());
        assertEquals(Accuracy.FAST, Accuracy.parse("FAST"));
        assertEquals(Accuracy.EXACT, Accuracy.parse("exact"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Accuracy.parse("half"));
        assertEquals("unknown accuracy: half (exact, fast or bf16)", e.getMessage());
        NullPointerException n = assertThrows(NullPointerException.class,
                () -> exact.toBuilder().accuracy(null).build());
        assertEquals("accuracy", n.getMessage());
    }

    @Test
    void equalSpecsAreEqual() {
        assertEquals(base().build(), base().build());
        assertEquals(base().build().hashCode(), base().build().hashCode());
    }

    // ---- the given fields: toBuilder and equality ----------------------------------------------------------

    /** One field a caller gives: its name, its value in {@link #every()}, its accessor, and a valid other value. */
    private record Field(String name, Object value, Function<ConvSpec, Object> get,
            UnaryOperator<ConvSpec.Builder> change) {
    }

    /**
     * Every given field set away from its builder default, so a field toBuilder failed to copy would show; int8, as
     * the quantization is given only with an int8 or uint8 dtype.
     */
    private static ConvSpec.Builder every() {
        return ConvSpec.builder().layout(Layout.NCHW).dtype(DType.INT8).padding(Padding.explicit(1, 2, 3, 0))
                .input(2, 9, 11, 6).kernel(3, 2, 9).stride(2, 3).dilation(2, 3).groups(3).bias(true).relu(true)
                .accuracy(Accuracy.FAST).quantization(Q);
    }

    private static final Quantization Q = Quantization.perTensor(0.5f, 5, 0.25f, DType.UINT8, 2f, 7);

    private static final List<Field> GIVEN = List.of(
            new Field("layout", Layout.NCHW, ConvSpec::layout, b -> b.layout(Layout.NHWC)),
            new Field("dtype", DType.INT8, ConvSpec::dtype, b -> b.dtype(DType.UINT8)),
            new Field("padding", Padding.explicit(1, 2, 3, 0), ConvSpec::padding,
                    b -> b.padding(Padding.explicit(2, 1, 3, 0))),
            new Field("mb", 2, ConvSpec::mb, b -> b.input(3, 9, 11, 6)),
            new Field("ih", 9, ConvSpec::ih, b -> b.input(2, 10, 11, 6)),
            new Field("iw", 11, ConvSpec::iw, b -> b.input(2, 9, 12, 6)),
            new Field("ic", 6, ConvSpec::ic, b -> b.input(2, 9, 11, 9)),
            new Field("oc", 9, ConvSpec::oc, b -> b.kernel(3, 2, 6)),
            new Field("kh", 3, ConvSpec::kh, b -> b.kernel(2, 2, 9)),
            new Field("kw", 2, ConvSpec::kw, b -> b.kernel(3, 3, 9)),
            new Field("sh", 2, ConvSpec::sh, b -> b.stride(1, 3)),
            new Field("sw", 3, ConvSpec::sw, b -> b.stride(2, 2)),
            new Field("dh", 2, ConvSpec::dh, b -> b.dilation(1, 3)),
            new Field("dw", 3, ConvSpec::dw, b -> b.dilation(2, 2)),
            new Field("groups", 3, ConvSpec::groups, b -> b.groups(1)),
            new Field("bias", true, ConvSpec::hasBias, b -> b.bias(false)),
            new Field("relu", true, ConvSpec::relu, b -> b.relu(false)),
            new Field("accuracy", Accuracy.FAST, ConvSpec::accuracy, b -> b.accuracy(Accuracy.EXACT)),
            new Field("quantization", Q, ConvSpec::quantization,
                    b -> b.quantization(Quantization.perTensor(0.5f, 5, 0.25f, DType.UINT8, 2f, 8))));

    @Test
    void theTableNamesEveryGivenField() {
        // ConvSpec keeps what a caller gives in its one nested record; a component added there needs a row here
        Class<?> held = Arrays.stream(ConvSpec.class.getDeclaredClasses()).filter(Class::isRecord)
                .findFirst().orElseThrow();
        List<String> components = Arrays.stream(held.getRecordComponents()).map(RecordComponent::getName).toList();
        assertEquals(components, GIVEN.stream().map(Field::name).toList());
    }

    @Test
    void toBuilderKeepsEveryGivenField() {
        ConvSpec spec = every().build();
        ConvSpec copy = spec.toBuilder().build();
        for (Field f : GIVEN) {
            assertEquals(f.value(), f.get().apply(spec), f.name() + " as built");
            assertEquals(f.value(), f.get().apply(copy), f.name() + " after toBuilder");
        }
        assertEquals(spec, copy);
        assertEquals(spec.hashCode(), copy.hashCode());
        assertEquals(spec.toString(), copy.toString());
    }

    @Test
    void changingAnyOneGivenFieldMakesSpecsUnequal() {
        ConvSpec spec = every().build();
        for (Field f : GIVEN) {
            ConvSpec other = f.change().apply(every()).build();
            // the change touches this field and no other, so inequality can come only from this field
            for (Field g : GIVEN) {
                if (g == f) {
                    assertNotEquals(g.get().apply(spec), g.get().apply(other), f.name() + " changed");
                } else {
                    assertEquals(g.get().apply(spec), g.get().apply(other),
                            g.name() + " kept when changing " + f.name());
                }
            }
            assertNotEquals(spec, other, f.name() + " differs: " + spec + " vs " + other);
            assertNotEquals(other, spec, f.name() + " differs, compared the other way");
        }
    }

    // ---- the bad-input matrix ---------------------------------------------------------------------------

    @Test
    void strideBelowOne() {
        rejects("stride must be >= 1: sh=0, sw=1", () -> base().stride(0, 1));
        rejects("stride must be >= 1: sh=2, sw=-1", () -> base().stride(2, -1));
    }

    @Test
    void dilationBelowOne() {
        rejects("dilation must be >= 1 (1 = none): dh=0, dw=0", () -> base().dilation(0));
    }

    @Test
    void groupsBelowOne() {
        rejects("groups must be >= 1: groups=0", () -> base().groups(0));
        rejects("groups must be >= 1: groups=-2", () -> base().groups(-2));
    }

    @Test
    void groupsNotDividingChannels() {
        rejects("groups must divide input channels: ic=4, groups=3", () -> base().groups(3));
        rejects("groups must divide output channels: oc=6, groups=4", () -> base().groups(4));
    }

    @Test
    void sizesBelowOne() {
        rejects("mb must be >= 1: mb=0", () -> base().input(0, 8, 8, 4));
        rejects("ih must be >= 1: ih=-1", () -> base().input(1, -1, 8, 4));
        rejects("iw must be >= 1: iw=0", () -> base().input(1, 8, 0, 4));
        rejects("ic must be >= 1: ic=0", () -> base().input(1, 8, 8, 0));
        rejects("oc must be >= 1: oc=0", () -> base().kernel(3, 3, 0));
        rejects("kh must be >= 1: kh=0", () -> base().kernel(0, 3, 6));
        rejects("kw must be >= 1: kw=0", () -> base().kernel(3, 0, 6));
    }

    @Test
    void channelMismatchBetweenInputAndWeights() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder()
                .shapes(new long[] {1, 5, 5, 3}, new long[] {3, 3, 4, 8}));
        assertEquals("input channels differ: x ic=3, w ic=4 (NHWC x [1, 5, 5, 3], HWIO w [3, 3, 4, 8])",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder().layout(Layout.NCHW).groups(2)
                .shapes(new long[] {1, 6, 5, 5}, new long[] {8, 2, 3, 3}));
        assertEquals("input channels differ: x ic=6, w ic=2 per group x groups=2 = 4 "
                + "(NCHW x [1, 6, 5, 5], OIHW w [8, 2, 3, 3])", e.getMessage());
    }

    @Test
    void shapesOfWrongRankOrSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder()
                .shapes(new long[] {5, 5, 3}, new long[] {3, 3, 3, 8}));
        assertEquals("x must be 4-D: x shape [5, 5, 3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvSpec.builder()
                .shapes(new long[] {1, 5, 5, 3}, new long[] {3, 3, 3, 1L << 40}));
        assertEquals("w dimension 3 must be in 1..2147483647: w shape [3, 3, 3, 1099511627776]", e.getMessage());
    }

    @Test
    void effectiveKernelLargerThanPaddedInput() {
        rejects("output height < 1: ih=2 + pads 0+0 < effective kernel 3",
                () -> base().input(1, 2, 8, 4));
        rejects("output width < 1: iw=4 + pads 1+0 < effective kernel 7",
                () -> base().input(1, 8, 4, 4).dilation(1, 3).padding(Padding.explicit(0, 0, 1, 0)));
    }

    @Test
    void negativePads() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Padding.explicit(0, -1, 0, 0));
        assertEquals("pads must be >= 0: top=0, bottom=-1, left=0, right=0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Padding.parse("1,2,3"));
        assertEquals("padding must be VALID, SAME, SAME_LOWER or T,B,L,R: 1,2,3", e.getMessage());
    }

    @Test
    void elementCountOverflow() {
        rejects("input size overflows a long: 2147483647x2147483647x2147483647x4 float32 elements",
                () -> base().input(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 4).kernel(1, 1, 4));
        rejects("output size overflows a long: 1x65536x65536x2147483647 float64 elements",
                () -> ConvSpec.builder().dtype(DType.FLOAT64).input(1, 65536, 65536, 1)
                        .kernel(1, 1, Integer.MAX_VALUE));
    }

    @Test
    void unknownNames() {
        assertEquals("unknown layout: NWHC (NHWC or NCHW)",
                assertThrows(IllegalArgumentException.class, () -> Layout.parse("NWHC")).getMessage());
        assertEquals("unknown dtype: int4 (float32, float64, int8, uint8, int32 or bfloat16)",
                assertThrows(IllegalArgumentException.class, () -> DType.parse("int4")).getMessage());
        assertEquals(DType.INT8, DType.parse("S8"));
        assertEquals(DType.UINT8, DType.parse("uint8"));
        assertEquals(DType.INT32, DType.parse("i32"));
    }
}
