package io.github.conv4j.engine.im2col;

import java.lang.foreign.MemorySegment;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * GEMM through the JavaCPP OpenBLAS preset (JNI), on off-heap pointers made from segment addresses; never the
 * {@code float[]} overloads, which copy whole arrays on every call.
 */
final class JniGemm extends Gemm {

    @Override
    boolean takesHeapSegments() {
        return false;
    }

    @Override
    void checkedSgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        openblas_nolapack.cblas_sgemm(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS,
                transB ? OpenBlas.TRANS : OpenBlas.NO_TRANS, m, n, k,
                1f, new AddressFloats(a, aOffset), lda, new AddressFloats(b, bOffset), ldb,
                0f, new AddressFloats(c, cOffset), ldc);
    }

    @Override
    void checkedDgemm(boolean transB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        openblas_nolapack.cblas_dgemm(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS,
                transB ? OpenBlas.TRANS : OpenBlas.NO_TRANS, m, n, k,
                1d, new AddressDoubles(a, aOffset), lda, new AddressDoubles(b, bOffset), ldb,
                0d, new AddressDoubles(c, cOffset), ldc);
    }

    private static long nativeAddress(MemorySegment s, long offset) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("segment is on the heap: JNI GEMM needs native memory");
        }
        return s.address() + offset;
    }

    /** A JavaCPP pointer that borrows a segment's memory: no allocation, no deallocator. */
    private static final class AddressFloats extends FloatPointer {
        AddressFloats(MemorySegment s, long offset) {
            address = nativeAddress(s, offset);
            limit = capacity = (s.byteSize() - offset) / Float.BYTES;
        }
    }

    /** A JavaCPP pointer that borrows a segment's memory: no allocation, no deallocator. */
    private static final class AddressDoubles extends DoublePointer {
        AddressDoubles(MemorySegment s, long offset) {
            address = nativeAddress(s, offset);
            limit = capacity = (s.byteSize() - offset) / Double.BYTES;
        }
    }
}
