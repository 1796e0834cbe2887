package io.github.conv4j.io;

import io.github.conv4j.DType;
import io.github.conv4j.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files of float32, float64, int8, uint8, int32 or bfloat16 in C order,
 * little-endian; header versions 1.0, 2.0 and 3.0.
 *
 * <p>bfloat16: NumPy has no such type. {@code ml_dtypes.bfloat16} arrays are saved by {@code np.save} under their
 * dtype's {@code str}, a two-byte void {@code '<V2'}; NumPy's own two-byte void is {@code '|V2'}. Both are read as
 * bfloat16 (the only two-byte void conv4j knows), and bfloat16 is written as {@code '<V2'}, so
 * {@code np.load(f).view(ml_dtypes.bfloat16)} gives the values back, and plain NumPy widens them with
 * {@code (a.view('<u2').astype('<u4') << 16).view('<f4')}. A uint16 array of the bits ({@code '<u2'}) is read as
 * bfloat16 only when the caller asks for bfloat16 ({@link #read(Path, Arena, DType)}): uint16 is also an integer
 * type, and conv4j will not guess which of the two a file means.
 *
 * <p>Reading checks the whole header against the file's length before it allocates anything, so a corrupt or
 * hostile header cannot make it allocate more than the file holds. Writing goes to a temporary file beside
 * the target that is renamed into place, so a failed write leaves no partial output behind.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy itself refuses headers over 10 KB by default; anything far beyond that is not a real header. */
    private static final int MAX_HEADER = 1 << 20;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final Pattern KEY = Pattern.compile("'([^']*)'\\s*:");

    private Npy() {
    }

    /** What a {@code .npy} header says: element type, shape, and where the data starts. */
    private record Header(DType dtype, long[] shape, long dataOffset) {
        /** Bytes of data the header announces. */
        long dataBytes() {
            long n = dtype.byteSize();
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * Reads a {@code .npy} file into a new 64-byte aligned segment allocated in {@code arena}.
     *
     * @throws NpyFormatException if the file is not a C-ordered little-endian float32, float64, int8, uint8, int32
     *     or bfloat16
     *     {@code .npy} file whose length matches its header
     * @throws IOException if the file cannot be read
     */
    public static Tensor read(Path path, Arena arena) throws IOException {
        return read(path, arena, null);
    }

    /**
     * Reads a {@code .npy} file of element type {@code dtype} into a new 64-byte aligned segment allocated in
     * {@code arena}; for bfloat16 a uint16 file ({@code '<u2'}) of raw bfloat16 bits is accepted too.
     *
     * @throws NpyFormatException if the file is not a C-ordered little-endian {@code .npy} file of that type whose
     *     length matches its header
     * @throws IOException if the file cannot be read
     */
    public static Tensor read(Path path, Arena arena, DType dtype) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("conv4j reads .npy only on little-endian platforms");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Header h = header(path, ch, dtype);
            MemorySegment data = arena.allocate(Math.max(h.dataBytes(), 1), 64);
            ch.position(h.dataOffset());
            long done = 0;
            while (done < h.dataBytes()) {
                long chunk = Math.min(h.dataBytes() - done, 1 << 30);
                ByteBuffer buf = data.asSlice(done, chunk).asByteBuffer();
                while (buf.hasRemaining()) {
                    if (ch.read(buf) < 0) {
                        throw new NpyFormatException(path + ": file ended while reading data");
                    }
                }
                done += chunk;
            }
            return new Tensor(data, h.dtype(), h.shape());
        }
    }

    private static Header header(Path path, FileChannel ch, DType wanted) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, 0);
        pre.flip();
        if (pre.remaining() < 10) {
            throw new NpyFormatException(path + ": not a .npy file: " + size + " bytes, shorter than a header");
        }
        byte[] magic = new byte[6];
        pre.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new NpyFormatException(path + ": not a .npy file: bad magic (expected \\x93NUMPY)");
        }
        int major = pre.get() & 0xff, minor = pre.get() & 0xff;
        long headerLen;
        int start;
        Charset charset;
        if (major == 1) {
            headerLen = pre.getShort() & 0xffff;
            start = 10;
            charset = StandardCharsets.ISO_8859_1;
        } else if (major == 2 || major == 3) {
            if (pre.remaining() < 4) {
                throw new NpyFormatException(path + ": truncated .npy header");
            }
            headerLen = pre.getInt() & 0xffffffffL;
            start = 12;
            charset = major == 2 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8;
        } else {
            throw new NpyFormatException(path + ": unsupported .npy version " + major + "." + minor
                    + " (1.0, 2.0 and 3.0 are read)");
        }
        if (headerLen > MAX_HEADER || start + headerLen > size) {
            throw new NpyFormatException(path + ": .npy header length " + headerLen + " exceeds "
                    + (headerLen > MAX_HEADER ? "the 1 MiB limit" : "the file (" + size + " bytes)"));
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, start);
        String text = new String(hb.array(), 0, hb.position(), charset).strip();
        Header h = parse(path, text, start + headerLen, wanted);
        long expected = h.dataBytes();
        long actual = size - h.dataOffset();
        if (actual != expected) {
            throw new NpyFormatException(path + ": " + (actual < expected ? "truncated" : "trailing bytes")
                    + ": header says " + h.dtype() + " " + java.util.Arrays.toString(h.shape()) + " = " + expected
                    + " bytes of data, file has " + actual);
        }
        return h;
    }

    private static Header parse(Path path, String text, long dataOffset, DType wanted) throws NpyFormatException {
        if (!text.startsWith("{") || !text.endsWith("}")) {
            throw new NpyFormatException(path + ": malformed .npy header: " + abbreviate(text));
        }
        List<String> keys = new ArrayList<>();
        Matcher k = KEY.matcher(text);
        while (k.find()) {
            keys.add(k.group(1));
        }
        if (keys.size() != 3 || !keys.containsAll(List.of("descr", "fortran_order", "shape"))) {
            throw new NpyFormatException(path + ": malformed .npy header, expected keys descr, fortran_order, shape: "
                    + abbreviate(text));
        }
        Matcher d = DESCR.matcher(text), f = FORTRAN.matcher(text), s = SHAPE.matcher(text);
        if (!d.find() || !f.find() || !s.find()) {
            throw new NpyFormatException(path + ": malformed .npy header: " + abbreviate(text));
        }
        DType dtype = switch (d.group(1)) {
            case "<f4" -> DType.FLOAT32;
            case "<f8" -> DType.FLOAT64;
            // one-byte types have no byte order: numpy writes '|', and '<' means the same
            case "|i1", "<i1" -> DType.INT8;
            case "|u1", "<u1" -> DType.UINT8;
            case "<i4" -> DType.INT32;
            case "<V2", "|V2" -> DType.BFLOAT16;
            case "<u2" -> {
                if (wanted != DType.BFLOAT16) {
                    throw new NpyFormatException(path + ": dtype '<u2' (uint16) is read only as raw bfloat16 bits,"
                            + " when bfloat16 is asked for; save bfloat16 as '<V2' (ml_dtypes.bfloat16)");
                }
                yield DType.BFLOAT16;
            }
            default -> throw new NpyFormatException(path + ": unsupported dtype '" + d.group(1)
                    + "' (float32 '<f4', float64 '<f8', int8 '|i1', uint8 '|u1', int32 '<i4' or bfloat16 '<V2',"
                    + " little-endian)");
        };
        if (wanted != null && dtype != wanted) {
            throw new NpyFormatException(path + ": dtype is " + dtype + " ('" + d.group(1) + "'), expected " + wanted);
        }
        if (f.group(1).equals("True")) {
            throw new NpyFormatException(path + ": fortran_order=True is not supported; save a C-ordered array "
                    + "(numpy.ascontiguousarray)");
        }
        String[] parts = s.group(1).split(",");
        List<Long> dims = new ArrayList<>();
        long count = 1;
        for (String p : parts) {
            String t = p.strip();
            if (t.isEmpty()) {
                continue;
            }
            long v;
            try {
                v = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
            } catch (NumberFormatException e) {
                throw new NpyFormatException(path + ": bad shape in .npy header: (" + s.group(1) + ")");
            }
            if (v < 1) {
                throw new NpyFormatException(path + ": shape has a dimension < 1: (" + s.group(1) + ")");
            }
            try {
                count = Math.multiplyExact(count, v);
                Math.multiplyExact(count, (long) dtype.byteSize());
            } catch (ArithmeticException e) {
                throw new NpyFormatException(path + ": shape overflows: (" + s.group(1) + ")");
            }
            dims.add(v);
        }
        return new Header(dtype, dims.stream().mapToLong(Long::longValue).toArray(), dataOffset);
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                return;
            }
            pos += n;
        }
    }

    /**
     * Writes a tensor as a version 1.0 {@code .npy} file (2.0 if the header needs it), little-endian C order.
     * The file appears whole or not at all.
     *
     * @throws IOException if the file cannot be written
     */
    public static void write(Path path, Tensor tensor) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("conv4j writes .npy only on little-endian platforms");
        }
        long[] dims = tensor.shape();
        String shape = dims.length == 1 ? "(" + dims[0] + ",)"
                : java.util.Arrays.stream(dims).mapToObj(Long::toString)
                        .collect(java.util.stream.Collectors.joining(", ", "(", ")"));
        String dict = "{'descr': '" + tensor.dtype().npyDescr() + "', 'fortran_order': False, 'shape': "
                + shape + ", }";
        byte[] header = pad(dict, 10);
        int version = 1;
        if (header.length > 0xffff) {
            header = pad(dict, 12);
            version = 2;
        }
        ByteBuffer pre = ByteBuffer.allocate(version == 1 ? 10 : 12).order(ByteOrder.LITTLE_ENDIAN);
        pre.put(MAGIC).put((byte) version).put((byte) 0);
        if (version == 1) {
            pre.putShort((short) header.length);
        } else {
            pre.putInt(header.length);
        }
        pre.flip();

        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, pre);
                writeFully(ch, ByteBuffer.wrap(header));
                MemorySegment data = tensor.data();
                long bytes = tensor.byteSize();
                for (long off = 0; off < bytes; off += 1 << 30) {
                    long chunk = Math.min(bytes - off, 1 << 30);
                    if (data.isNative()) {
                        writeFully(ch, data.asSlice(off, chunk).asByteBuffer());
                    } else {
                        // a heap segment over a float[] has no byte[] view: copy through a byte[]
                        writeFully(ch, ByteBuffer.wrap(data.asSlice(off, chunk).toArray(ValueLayout.JAVA_BYTE)));
                    }
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The header dict padded with spaces and a newline so the data starts on a 64-byte boundary. */
    private static byte[] pad(String dict, int prefix) {
        int total = prefix + dict.length() + 1;
        int padded = (total + 63) / 64 * 64;
        return (dict + " ".repeat(padded - total) + "\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
