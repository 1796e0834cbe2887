package io.github.conv4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.conv4j.DType;
import io.github.conv4j.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code .npy} round trips, the three header versions, and every malformed file with its message. */
class NpyTest {
    @TempDir
    Path dir;

    /** A .npy file with the given version, header dict and data bytes, exactly as written here. */
    private Path file(int major, String dict, byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] h = (dict + "\n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) h.length);
        } else {
            len.putInt(h.length);
        }
        out.write(len.array());
        out.write(h);
        out.write(data);
        Path p = dir.resolve("t" + System.nanoTime() + ".npy");
        Files.write(p, out.toByteArray());
        return p;
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private String error(Path p) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(NpyFormatException.class, () -> Npy.read(p, arena)).getMessage()
                    .substring(p.toString().length() + 2);
        }
    }

    @Test
    void roundTripFloat32AndFloat64() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            float[] f = {1.5f, -2, 3.25f, Float.MIN_VALUE, Float.MAX_VALUE, -0f};
            Path p = dir.resolve("f.npy");
            Npy.write(p, Tensor.of(f, 2, 3));
            Tensor t = Npy.read(p, arena);
            assertEquals(DType.FLOAT32, t.dtype());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(f, t.toFloatArray());
            assertEquals(0, (Files.size(p) - 24) % 64, "data starts on a 64-byte boundary");

            double[] d = {Math.PI, -1e300, 4.9e-324};
            Path q = dir.resolve("d.npy");
            Npy.write(q, Tensor.of(d, 3));
            Tensor u = Npy.read(q, arena);
            assertEquals(DType.FLOAT64, u.dtype());
            assertArrayEquals(new long[] {3}, u.shape());
            assertArrayEquals(d, u.toDoubleArray());
            String header = Files.readString(q, StandardCharsets.ISO_8859_1).substring(10, 70);
            assertEquals("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", header.strip());
        }
    }

    /** The integer types of quantized convolutions: numpy's descriptors, values (uint8 above 127) and shapes. */
    @Test
    void roundTripInt8Uint8AndInt32() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            int[][] values = {{-128, -1, 0, 127}, {0, 1, 128, 255}, {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}};
            DType[] types = {DType.INT8, DType.UINT8, DType.INT32};
            String[] descrs = {"|i1", "|u1", "<i4"};
            for (int k = 0; k < 3; k++) {
                Tensor t = Tensor.allocate(arena, types[k], 2, 2);
                for (int i = 0; i < 4; i++) {
                    io.github.conv4j.testing.Tensors.set(t, i, values[k][i]);
                }
                Path p = dir.resolve(types[k] + ".npy");
                Npy.write(p, t);
                String header = Files.readString(p, StandardCharsets.ISO_8859_1).substring(10, 70);
                assertEquals("{'descr': '" + descrs[k] + "', 'fortran_order': False, 'shape': (2, 2), }",
                        header.strip());
                Tensor u = Npy.read(p, arena);
                assertEquals(types[k], u.dtype());
                assertArrayEquals(new long[] {2, 2}, u.shape());
                for (int i = 0; i < 4; i++) {
                    assertEquals(values[k][i], u.getDouble(i), types[k] + " element " + i);
                }
            }
        }
    }

    @Test
    void writeLeavesOnlyTheTarget() throws IOException {
        Npy.write(dir.resolve("y.npy"), Tensor.of(new float[] {1, 2}, 2));
        Npy.write(dir.resolve("y.npy"), Tensor.of(new float[] {3}, 1));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("y.npy"), files.map(f -> f.getFileName().toString()).toList());
        }
        assertThrows(NoSuchFileException.class,
                () -> Npy.write(dir.resolve("missing/y.npy"), Tensor.of(new float[] {1}, 1)));
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void readsVersions2And3() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
            assertArrayEquals(new float[] {7, 8}, Npy.read(file(2, dict, floats(7, 8)), arena).toFloatArray());
            assertArrayEquals(new float[] {7, 8}, Npy.read(file(3, dict, floats(7, 8)), arena).toFloatArray());
            assertArrayEquals(new float[] {7, 8}, Npy.read(file(1, dict, floats(7, 8)), arena).toFloatArray());
        }
    }

    @Test
    void rejectsFortranOrder() throws IOException {
        assertEquals("fortran_order=True is not supported; save a C-ordered array (numpy.ascontiguousarray)",
                error(file(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", floats(1, 2))));
    }

    @Test
    void rejectsOtherDtypes() throws IOException {
        String known = " (float32 '<f4', float64 '<f8', int8 '|i1', uint8 '|u1', int32 '<i4' or bfloat16 '<V2',"
                + " little-endian)";
        assertEquals("unsupported dtype '<i2'" + known,
                error(file(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", floats(1, 2))));
        assertEquals("unsupported dtype '>i4'" + known,
                error(file(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", floats(1, 2))));
        assertEquals("unsupported dtype '>f4'" + known,
                error(file(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", floats(1, 2))));
    }

    @Test
    void rejectsTruncatedAndTrailingData() throws IOException {
        assertEquals("truncated: header says float32 [2, 3] = 24 bytes of data, file has 20",
                error(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", floats(1, 2, 3, 4, 5))));
        assertEquals("trailing bytes: header says float32 [1] = 4 bytes of data, file has 8",
                error(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1, 2))));
    }

    @Test
    void neverAllocatesFromAHugeHeader() throws IOException {
        // 2^40 floats would be 4 TiB: the length check must fail before anything is allocated
        assertEquals("truncated: header says float32 [1099511627776] = 4398046511104 bytes of data, file has 8",
                error(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }", floats(1, 2))));
    }

    @Test
    void rejectsOverflowingShape() throws IOException {
        assertEquals("shape overflows: (4611686018427387904, 16)",
                error(file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 16), }",
                        floats())));
        assertEquals("shape overflows: (2305843009213693952,)",
                error(file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }",
                        floats())));
    }

    @Test
    void rejectsZeroAndNegativeDimensions() throws IOException {
        assertEquals("shape has a dimension < 1: (0, 3)",
                error(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", floats())));
        assertEquals("bad shape in .npy header: (2, x)",
                error(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", floats())));
    }

    @Test
    void rejectsBadMagicShortFilesAndBadHeaders() throws IOException {
        Path p = dir.resolve("text.npy");
        Files.writeString(p, "hello, this is not numpy at all");
        assertEquals("not a .npy file: bad magic (expected \\x93NUMPY)", error(p));
        Path q = dir.resolve("short.npy");
        Files.write(q, new byte[] {(byte) 0x93, 'N', 'U'});
        assertEquals("not a .npy file: 3 bytes, shorter than a header", error(q));
        assertEquals("unsupported .npy version 4.0 (1.0, 2.0 and 3.0 are read)",
                error(file(4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1))));
        assertEquals("malformed .npy header, expected keys descr, fortran_order, shape: {'descr': '<f4', 'shape': (1,), }",
                error(file(1, "{'descr': '<f4', 'shape': (1,), }", floats(1))));
        assertEquals("malformed .npy header: descr: '<f4'",
                error(file(1, "descr: '<f4'", floats(1))));
    }

    @Test
    void rejectsHeaderLongerThanFile() throws IOException {
        byte[] bytes = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff, (byte) 0x7f, '{', '}'};
        Path p = dir.resolve("long.npy");
        Files.write(p, bytes);
        assertEquals(".npy header length 32767 exceeds the file (12 bytes)", error(p));
    }

    // ---- bfloat16 ---------------------------------------------------------------------------------------

    private static byte[] shorts(int... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int s : v) {
            b.putShort((short) s);
        }
        return b.array();
    }

    private static short[] bitsOf(Tensor t) {
        return t.data().asSlice(0, t.byteSize()).toArray(java.lang.foreign.ValueLayout.JAVA_SHORT);
    }

    /** Written as '<V2' (what np.save writes for ml_dtypes.bfloat16) and read back bit for bit, NaN and -0 too. */
    @Test
    void bfloat16RoundTripsBitExactlyAsV2() throws IOException {
        short[] bits = {0x3f80, (short) 0xc049, 0x7f80, (short) 0xff80, 0x7fc1, (short) 0x8000, 0x0001, 0x7f7f};
        Path p = dir.resolve("b.npy");
        Npy.write(p, Tensor.ofBFloat16Bits(bits, 2, 4));
        String header = new String(Files.readAllBytes(p), 10, 128 - 10, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<V2', 'fortran_order': False, 'shape': (2, 4), }",
                header.substring(0, header.indexOf('}') + 1));
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Npy.read(p, arena);
            assertEquals(DType.BFLOAT16, t.dtype());
            assertArrayEquals(new long[] {2, 4}, t.shape());
            assertArrayEquals(bits, bitsOf(t));
            assertEquals(-3.140625, t.getDouble(1));
            assertArrayEquals(bits, bitsOf(Npy.read(p, arena, DType.BFLOAT16)));
        }
    }

    /** NumPy's own two-byte void ('|V2') is bfloat16 as well; the values widen exactly. */
    @Test
    void readsPipeV2AsBfloat16() throws IOException {
        Path p = file(1, "{'descr': '|V2', 'fortran_order': False, 'shape': (3,), }", shorts(0x3f80, 0x4049, 0xbe00));
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Npy.read(p, arena);
            assertEquals(DType.BFLOAT16, t.dtype());
            assertEquals(1.0, t.getDouble(0));
            assertEquals(3.140625, t.getDouble(1));
            assertEquals(-0.125, t.getDouble(2));
        }
    }

    /** uint16 bits ('<u2') are bfloat16 only when bfloat16 is asked for; otherwise an error that says how. */
    @Test
    void readsU2OnlyWhenBfloat16IsAskedFor() throws IOException {
        Path p = file(1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", shorts(0x3f80, 0xc000));
        assertEquals("dtype '<u2' (uint16) is read only as raw bfloat16 bits, when bfloat16 is asked for; save"
                + " bfloat16 as '<V2' (ml_dtypes.bfloat16)", error(p));
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Npy.read(p, arena, DType.BFLOAT16);
            assertEquals(DType.BFLOAT16, t.dtype());
            assertArrayEquals(new short[] {0x3f80, (short) 0xc000}, bitsOf(t));
            NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(p, arena, DType.FLOAT32));
            assertEquals(p + ": dtype '<u2' (uint16) is read only as raw bfloat16 bits, when bfloat16 is asked for;"
                    + " save bfloat16 as '<V2' (ml_dtypes.bfloat16)", e.getMessage());
            Path f = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1));
            e = assertThrows(NpyFormatException.class, () -> Npy.read(f, arena, DType.BFLOAT16));
            assertEquals(f + ": dtype is float32 ('<f4'), expected bfloat16", e.getMessage());
        }
    }

    /** A float tensor converted with the documented rounding (nearest, ties to even) writes those bits. */
    @Test
    void convertedFloatsAreWrittenRounded() throws IOException {
        Path p = dir.resolve("c.npy");
        Npy.write(p, Tensor.bfloat16(new float[] {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, Float.MAX_VALUE}, 3));
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new short[] {0x3f80, 0x3f82, 0x7f80}, bitsOf(Npy.read(p, arena)));
        }
    }
}
