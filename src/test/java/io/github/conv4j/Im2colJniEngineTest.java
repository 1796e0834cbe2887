package io.github.conv4j;

/** The im2col engine with GEMM through JNI: the engine contract. */
class Im2colJniEngineTest extends EngineContract {
    @Override
    String engine() {
        return "im2col-jni";
    }
}
