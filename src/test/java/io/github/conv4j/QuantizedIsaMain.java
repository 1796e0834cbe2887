package io.github.conv4j;

import io.github.conv4j.engine.onednn.OneDnnEngine;
import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.QuantizedProblem;
import io.github.conv4j.testing.RandomSpecs;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Onednn against naive on quantized specs, in a JVM of its own (so that {@code ONEDNN_MAX_CPU_ISA} can limit the
 * kernels oneDNN may use): fuzzed geometries as in {@code QuantizedConvTest}, and two wide ones whose input
 * channels come in pairs of large products (where an instruction set without VNNI adds pairs in 16 bits).
 * Prints {@code isa}, one {@code impl} line per implementation used, {@code fail} lines, and {@code done}; exits
 * 1 if any spec differs.
 */
public final class QuantizedIsaMain {
    private QuantizedIsaMain() {
    }

    public static void main(String[] args) {
        System.out.println("isa " + OneDnnEngine.info().map(OneDnnEngine.Info::isa).orElse("(unavailable)"));
        TreeSet<String> impls = new TreeSet<>();
        int failures = 0, ran = 0;
        long differ = 0;
        DType[] outs = {DType.INT8, DType.UINT8, DType.FLOAT32};
        for (long seed = -2; seed < 80; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed * 7919 + 1);
            ConvSpec shape = seed < 0
                    ? ConvSpec.builder().input(2, 8, 8, 32).kernel(3, 3, 32).padding(Padding.SAME).bias(true).build()
                    : RandomSpecs.next(seed, 9, 6).toBuilder().dtype(DType.FLOAT32).build();
            DType in = seed % 2 == 0 ? DType.UINT8 : DType.INT8;
            DType out = outs[(int) Math.floorMod(seed / 2, 3)];
            try (Arena arena = Arena.ofConfined()) {
                QuantizedProblem p = QuantizedProblem.draw(arena, shape, in, out, seed % 3 == 0, seed % 4 < 2, rnd);
                if (Conv2d.whyNot("onednn", p.spec()).isPresent()) {
                    continue;
                }
                try (ConvPlan plan = Conv2d.plan("onednn", p.spec(), p.w(), p.b())) {
                    impls.add(plan.implementation());
                }
                differ += AgainstNaive.checkQuantized("onednn", p, seed);
                ran++;
            } catch (AssertionError e) {
                failures++;
                System.out.println("fail " + e.getMessage());
            }
        }
        for (String i : impls) {
            System.out.println("impl " + i);
        }
        System.out.println("done " + ran + " specs, " + failures + " wrong, " + differ + " outputs one unit off");
        System.exit(failures == 0 ? 0 : 1);
    }
}
