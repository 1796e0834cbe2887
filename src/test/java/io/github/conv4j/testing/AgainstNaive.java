package io.github.conv4j.testing;

import io.github.conv4j.Accuracy;
import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Tensor;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;

/**
 * One differential check: seeded inputs, naive's output, the engine's output (into a NaN-poisoned buffer),
 * compared exactly on small-integer inputs and within {@code 8 * eps * (kh*kw*ic/groups + 1)} on uniform ones, at
 * {@link Accuracy#EXACT}; a looser level scales that bound by its factor over EXACT in {@link ConvSpec#tolerance}.
 * With bfloat16 tensors or at {@link Accuracy#BF16}, each element is held to {@link ConvSpec#tolerance} itself.
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
            Problem p = Problem.draw(arena, spec, rnd, integers);
            Tensor got = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            Tensors.poison(got);
            forward(engine, spec, p.x(), p.w(), p.b(), got, seed);
            assertAgrees(engine + " differs from naive, seed " + seed, spec, p.want(), got, integers);
        }
    }

    /**
     * Fails unless {@code got} equals naive's {@code want}. At {@link Accuracy#EXACT}: exactly for small-integer
     * inputs, else within {@code 8 * eps * (kh*kw*ic/groups + 1)}. At a looser level, that bound times the
     * level's factor over EXACT (FAST: 10), and for small integers (at most 3 in magnitude, so products at most 9)
     * nine times that.
     *
     * @throws AssertionError starting with {@code what}, naming the spec and first differing index
     */
    public static void assertAgrees(String what, ConvSpec spec, Tensor want, Tensor got, boolean integers) {
        double k = (double) spec.kh() * spec.kw() * spec.icPerGroup();
        double eps = spec.dtype() == DType.FLOAT64 ? 0x1p-52 : 0x1p-23;
        // bfloat16 in or out: the spec's own bound (ConvSpec.tolerance), derived for it element by element; small
        // integers are exact in bfloat16 and their float32 sums too, so at EXACT they must still match exactly
        boolean perElement = spec.dtype() == DType.BFLOAT16 || spec.accuracy() == Accuracy.BF16;
        double tol = spec.accuracy() == Accuracy.EXACT
                ? (integers ? 0 : 8 * eps * (k + 1))
                : levelFactor(spec) * 8 * eps * (k + 1) * (integers ? 9 : 1);
        for (long i = 0; i < want.elementCount(); i++) {
            double ref = want.getDouble(i), v = got.getDouble(i);
            if (perElement && !(integers && spec.accuracy() == Accuracy.EXACT)) {
                tol = spec.tolerance(ref);
            }
            if (!(Math.abs(v - ref) <= tol)) {
                throw new AssertionError(what + " (" + (integers ? "small integers" : "uniform floats") + ", accuracy "
                        + spec.accuracy() + ") " + spec
                        + " at flat index " + i + ": got " + v + ", naive " + ref + " (tolerance " + tol + ")");
            }
        }
    }

    /**
     * Runs {@code p.spec()} (quantized) on {@code engine} into a poisoned output and compares it with naive's: bit
     * for bit when every scale is a power of two, else within {@link ConvSpec#tolerance} (one unit for int8/uint8
     * output).
     *
     * @return how many elements differ at all (by one unit, for int8/uint8 output)
     * @throws AssertionError naming the engine, seed, spec, flat index and values
     */
    public static long checkQuantized(String engine, QuantizedProblem p, long seed) {
        ConvSpec spec = p.spec();
        try (Arena arena = Arena.ofConfined()) {
            Tensor got = Tensor.allocate(arena, spec.outputDType(), spec.outputShape());
            Tensors.poison(got);
            forward(engine, spec, p.x(), p.w(), p.b(), got, seed);
            boolean exact = QuantizedProblem.powersOfTwo(spec);
            long differ = 0;
            for (long i = 0; i < got.elementCount(); i++) {
                double ref = p.want().getDouble(i), v = got.getDouble(i);
                double tol = exact ? 0 : spec.tolerance(ref);
                if (!(Math.abs(v - ref) <= tol)) {
                    throw new AssertionError(engine + " differs from naive, seed " + seed + " ("
                            + (exact ? "power-of-two scales, bit-exact" : "tolerance " + tol) + ") " + spec + " "
                            + spec.quantization() + " at flat index " + i + ": got " + v + ", naive " + ref);
                }
                if (v != ref) {
                    differ++;
                }
            }
            return differ;
        }
    }

    /** How many times EXACT's bound {@code spec}'s accuracy level allows, read from {@link ConvSpec#tolerance}. */
    public static double levelFactor(ConvSpec spec) {
        return spec.tolerance(0) / spec.toBuilder().accuracy(Accuracy.EXACT).build().tolerance(0);
    }

    /** Inputs drawn for a spec, in the order x, w, bias, and naive's output on them. */
    public record Problem(Tensor x, Tensor w, Tensor b, Tensor want) {
        /** Draws x, w and (if the spec has one) bias from {@code rnd}, small integers or uniform, and runs naive. */
        public static Problem draw(Arena arena, ConvSpec spec, SplittableRandom rnd, boolean integers) {
            DType t = spec.dtype();
            Tensor x = draw(arena, t, rnd, integers, spec.inputShape());
            Tensor w = draw(arena, t, rnd, integers, spec.weightShape());
            Tensor b = spec.hasBias() ? draw(arena, t, rnd, integers, spec.oc()) : null;
            Tensor want = Tensor.allocate(arena, t, spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
            return new Problem(x, w, b, want);
        }

        private static Tensor draw(Arena arena, DType t, SplittableRandom rnd, boolean integers, long... shape) {
            return integers ? Tensors.smallIntegers(arena, t, rnd, shape) : Tensors.uniform(arena, t, rnd, shape);
        }
    }

    /** Plans {@code spec} on {@code engine} (that engine, not another) and computes {@code got}; a throw names the seed. */
    private static void forward(String engine, ConvSpec spec, Tensor x, Tensor w, Tensor b, Tensor got, long seed) {
        try (ConvPlan plan = Conv2d.plan(engine, spec, w, b)) {
            if (!plan.engine().equals(engine)) {
                throw new AssertionError("asked for " + engine + ", got a plan on " + plan.engine());
            }
            plan.forward(x, got);
        } catch (RuntimeException e) {
            throw new AssertionError(engine + " threw on seed " + seed + " " + spec + ": " + e, e);
        }
    }
}
