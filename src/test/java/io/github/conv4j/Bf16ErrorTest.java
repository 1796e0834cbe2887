package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Golden;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The error bfloat16 brings, measured against the bounds {@link ConvSpec#tolerance} derives (not fitted to them):
 * on ResNet-like layers (DESIGN's R1-R5 at batch 1, He-initialised weights, ReLU-like inputs) and on the golden
 * cases. Prints each worst error/bound ratio, as README quotes them, and fails if one reaches 1.
 */
class Bf16ErrorTest {
    /** name, h = w, ic, kernel side, oc: R1..R5 of the benchmark table, batch 1. */
    private static final Object[][] SHAPES = {
        {"R1", 56, 64, 3, 64}, {"R2", 56, 64, 1, 256}, {"R3", 28, 128, 3, 128}, {"R4", 14, 256, 3, 256},
        {"R5", 7, 512, 3, 512},
    };

    @Test
    void resnetLikeLayersStayWellWithinTheBounds() {
        Engines.require("onednn");
        double worst = 0;
        for (Object[] s : SHAPES) {
            int hw = (int) s[1], ic = (int) s[2], k = (int) s[3], oc = (int) s[4];
            ConvSpec f32 = ConvSpec.builder().input(1, hw, hw, ic).kernel(k, k, oc)
                    .padding(k == 3 ? Padding.explicit(1, 1, 1, 1) : Padding.VALID).build();
            ConvSpec level = f32.toBuilder().accuracy(Accuracy.BF16).build();
            ConvSpec bf16 = f32.toBuilder().dtype(DType.BFLOAT16).build();
            ConvSpec bf16AtLevel = bf16.toBuilder().accuracy(Accuracy.BF16).build();
            SplittableRandom rnd = new SplittableRandom(ic * 31L + k);
            try (Arena arena = Arena.ofConfined()) {
                // activations after a ReLU: half zeros, half |N(0, 1)|; He weights: N(0, 2 / (k * k * ic))
                Tensor x = Tensor.allocate(arena, DType.FLOAT32, f32.inputShape());
                for (long i = 0; i < x.elementCount(); i++) {
                    Tensors.set(x, i, Math.max(0, gaussian(rnd)));
                }
                Tensor w = Tensor.allocate(arena, DType.FLOAT32, f32.weightShape());
                double sd = Math.sqrt(2.0 / (k * k * ic));
                for (long i = 0; i < w.elementCount(); i++) {
                    Tensors.set(w, i, sd * gaussian(rnd));
                }
                Tensor xr = Tensors.convert(Tensors.convert(x, DType.BFLOAT16, arena), DType.FLOAT32, arena);
                Tensor wr = Tensors.convert(Tensors.convert(w, DType.BFLOAT16, arena), DType.FLOAT32, arena);
                Tensor xb = Tensors.convert(x, DType.BFLOAT16, arena), wb = Tensors.convert(w, DType.BFLOAT16, arena);

                Tensor ref = forward(Conv2d.NAIVE, f32, x, w, arena);
                // what the level allows an engine: x and w rounded to bfloat16, exact sums
                double model = ratio(level, ref, forward(Conv2d.NAIVE, f32, xr, wr, arena));
                double onednnLevel = ratio(level, ref, forward("onednn", level, x, w, arena));
                Tensor naiveBf16 = forward(Conv2d.NAIVE, bf16, xb, wb, arena);
                Tensor onednnBf16 = forward("onednn", bf16, xb, wb, arena);
                double tensors = ratio(bf16, naiveBf16, onednnBf16);
                double fromFloat = ratio(bf16AtLevel, ref, onednnBf16);
                System.out.printf(Locale.ROOT, "bf16 error/bound %s: inputs rounded (naive) %.4f, onednn at BF16 %.2e,"
                        + " onednn bfloat16 vs naive bfloat16 %.4f, onednn bfloat16 vs float32 %.4f%n", s[0], model,
                        onednnLevel, tensors, fromFloat);
                worst = Math.max(worst, Math.max(Math.max(model, onednnLevel), Math.max(tensors, fromFloat)));
            }
        }
        assertTrue(worst < 1, "worst error/bound " + worst);
    }

    @Test
    void goldenCasesRoundedToBfloat16StayWithinTheBound() {
        double worstModel = 0, worstTensors = 0;
        for (Golden.Case c : Golden.cases()) {
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = c.load("x.npy", arena), w = c.load("w.npy", arena), want = c.load("y.npy", arena);
                Tensor xb = Tensors.convert(x, DType.BFLOAT16, arena), wb = Tensors.convert(w, DType.BFLOAT16, arena);
                ConvSpec bf16 = c.spec(Layout.NHWC, xb, wb);
                // naive in double on the rounded inputs, kept in float64: the error of rounding x and w alone
                Tensor x64 = Tensors.convert(xb, DType.FLOAT64, arena), w64 = Tensors.convert(wb, DType.FLOAT64, arena);
                ConvSpec f64 = bf16.toBuilder().dtype(DType.FLOAT64).build();
                ConvSpec level = f64.toBuilder().dtype(DType.FLOAT32).accuracy(Accuracy.BF16).build();
                double model = ratio(level, want, forward(Conv2d.NAIVE, f64, x64, w64, arena));
                double tensors = ratio(bf16.toBuilder().accuracy(Accuracy.BF16).build(), want,
                        forward(Conv2d.NAIVE, bf16, xb, wb, arena));
                System.out.printf(Locale.ROOT, "bf16 error/bound golden %s: inputs rounded %.4f, bfloat16 output"
                        + " %.4f%n", c.name(), model, tensors);
                worstModel = Math.max(worstModel, model);
                worstTensors = Math.max(worstTensors, tensors);
            }
        }
        System.out.printf(Locale.ROOT, "bf16 error/bound golden worst: inputs rounded %.4f, bfloat16 output %.4f%n",
                worstModel, worstTensors);
        assertTrue(worstModel < 1 && worstTensors < 1, worstModel + ", " + worstTensors);
    }

    private static Tensor forward(String engine, ConvSpec spec, Tensor x, Tensor w, Arena arena) {
        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
        Conv2d.forward(engine, spec, x, w, null, y);
        return y;
    }

    /** The largest {@code |got - ref| / spec.tolerance(ref)} over the output. */
    private static double ratio(ConvSpec spec, Tensor ref, Tensor got) {
        double worst = 0;
        for (long i = 0; i < ref.elementCount(); i++) {
            double r = ref.getDouble(i);
            worst = Math.max(worst, Math.abs(got.getDouble(i) - r) / spec.tolerance(r));
        }
        return worst;
    }

    private static double gaussian(SplittableRandom rnd) {
        return rnd.nextGaussian();
    }
}
