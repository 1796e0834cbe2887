package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.testing.RandomSpecs;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code auto} plans every valid spec, both dtypes, on the first engine in the configured order that accepts it. */
class AutoSelectionTest {

    @Test
    void autoNeverDeclinesAndMatchesNaive() {
        int f32 = 0, f64 = 0;
        for (long seed = 5000; seed < 5120; seed++) {
            ConvSpec spec = RandomSpecs.next(seed, 12);
            SplittableRandom rnd = new SplittableRandom(seed);
            try (Arena arena = Arena.ofConfined()) {
                DType t = spec.dtype();
                Tensor x = Tensors.uniform(arena, t, rnd, spec.inputShape());
                Tensor w = Tensors.uniform(arena, t, rnd, spec.weightShape());
                Tensor b = spec.hasBias() ? Tensors.uniform(arena, t, rnd, spec.oc()) : null;
                Tensor want = Tensor.allocate(arena, t, spec.outputShape());
                Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
                Tensor got = Tensor.allocate(arena, t, spec.outputShape());
                try (ConvPlan plan = Conv2d.plan(Conv2d.AUTO, spec, w, b)) {
                    assertEquals(Conv2d.select(spec).name(), plan.engine(), "seed " + seed);
                    if (t == DType.FLOAT64) {
                        f64++;
                        assertNotEquals("onednn", plan.engine(), "seed " + seed + " float64 went to onednn");
                    } else {
                        f32++;
                        if (Conv2d.engine("onednn").probe().available()
                                && Conv2d.engine("onednn").declines(spec).isEmpty()) {
                            assertEquals("onednn", plan.engine(), "seed " + seed + " " + spec);
                        }
                    }
                    plan.forward(x, got);
                }
                double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
                double tol = 8 * (t == DType.FLOAT32 ? 0x1p-23 : 0x1p-52) * (k + 1);
                for (long i = 0; i < want.elementCount(); i++) {
                    if (!(Math.abs(got.getDouble(i) - want.getDouble(i)) <= tol)) {
                        fail("auto differs from naive, seed " + seed + " " + spec + " at flat index " + i + ": got "
                                + got.getDouble(i) + ", naive " + want.getDouble(i) + " (tolerance " + tol + ")");
                    }
                }
            }
        }
        // the seeds must exercise both dtypes, or the test above proves half of what it claims
        assertTrue(f32 > 20 && f64 > 20, "float32 specs " + f32 + ", float64 specs " + f64);
    }
}
