package io.github.conv4j;

/**
 * oneDNN on bfloat16 tensors: src, weights, bias and dst as bf16 memory, float32 sums; golden cases and random specs
 * with their inputs rounded to bfloat16.
 */
class OneDnnBFloat16Test extends ReducedPrecisionContract {
    @Override
    String engine() {
        return "onednn";
    }

    @Override
    DType dtype() {
        return DType.BFLOAT16;
    }
}
