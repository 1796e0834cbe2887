package io.github.conv4j.engine.im2col;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.DType;
import io.github.conv4j.spi.Availability;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every GEMM call is checked against its segments before OpenBLAS sees it: both bindings, float32 and float64,
 * on the known answer {@code [[1,2,3],[4,5,6]] * [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]}. Each matrix that
 * is too small is a slice of a larger segment filled with a sentinel, so a call that went through unchecked
 * would write or read that slack (visible, but not a crash) instead of throwing.
 */
class GemmBoundsTest {
    private static final double SENTINEL = -7;
    private static final double[] A = {1, 2, 3, 4, 5, 6}, B = {7, 8, 9, 10, 11, 12}, BT = {7, 9, 11, 8, 10, 12};
    private static final double[] C = {58, 64, 139, 154};

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    static List<Arguments> bindings() {
        List<Arguments> all = new ArrayList<>();
        for (String binding : List.of("jni", "ffm")) {
            for (DType t : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                all.add(Arguments.of(binding, t));
            }
        }
        return all;
    }

    private static Gemm gemm(String binding) {
        Availability a = OpenBlas.availability();
        assumeTrue(a.available(), () -> "OpenBLAS is unavailable here: " + a.reason());
        return binding.equals("jni") ? new JniGemm() : new FfmGemm(OpenBlas.natives());
    }

    /** {@code count} elements with {@code values} first, {@code slack} sentinels after; returns the first part. */
    private MemorySegment matrix(DType t, double[] values, int count, int slack) {
        MemorySegment s = arena.allocate((long) (count + slack) * t.byteSize(), 8);
        for (int i = 0; i < count + slack; i++) {
            set(t, s, i, i < values.length ? values[i] : SENTINEL);
        }
        return s.asSlice(0, (long) count * t.byteSize());
    }

    private static void set(DType t, MemorySegment s, long i, double v) {
        if (t == DType.FLOAT64) {
            s.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
        } else {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
        }
    }

    /** The elements of {@code s} and of the {@code slack} beyond it, as doubles. */
    private static double[] read(DType t, MemorySegment s, int slack) {
        int n = (int) (s.byteSize() / t.byteSize()) + slack;
        MemorySegment whole = MemorySegment.ofAddress(s.address()).reinterpret((long) n * t.byteSize());
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = t == DType.FLOAT64 ? whole.getAtIndex(ValueLayout.JAVA_DOUBLE, i)
                    : whole.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }
        return v;
    }

    private static void call(Gemm g, DType t, boolean transB, int m, int n, int k, MemorySegment a, long aOffset,
            int lda, MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        if (t == DType.FLOAT64) {
            g.dgemm(transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        } else {
            g.sgemm(transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
        }
    }

    private static String call(DType t) {
        return t == DType.FLOAT64 ? "dgemm" : "sgemm";
    }

    private static double[] filled(int n) {
        double[] v = new double[n];
        Arrays.fill(v, SENTINEL);
        return v;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindings")
    void exactlyFittingMatricesStillCompute(String binding, DType t) {
        Gemm g = gemm(binding);
        MemorySegment a = matrix(t, A, 6, 1), b = matrix(t, B, 6, 1), c = matrix(t, new double[0], 4, 1);
        call(g, t, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2);
        assertArrayEquals(new double[] {58, 64, 139, 154, SENTINEL}, read(t, c, 1));

        MemorySegment bt = matrix(t, BT, 6, 0), c2 = matrix(t, new double[0], 4, 1);
        call(g, t, true, 2, 2, 3, a, 0, 3, bt, 0, 3, c2, 0, 2);
        assertArrayEquals(new double[] {58, 64, 139, 154, SENTINEL}, read(t, c2, 1));
    }

    /** Offsets and leading dimensions above the row length: the last row needs only its own columns. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindings")
    void offsetsAndWideRowsEndAtTheLastElement(String binding, DType t) {
        Gemm g = gemm(binding);
        int e = t.byteSize();
        // a: one element, then rows of 4 with 3 used; c: two elements, then rows of 3 with 2 used
        MemorySegment a = matrix(t, new double[] {0, 1, 2, 3, 0, 4, 5, 6}, 8, 0);
        MemorySegment b = matrix(t, B, 6, 0);
        MemorySegment c = matrix(t, new double[] {SENTINEL, SENTINEL}, 2 + 3 + 2, 1);
        call(g, t, false, 2, 2, 3, a, e, 4, b, 0, 2, c, 2L * e, 3);
        assertArrayEquals(new double[] {SENTINEL, SENTINEL, 58, 64, SENTINEL, 139, 154, SENTINEL}, read(t, c, 1));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindings")
    void cOneElementShortThrowsAndWritesNothing(String binding, DType t) {
        Gemm g = gemm(binding);
        int e = t.byteSize();
        MemorySegment a = matrix(t, A, 6, 0), b = matrix(t, B, 6, 0), c = matrix(t, new double[0], 3, 2);
        IndexOutOfBoundsException x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " c exceeds its segment: (m-1)*ldc + n = (2-1)*2 + 2 = 4 elements of " + e
                + " bytes from byte offset 0, segment has " + 3 * e + " bytes", x.getMessage());
        assertArrayEquals(filled(5), read(t, c, 2));

        // the same four elements fit, but not from one element in
        MemorySegment c4 = matrix(t, new double[0], 4, 1);
        x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 3, b, 0, 2, c4, e, 2));
        assertEquals(call(t) + " c exceeds its segment: (m-1)*ldc + n = (2-1)*2 + 2 = 4 elements of " + e
                + " bytes from byte offset " + e + ", segment has " + 4 * e + " bytes", x.getMessage());
        assertArrayEquals(filled(5), read(t, c4, 1));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindings")
    void aOrBTooSmallThrows(String binding, DType t) {
        Gemm g = gemm(binding);
        int e = t.byteSize();
        MemorySegment a = matrix(t, A, 6, 0), b = matrix(t, B, 6, 0), c = matrix(t, new double[0], 4, 0);
        MemorySegment shortA = matrix(t, A, 5, 1), shortB = matrix(t, B, 5, 1);
        IndexOutOfBoundsException x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, shortA, 0, 3, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " a exceeds its segment: (m-1)*lda + k = (2-1)*3 + 3 = 6 elements of " + e
                + " bytes from byte offset 0, segment has " + 5 * e + " bytes", x.getMessage());
        x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 3, shortB, 0, 2, c, 0, 2));
        assertEquals(call(t) + " b exceeds its segment: (k-1)*ldb + n = (3-1)*2 + 2 = 6 elements of " + e
                + " bytes from byte offset 0, segment has " + 5 * e + " bytes", x.getMessage());
        x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, true, 2, 2, 3, a, 0, 3, shortB, 0, 3, c, 0, 2));
        assertEquals(call(t) + " b exceeds its segment: (n-1)*ldb + k = (2-1)*3 + 3 = 6 elements of " + e
                + " bytes from byte offset 0, segment has " + 5 * e + " bytes", x.getMessage());
        // a leading dimension that is legal but too wide for the segment
        x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 4, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " a exceeds its segment: (m-1)*lda + k = (2-1)*4 + 3 = 7 elements of " + e
                + " bytes from byte offset 0, segment has " + 6 * e + " bytes", x.getMessage());
        x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, a, 7L * e, 3, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " a: byte offset " + 7 * e + " outside a segment of " + 6 * e + " bytes",
                x.getMessage());
        x = assertThrows(IndexOutOfBoundsException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 3, b, -e, 2, c, 0, 2));
        assertEquals(call(t) + " b: byte offset " + -e + " outside a segment of " + 6 * e + " bytes",
                x.getMessage());
        assertArrayEquals(new double[] {SENTINEL, SENTINEL, SENTINEL, SENTINEL}, read(t, c, 0));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindings")
    void leadingDimensionBelowTheRowOrNegativeDimensionThrows(String binding, DType t) {
        Gemm g = gemm(binding);
        MemorySegment a = matrix(t, A, 6, 0), b = matrix(t, B, 6, 0), c = matrix(t, new double[0], 4, 0);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 2, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " a: lda=2 < max(1, k=3)", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 3, b, 0, 1, c, 0, 2));
        assertEquals(call(t) + " b: ldb=1 < max(1, n=2)", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> call(g, t, true, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " b: ldb=2 < max(1, k=3)", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> call(g, t, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 1));
        assertEquals(call(t) + " c: ldc=1 < max(1, n=2)", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> call(g, t, false, 0, 0, 0, a, 0, 0, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " a: lda=0 < max(1, k=0)", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> call(g, t, false, -1, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2));
        assertEquals(call(t) + " dimension < 0: m=-1, n=2, k=3", x.getMessage());
        assertArrayEquals(new double[] {SENTINEL, SENTINEL, SENTINEL, SENTINEL}, read(t, c, 0));
    }

    /** An empty product touches nothing, so it needs no room, even at the very end of a segment. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bindings")
    void emptyProductsNeedNoRoom(String binding, DType t) {
        Gemm g = gemm(binding);
        MemorySegment a = matrix(t, A, 6, 0), b = matrix(t, B, 6, 0), c = matrix(t, new double[0], 4, 0);
        long end = 4L * t.byteSize();
        call(g, t, false, 0, 2, 3, a, 6L * t.byteSize(), 3, b, 0, 2, c, end, 2);
        assertArrayEquals(new double[] {SENTINEL, SENTINEL, SENTINEL, SENTINEL}, read(t, c, 0));
    }
}
