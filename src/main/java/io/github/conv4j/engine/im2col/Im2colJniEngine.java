package io.github.conv4j.engine.im2col;

/** {@code im2col-jni}: the im2col engine with GEMM called through the JavaCPP OpenBLAS preset. */
public final class Im2colJniEngine extends Im2colEngine {
    private static final class Binding {
        static final Gemm GEMM = new JniGemm();
    }

    @Override
    public String name() {
        return "im2col-jni";
    }

    @Override
    Gemm gemm() {
        return Binding.GEMM;
    }

    @Override
    String binding() {
        return "JavaCPP (JNI)";
    }
}
