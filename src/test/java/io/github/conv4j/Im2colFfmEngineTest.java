package io.github.conv4j;

/** The im2col engine with GEMM through FFM: the engine contract. */
class Im2colFfmEngineTest extends EngineContract {
    @Override
    String engine() {
        return "im2col-ffm";
    }
}
