package io.github.conv4j.engine.im2col;

/** {@code im2col-ffm}: the im2col engine with GEMM called through {@code java.lang.foreign} downcalls. */
public final class Im2colFfmEngine extends Im2colEngine {
    private static final class Binding {
        static final Gemm GEMM = new FfmGemm(OpenBlas.natives());
    }

    @Override
    public String name() {
        return "im2col-ffm";
    }

    @Override
    Gemm gemm() {
        return Binding.GEMM;
    }

    @Override
    String binding() {
        return "FFM downcalls";
    }
}
