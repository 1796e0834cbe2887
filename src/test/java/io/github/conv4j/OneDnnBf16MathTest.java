package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * oneDNN at the BF16 level: float32 tensors, the primitive's floating-point math mode bf16 (oneDNN may round src and
 * weights to bfloat16 inside), held to the level's bound.
 */
class OneDnnBf16MathTest extends ReducedPrecisionContract {
    @Override
    String engine() {
        return "onednn";
    }

    @Override
    Accuracy accuracy() {
        return Accuracy.BF16;
    }

    /** The primitive carries the bf16 math mode at BF16 (read back from oneDNN) and not at EXACT. */
    @Test
    void thePrimitiveIsMadeWithTheBf16MathModeOnlyAtThatLevel() {
        ConvSpec spec = atLevel(ConvSpec.builder().input(1, 8, 8, 16).kernel(3, 3, 16).padding(Padding.SAME).build());
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, DType.FLOAT32, new SplittableRandom(2), spec.weightShape());
            ConvSpec atExact = spec.toBuilder().accuracy(Accuracy.EXACT).build();
            try (ConvPlan bf16 = Conv2d.plan(engine(), spec, w, null);
                    ConvPlan exact = Conv2d.plan(engine(), atExact, w, null)) {
                assertTrue(bf16.implementation().endsWith(", fpmath bf16"), bf16.implementation());
                assertFalse(exact.implementation().contains("fpmath"), exact.implementation());
            }
        }
    }
}
