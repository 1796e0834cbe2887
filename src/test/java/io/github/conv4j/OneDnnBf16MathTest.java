package io.github.conv4j;

/** oneDNN at the BF16 level: float32 tensors, the primitive's floating-point math mode bf16 (oneDNN may round src and weights to bfloat16 inside), held to the level's bound. */
class OneDnnBf16MathTest extends ReducedPrecisionContract {
    @Override
    String engine() {
        return "onednn";
    }

    @Override
    Accuracy accuracy() {
        return Accuracy.BF16;
    }
}
