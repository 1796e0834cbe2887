package io.github.conv4j.engine.im2col;

import java.lang.foreign.MemorySegment;

/**
 * {@code C = A * B}, or {@code C = A * B^T}: row-major, alpha 1, beta 0; the only call the im2col engines make
 * into OpenBLAS, and the only thing in which the two engines differ.
 *
 * <p>Each matrix is a segment plus a byte offset to its first element: {@code A} is {@code m} rows of {@code lda}
 * elements (the last row {@code k}), {@code C} {@code m} rows of {@code ldc} (the last {@code n}); {@code B} is
 * {@code k} rows of {@code ldb} (the last {@code n}), or with {@code transB} {@code n} rows of {@code ldb} (the
 * last {@code k}). Every call is checked against that here, once per call and before either binding runs, so
 * that a tiling mistake in the caller throws instead of making OpenBLAS read or write past a segment.
 */
abstract sealed class Gemm permits JniGemm, FfmGemm {

    /** Whether heap segments may be passed; when not, the caller stages them through native memory. */
    abstract boolean takesHeapSegments();

    /**
     * {@code cblas_sgemm} on float32 matrices; {@code transB} multiplies by {@code B}'s transpose.
     *
     * @throws IllegalArgumentException if a dimension is negative or a leading dimension below its row length
     * @throws IndexOutOfBoundsException if a matrix reaches outside its segment
     */
    final void sgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda, MemorySegment b,
            long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        check("sgemm", 2, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        checkedSgemm(transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    }

    /**
     * {@code cblas_dgemm} on float64 matrices; {@code transB} multiplies by {@code B}'s transpose.
     *
     * @throws IllegalArgumentException if a dimension is negative or a leading dimension below its row length
     * @throws IndexOutOfBoundsException if a matrix reaches outside its segment
     */
    final void dgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda, MemorySegment b,
            long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        check("dgemm", 3, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        checkedDgemm(transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    }

    /** The binding's {@code cblas_sgemm}, called only with arguments {@link #sgemm} has checked. */
    abstract void checkedSgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc);

    /** The binding's {@code cblas_dgemm}, called only with arguments {@link #dgemm} has checked. */
    abstract void checkedDgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc);

    /** The dimensions, then each matrix against its segment; {@code shift} is log2 of the element size. */
    private static void check(String call, int shift, boolean transB, int m, int n, int k, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        if ((m | n | k) < 0) {
            throw negative(call, m, n, k);
        }
        matrix(call, shift, "a", "m", m, "k", k, lda, a, aOffset);
        if (transB) {
            matrix(call, shift, "b", "n", n, "k", k, ldb, b, bOffset);
        } else {
            matrix(call, shift, "b", "k", k, "n", n, ldb, b, bOffset);
        }
        matrix(call, shift, "c", "m", m, "n", n, ldc, c, cOffset);
    }

    /** The message for a negative dimension, built apart from {@link #check} as {@link #outside} is. */
    private static IllegalArgumentException negative(String call, int m, int n, int k) {
        return new IllegalArgumentException(call + " dimension < 0: m=" + m + ", n=" + n + ", k=" + k);
    }

    /**
     * One row-major matrix of {@code rows} rows, {@code ld} elements apart, of which the first {@code cols} are
     * read or written, from byte {@code offset} of {@code s}: its last element is
     * {@code (rows - 1) * ld + cols - 1}, and an empty one ({@code rows} or {@code cols} 0) needs no room. Counted
     * in elements, which cannot overflow a long for int arguments; the messages are built in {@link #outside}, so
     * that this stays small enough for the JIT to inline into every call.
     */
    private static void matrix(String call, int shift, String name, String rowName, int rows, String colName,
            int cols, int ld, MemorySegment s, long offset) {
        long size = s.byteSize();
        if (ld < Math.max(1, cols) || offset < 0 || offset > size
                || rows != 0 && cols != 0 && (long) (rows - 1) * ld + cols > (size - offset) >> shift) {
            throw outside(call, shift, name, rowName, rows, colName, cols, ld, size, offset);
        }
    }

    /** What {@link #matrix} found wrong, as an exception to throw. */
    private static RuntimeException outside(String call, int shift, String name, String rowName, int rows,
            String colName, int cols, int ld, long size, long offset) {
        if (ld < Math.max(1, cols)) {
            return new IllegalArgumentException(call + " " + name + ": ld" + name + "=" + ld + " < max(1, "
                    + colName + "=" + cols + ")");
        }
        if (offset < 0 || offset > size) {
            return new IndexOutOfBoundsException(call + " " + name + ": byte offset " + offset
                    + " outside a segment of " + size + " bytes");
        }
        long elements = (long) (rows - 1) * ld + cols;
        return new IndexOutOfBoundsException(call + " " + name + " exceeds its segment: (" + rowName + "-1)*ld"
                + name + " + " + colName + " = (" + rows + "-1)*" + ld + " + " + cols + " = " + elements
                + " elements of " + (1 << shift) + " bytes from byte offset " + offset + ", segment has " + size
                + " bytes");
    }
}
