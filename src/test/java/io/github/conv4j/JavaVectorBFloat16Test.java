package io.github.conv4j;

/**
 * java-vector on bfloat16 tensors: its float32 kernels on widened copies, each output rounded to bfloat16 once;
 * known answers, golden cases and random specs with their inputs rounded to bfloat16, against naive.
 */
class JavaVectorBFloat16Test extends ReducedPrecisionContract {
    @Override
    String engine() {
        return "java-vector";
    }

    @Override
    DType dtype() {
        return DType.BFLOAT16;
    }
}
