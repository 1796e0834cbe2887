package io.github.conv4j.engine.im2col;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * GEMM through {@code java.lang.foreign} downcalls into the same {@code libopenblas_nolapack} that JavaCPP
 * loaded. Heap segments go through a critical downcall (no copy); native ones through a plain one, which
 * does not hold off the garbage collector while the GEMM runs.
 */
final class FfmGemm extends Gemm {
    private final MethodHandle sgemm, sgemmHeap, dgemm, dgemmHeap;

    FfmGemm(OpenBlas.Natives natives) {
        sgemm = natives.sgemm();
        sgemmHeap = natives.sgemmHeap();
        dgemm = natives.dgemm();
        dgemmHeap = natives.dgemmHeap();
    }

    @Override
    boolean takesHeapSegments() {
        return true;
    }

    @Override
    void checkedSgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        MethodHandle h = a.isNative() && b.isNative() && c.isNative() ? sgemm : sgemmHeap;
        try {
            h.invokeExact(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS, transB ? OpenBlas.TRANS : OpenBlas.NO_TRANS,
                    m, n, k, 1f,
                    a.asSlice(aOffset), lda, b.asSlice(bOffset), ldb, 0f, c.asSlice(cOffset), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm downcall failed: m=" + m + ", n=" + n + ", k=" + k, t);
        }
    }

    @Override
    void checkedDgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        MethodHandle h = a.isNative() && b.isNative() && c.isNative() ? dgemm : dgemmHeap;
        try {
            h.invokeExact(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS, transB ? OpenBlas.TRANS : OpenBlas.NO_TRANS,
                    m, n, k, 1d,
                    a.asSlice(aOffset), lda, b.asSlice(bOffset), ldb, 0d, c.asSlice(cOffset), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_dgemm downcall failed: m=" + m + ", n=" + n + ", k=" + k, t);
        }
    }
}
