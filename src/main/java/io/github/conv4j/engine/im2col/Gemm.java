package io.github.conv4j.engine.im2col;

import java.lang.foreign.MemorySegment;

/**
 * {@code C = A * B}, or {@code C = A * B^T}: row-major, alpha 1, beta 0; the only call the im2col engines make
 * into OpenBLAS, and the only thing in which the two engines differ.
 *
 * <p>Each matrix is a segment plus a byte offset to its first element. The caller has checked every bound:
 * {@code A} holds {@code m} rows of {@code lda} elements (the last row {@code k}), {@code C} {@code m} rows of
 * {@code ldc} (the last {@code n}); {@code B} holds {@code k} rows of {@code ldb} (the last {@code n}), or with
 * {@code transB} {@code n} rows of {@code ldb} (the last {@code k}).
 */
interface Gemm {

    /** Whether heap segments may be passed; when not, the caller stages them through native memory. */
    boolean takesHeapSegments();

    /** {@code cblas_sgemm} on float32 matrices; {@code transB} multiplies by {@code B}'s transpose. */
    void sgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda, MemorySegment b,
            long bOffset, int ldb, MemorySegment c, long cOffset, int ldc);

    /** {@code cblas_dgemm} on float64 matrices; {@code transB} multiplies by {@code B}'s transpose. */
    void dgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda, MemorySegment b,
            long bOffset, int ldb, MemorySegment c, long cOffset, int ldc);
}
