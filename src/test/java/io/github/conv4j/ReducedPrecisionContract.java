package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The engine contract with bfloat16 in it (bfloat16 tensors, or the BF16 level on float32 ones), plus what only
 * reduced precision brings up: NaN, infinities and overflow must come out as naive's do.
 */
abstract class ReducedPrecisionContract extends EngineContract {

    /**
     * NaN and infinity in the input, weights of both signs and a zero, and a pair of large inputs whose sum
     * overflows bfloat16 (and float32): every output is NaN, the same infinity, or within the bound where naive's is.
     */
    @Test
    void nanInfinityAndOverflowComeOutAsNaivesDo() {
        ConvSpec spec = atLevel(ConvSpec.builder().input(1, 5, 6, 4).kernel(3, 3, 4).padding(Padding.SAME)
                .bias(true).build());
        SplittableRandom rnd = new SplittableRandom(5);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape());
            Tensor w = Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape());
            Tensor b = Tensors.uniform(arena, spec.dtype(), rnd, spec.oc());
            // NHWC x[0][h][w][c]: NaN at (1,1) c0, +inf at (3,4) c1, 3e38 at (0,0) and (0,1) c2
            Tensors.set(x, (1 * 6 + 1) * 4, Double.NaN);
            Tensors.set(x, (3 * 6 + 4) * 4 + 1, Double.POSITIVE_INFINITY);
            Tensors.set(x, 2, 3e38);
            Tensors.set(x, 4 + 2, 3e38);
            // HWIO w[kh][kw][i][o]: input channel 2 weighs 1 everywhere (its big pair adds up past the largest
            // float); channel 1 is positive into oc 0, negative into oc 1, zero at the centre tap into oc 2 (inf * 0)
            for (int kh = 0; kh < 3; kh++) {
                for (int kw = 0; kw < 3; kw++) {
                    long at = (kh * 3 + kw) * 4L * 4;
                    for (int o = 0; o < 4; o++) {
                        Tensors.set(w, at + 2 * 4 + o, 1);
                    }
                    Tensors.set(w, at + 4, 0.5);
                    Tensors.set(w, at + 4 + 1, -0.5);
                    Tensors.set(w, at + 4 + 2, kh == 1 && kw == 1 ? 0 : 0.25);
                }
            }
            Tensor want = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
            boolean nan = false, pos = false, neg = false;
            for (long i = 0; i < want.elementCount(); i++) {
                double v = want.getDouble(i);
                nan |= Double.isNaN(v);
                pos |= v == Double.POSITIVE_INFINITY;
                neg |= v == Double.NEGATIVE_INFINITY;
            }
            assertTrue(nan && pos && neg, "naive's output has NaN, +inf and -inf: " + nan + ", " + pos + ", " + neg);
            Tensor got = run(spec, x, w, b, arena);
            for (long i = 0; i < want.elementCount(); i++) {
                double ref = want.getDouble(i), v = got.getDouble(i);
                boolean same = Double.isNaN(ref) ? Double.isNaN(v)
                        : Double.isInfinite(ref) ? v == ref
                        : Math.abs(v - ref) <= spec.tolerance(ref);
                if (!same) {
                    fail(engine() + " " + spec + " at flat index " + i + ": got " + v + ", naive " + ref);
                }
            }
        }
    }
}
