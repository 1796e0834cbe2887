package io.github.conv4j;

import io.github.conv4j.engine.onednn.OneDnnEngine;
import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Run with {@code ONEDNN_MAX_CPU_ISA} set (by {@link Bf16WithoutInstructionsTest}) to stand for a CPU without
 * bfloat16 instructions: prints oneDNN's effective ISA, then for float32 tensors at EXACT and at the BF16 level and
 * for bfloat16 tensors whether onednn declines, which implementation it ran, and which engine auto chose; each result
 * is checked against naive with the spec's bound (an {@link AssertionError} and exit 1 if it misses).
 */
public final class Bf16WithoutInstructionsMain {
    private Bf16WithoutInstructionsMain() {
    }

    public static void main(String[] args) {
        System.out.println("isa " + OneDnnEngine.info().map(OneDnnEngine.Info::isa).orElse("unavailable"));
        ConvSpec base = ConvSpec.builder().input(2, 9, 8, 32).kernel(3, 3, 32).padding(Padding.SAME).bias(true)
                .relu(true).build();
        run("exact", base);
        run("bf16-math", base.toBuilder().accuracy(Accuracy.BF16).build());
        run("bfloat16", base.toBuilder().dtype(DType.BFLOAT16).build());
    }

    private static void run(String what, ConvSpec spec) {
        SplittableRandom rnd = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape());
            Tensor w = Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape());
            Tensor b = Tensors.uniform(arena, spec.dtype(), rnd, spec.oc());
            Tensor want = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
            Conv2d.forward(Conv2d.NAIVE, spec, x, w, b, want);
            Optional<String> no = Conv2d.engine(OneDnnEngine.NAME).declines(spec);
            if (no.isPresent()) {
                System.out.println(what + " onednn declines: " + no.get());
            } else {
                try (ConvPlan plan = Conv2d.plan(OneDnnEngine.NAME, spec, w, b)) {
                    Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                    plan.forward(x, y);
                    AgainstNaive.assertAgrees(what + " onednn", spec, want, y, false);
                    System.out.println(what + " onednn implementation: " + plan.implementation());
                }
            }
            try (ConvPlan plan = Conv2d.plan(spec, w, b)) {
                Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                plan.forward(x, y);
                AgainstNaive.assertAgrees(what + " auto", spec, want, y, false);
                System.out.println(what + " auto engine: " + plan.engine());
            }
        }
    }
}
