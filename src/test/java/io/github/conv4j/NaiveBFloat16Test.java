package io.github.conv4j;

/**
 * The reference on bfloat16 tensors: the known answers rounded once to bfloat16, and the golden cases with inputs
 * rounded to bfloat16 within the bound of that rounding.
 */
class NaiveBFloat16Test extends ReducedPrecisionContract {
    @Override
    String engine() {
        return "naive";
    }

    @Override
    DType dtype() {
        return DType.BFLOAT16;
    }
}
