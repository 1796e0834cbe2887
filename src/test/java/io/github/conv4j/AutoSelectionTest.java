package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.RandomSpecs;
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
                AgainstNaive.Problem p = AgainstNaive.Problem.draw(arena, spec, rnd, false);
                Tensor got = Tensor.allocate(arena, t, spec.outputShape());
                try (ConvPlan plan = Conv2d.plan(Conv2d.AUTO, spec, p.w(), p.b())) {
                    assertEquals(Conv2d.select(spec).name(), plan.engine(), "seed " + seed);
                    if (t == DType.FLOAT64) {
                        f64++;
                        assertNotEquals("onednn", plan.engine(), "seed " + seed + " float64 went to onednn");
                    } else {
                        f32++;
                        if (Conv2d.whyNot("onednn", spec).isEmpty()) {
                            assertEquals("onednn", plan.engine(), "seed " + seed + " " + spec);
                        }
                    }
                    plan.forward(p.x(), got);
                }
                AgainstNaive.assertAgrees("auto differs from naive, seed " + seed, spec, p.want(), got, false);
            }
        }
        // the seeds must exercise both dtypes, or the test above proves half of what it claims
        assertTrue(f32 > 20 && f64 > 20, "float32 specs " + f32 + ", float64 specs " + f64);
    }
}
