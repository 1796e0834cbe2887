package io.github.conv4j.testing;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Tensor;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * One differential check: seeded inputs, naive's output, the engine's output (into a NaN-poisoned buffer),
 * compared exactly on small-integer inputs and within {@code 8 * eps * (kh*kw*ic/groups + 1)} on uniform ones.
 */
public final class AgainstNaive {
    private AgainstNaive() {
    }

    /**
     * Runs {@code spec} on {@code engine} and on naive with inputs drawn from {@code seed}.
     *
     * @throws AssertionError naming the engine, seed, spec and first differing index
     */
    public static void check(String engine, ConvSpec spec, long seed, boolean integers) {
        SplittableRandom rnd = new SplittableRandom(seed * 31 + 7);
        try (Arena arena = Arena.ofConfined()) {
            DType t = spec.dtype();
            Tensor x = draw(arena, t, rnd, integers, spec.inputShape());
            Tensor w = draw(arena, t, rnd, integers, spec.weightShape());
            Tensor b = spec.hasBias() ? draw(arena, t, rnd, integers, spec.oc()) : null;
            Tensor want = Tensor.allocate(arena, t, spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
            Tensor got = Tensor.allocate(arena, t, spec.outputShape());
            Tensors.poison(got);
            try (ConvPlan plan = Conv2d.plan(engine, spec, w, b)) {
                if (!plan.engine().equals(engine)) {
                    throw new AssertionError("asked for " + engine + ", got a plan on " + plan.engine());
                }
                plan.forward(x, got);
            } catch (RuntimeException e) {
                throw new AssertionError(engine + " threw on seed " + seed + " " + spec + ": " + e, e);
            }
            double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
            double eps = t == DType.FLOAT32 ? 0x1p-23 : 0x1p-52;
            double tol = integers ? 0 : 8 * eps * (k + 1);
            for (long i = 0; i < want.elementCount(); i++) {
                double ref = want.getDouble(i), v = got.getDouble(i);
                if (!(Math.abs(v - ref) <= tol)) {
                    throw new AssertionError(engine + " differs from naive, seed " + seed + " ("
                            + (integers ? "small integers" : "uniform floats") + ") " + spec + " at flat index " + i
                            + ": got " + v + ", naive " + ref + " (tolerance " + tol + ")");
                }
            }
        }
    }

    private static Tensor draw(Arena arena, DType t, SplittableRandom rnd, boolean integers, long... shape) {
        return integers ? Tensors.smallIntegers(arena, t, rnd, shape) : Tensors.uniform(arena, t, rnd, shape);
    }
}
