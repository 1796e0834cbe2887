package io.github.conv4j.engine;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Optional;

/**
 * The strided split: the input seen as a 6-D view {@code (mb, oh, ow, kh, kw, ic)}, where element
 * {@code [n, oh, ow, kh, kw, c]} is {@code x[n, oh*sh - padTop + kh*dh, ow*sw - padLeft + kw*dw, c]}, or zero
 * when that position lies in the padding; and the packer that copies it into GEMM-ready patch matrices.
 *
 * <p>Unlike an {@code as_strided} view, every index is proven in range once, here: the input position of
 * each {@code (oh, kh)} and {@code (ow, kw)} pair is either inside the input or marked as padding by the
 * tables built in the constructor, and the largest reachable element offset is checked against the input's
 * size. The packer only forms offsets through those tables, so it cannot read outside the input whatever
 * the stride, dilation or padding.
 *
 * <p>Shared by the engines: im2col packs off-heap patch tiles with {@link #packRows} and {@link #packColumns};
 * java-vector packs into Java arrays from staged input rows (its own copy loop, which moves short runs as whole
 * vectors), taking every input position from {@link #inputRow} and {@link #firstTap}/{@link #endTap}. A new
 * engine takes either. {@link #pointwise} is the one definition of a convolution whose input already is its
 * patch matrix. Immutable, so one instance serves concurrent calls.
 */
public final class StridedSplit {
    /** A zeroed block that padding is copied from: one memcpy instead of a slice and a fill per run. */
    private static final MemorySegment ZEROS = Arena.global().allocate(16 * 1024, 64);

    private final int mb, ih, iw, ic, oh, ow, kh, kw, sh, sw, dh, dw, padTop, padLeft, groups, icg;
    private final DType dtype;
    private final int esz;
    private final boolean nhwc;
    /** Whether NHWC patch rows are laid out group by group, or as the input has them, {@code [kh][kw][ic]}. */
    private final boolean groupMajor;
    /** Input element strides of the batch, row, column and channel axes. */
    private final long sMb, sIh, sIw, sIc;
    /** For each {@code (oh, kh)}: the input row, or -1 in the padding. */
    private final int[] rowOf;
    /** For each {@code kw}: the output columns {@code [owLo, owHi)} whose input column is inside the input. */
    private final int[] owLo, owHi;

    /**
     * Builds the view of {@code spec}'s input and proves its bounds.
     *
     * @param groupMajor lay NHWC patch rows out group by group ({@code [g][kh][kw][icg]}), so each group's
     *     part is one contiguous block; otherwise as the input has them ({@code [kh][kw][ic]})
     * @throws IllegalArgumentException if the view would reach outside the input (a bug, not a user error)
     * @throws ArithmeticException if the spec is one {@link #declines} refuses
     */
    public StridedSplit(ConvSpec spec, boolean groupMajor) {
        this.groupMajor = groupMajor && spec.groups() > 1;
        mb = spec.mb(); ih = spec.ih(); iw = spec.iw(); ic = spec.ic(); oh = spec.oh(); ow = spec.ow();
        kh = spec.kh(); kw = spec.kw(); sh = spec.sh(); sw = spec.sw(); dh = spec.dh(); dw = spec.dw();
        padTop = spec.padTop(); padLeft = spec.padLeft(); groups = spec.groups(); icg = spec.icPerGroup();
        dtype = spec.dtype();
        esz = dtype.byteSize();
        nhwc = spec.layout() == Layout.NHWC;
        sIc = nhwc ? 1 : (long) ih * iw;
        sIw = nhwc ? ic : 1;
        sIh = nhwc ? (long) iw * ic : iw;
        sMb = (long) ih * iw * ic;

        rowOf = new int[Math.multiplyExact(oh, kh)];
        for (int y = 0; y < oh; y++) {
            for (int k = 0; k < kh; k++) {
                long r = (long) y * sh - padTop + (long) k * dh;
                rowOf[y * kh + k] = r >= 0 && r < ih ? (int) r : -1;
            }
        }
        owLo = new int[kw];
        owHi = new int[kw];
        for (int k = 0; k < kw; k++) {
            long shift = (long) padLeft - (long) k * dw;      // input column = ow*sw - shift
            owLo[k] = (int) Math.min(ow, Math.max(0, ceilDiv(shift, sw)));
            owHi[k] = (int) Math.min(ow, Math.max(owLo[k], ceilDiv(iw + shift, sw)));
        }
        long last = (mb - 1) * sMb + (ih - 1) * sIh + (iw - 1) * sIw + (ic - 1) * sIc;
        if (last != spec.inputElements() - 1) {
            throw new IllegalArgumentException("strided split reaches element " + last + " of an input of "
                    + spec.inputElements() + ": " + spec);
        }
    }

    private static long ceilDiv(long a, long b) {
        return Math.floorDiv(a + b - 1, b);
    }

    /** The most elements a Java array holds on common JVMs. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /**
     * Why {@code spec} cannot be split, or empty when it can: the split keeps one input row per output row and
     * kernel row in a Java array. Engines that split call this from {@code declines}.
     */
    public static Optional<String> declines(ConvSpec spec) {
        long rows = (long) spec.oh() * spec.kh();
        return rows > MAX_ARRAY
                ? Optional.of("strided split table exceeds a Java array: oh*kh = " + spec.oh() + "*" + spec.kh()
                        + " = " + rows)
                : Optional.empty();
    }

    /**
     * Whether {@code spec}'s input already is its patch matrix: a 1x1 kernel, stride 1, no padding (dilation
     * does not matter to one tap). Output pixel {@code p} then reads input pixel {@code p}, all its channels, so
     * NHWC input is the patch matrix row by row and NCHW input its transpose, image by image.
     */
    public static boolean pointwise(ConvSpec spec) {
        return spec.kh() == 1 && spec.kw() == 1 && spec.sh() == 1 && spec.sw() == 1 && spec.padTop() == 0
                && spec.padBottom() == 0 && spec.padLeft() == 0 && spec.padRight() == 0;
    }

    /** The length of one patch: {@code kh * kw * ic} elements, all groups side by side. */
    public long patchLength() {
        return (long) kh * kw * ic;
    }

    /** The input row that output row {@code oy} reads through kernel row {@code ky}, or -1 in the padding. */
    public int inputRow(int oy, int ky) {
        return rowOf[oy * kh + ky];
    }

    /**
     * The first kernel column whose input column, for output column {@code ox}, lies inside the input; the
     * columns inside are {@code [firstTap(ox), endTap(ox))}, adjacent in the input when the dilation is 1. The
     * range is empty ({@code firstTap >= endTap}) when every tap falls in the padding.
     */
    public int firstTap(int ox) {
        long c0 = (long) ox * sw - padLeft;          // input column of kernel column 0
        return (int) Math.min(kw, Math.max(0, dw == 1 ? -c0 : ceilDiv(-c0, dw)));
    }

    /** The kernel column after the last whose input column, for output column {@code ox}, lies inside the input. */
    public int endTap(int ox) {
        long c0 = (long) ox * sw - padLeft;
        return (int) Math.min(kw, Math.max(0, dw == 1 ? iw - c0 : ceilDiv(iw - c0, dw)));
    }

    /** The input column that output column {@code x} sees through kernel column {@code k}; in range only
     * for {@code owLo[k] <= x < owHi[k]}. */
    private long column(int x, int k) {
        return (long) x * sw - padLeft + (long) k * dw;
    }

    /**
     * Packs output pixels {@code [p0, p0 + rows)} (counted over {@code mb * oh * ow}) of an NHWC input as patch
     * rows, one row of {@code patchLength()} elements per pixel.
     */
    // patches[pixel][g][kh][kw][icg] (or [pixel][kh][kw][ic]) <- split(x[mb][ih][iw][ic])
    public void packRows(MemorySegment x, long p0, int rows, MemorySegment patches) {
        long perImage = (long) oh * ow;
        long p = p0;
        int r = 0;
        while (r < rows) {
            long n = p / perImage;
            int rem = (int) (p - n * perImage);
            int y = rem / ow, x0 = rem - y * ow;
            int count = Math.min(ow - x0, rows - r);
            if (!groupMajor) {
                packRowSegment(x, n, y, x0, count, patches, r);
            } else {
                packGroupedRowSegment(x, n, y, x0, count, patches, r);
            }
            r += count;
            p += count;
        }
    }

    /** One output row's pixels {@code [x0, x0 + count)} of image {@code n}, laid out as {@code [kh][kw][ic]}. */
    private void packRowSegment(MemorySegment x, long n, int y, int x0, int count, MemorySegment dst, int r0) {
        long rowBytes = patchLength() * esz;
        long kwRun = (long) kw * ic;   // one kernel row of a patch: kw pixels of ic channels
        for (int i = 0; i < count; i++) {
            int xo = x0 + i;
            long d = (r0 + i) * rowBytes;
            for (int k = 0; k < kh; k++, d += kwRun * esz) {
                int r = rowOf[y * kh + k];
                if (r < 0) {
                    zero(dst, d, kwRun * esz);
                    continue;
                }
                long base = n * sMb + r * sIh;
                if (dw == 1) {
                    // kernel columns [lo, hi) land inside the input, and are adjacent there: one run
                    long c0 = column(xo, 0);
                    int lo = (int) Math.max(0, -c0), hi = (int) Math.min(kw, iw - c0);
                    if (hi <= lo) {
                        zero(dst, d, kwRun * esz);
                        continue;
                    }
                    zero(dst, d, (long) lo * ic * esz);
                    copy(x, base + (c0 + lo) * sIw, dst, d + (long) lo * ic * esz, (long) (hi - lo) * ic);
                    zero(dst, d + (long) hi * ic * esz, (long) (kw - hi) * ic * esz);
                } else {
                    for (int j = 0; j < kw; j++) {
                        long dj = d + (long) j * ic * esz;
                        if (xo >= owLo[j] && xo < owHi[j]) {
                            copy(x, base + column(xo, j) * sIw, dst, dj, ic);
                        } else {
                            zero(dst, dj, (long) ic * esz);
                        }
                    }
                }
            }
        }
    }

    /** As {@link #packRowSegment}, with a patch laid out group by group so each group's part is contiguous. */
    private void packGroupedRowSegment(MemorySegment x, long n, int y, int x0, int count, MemorySegment dst,
            int r0) {
        long rowBytes = patchLength() * esz;
        for (int i = 0; i < count; i++) {
            int xo = x0 + i;
            long d = (r0 + i) * rowBytes;
            for (int g = 0; g < groups; g++) {
                for (int k = 0; k < kh; k++) {
                    int r = rowOf[y * kh + k];
                    for (int j = 0; j < kw; j++, d += (long) icg * esz) {
                        if (r >= 0 && xo >= owLo[j] && xo < owHi[j]) {
                            copy(x, n * sMb + r * sIh + column(xo, j) * sIw + (long) g * icg, dst, d, icg);
                        } else {
                            zero(dst, d, (long) icg * esz);
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs output pixels {@code [p0, p0 + cols)} of image {@code n} (counted over {@code oh * ow}) of an NCHW
     * input as patch columns: {@code patchLength()} rows of {@code cols} elements.
     */
    // cols[ic][kh][kw][pixel] <- split(x[mb][ic][ih][iw])
    public void packColumns(MemorySegment x, long n, int p0, int cols, MemorySegment dst) {
        long colBytes = (long) cols * esz;
        long d = 0;
        for (int c = 0; c < ic; c++) {
            long plane = n * sMb + c * sIc;
            for (int k = 0; k < kh; k++) {
                for (int j = 0; j < kw; j++, d += colBytes) {
                    int p = p0, col = 0;
                    while (col < cols) {
                        int y = p / ow, x0 = p - y * ow;
                        int count = Math.min(ow - x0, cols - col);
                        long dd = d + (long) col * esz;
                        int r = rowOf[y * kh + k];
                        if (r < 0) {
                            zero(dst, dd, (long) count * esz);
                        } else {
                            int lo = Math.max(x0, Math.min(owLo[j], x0 + count));
                            int hi = Math.max(lo, Math.min(owHi[j], x0 + count));
                            zero(dst, dd, (long) (lo - x0) * esz);
                            if (hi > lo) {
                                long src = plane + r * sIh + column(lo, j);
                                long at = dd + (long) (lo - x0) * esz;
                                if (sw == 1) {
                                    copy(x, src, dst, at, hi - lo);
                                } else {
                                    copyStrided(x, src, sw, dst, at, hi - lo);
                                }
                            }
                            zero(dst, dd + (long) (hi - x0) * esz, (long) (x0 + count - hi) * esz);
                        }
                        col += count;
                        p += count;
                    }
                }
            }
        }
    }

    /**
     * Copies {@code count} contiguous elements from input element {@code src} to byte offset {@code dst}: one bulk
     * copy even for short runs (S1's and S2's are 9 elements), which measured faster than the element loop it
     * replaced at commit 1e3ef78: packing at 1 thread, SkylakeX, took S1 1.8 then 1.2 us and S2 243 then 152 us
     * in {@code bench/results/im2col-2026-11-28.md} as committed before and after it (b26c530, 2df7663).
     */
    private void copy(MemorySegment x, long src, MemorySegment dst, long dstByte, long count) {
        MemorySegment.copy(x, src * esz, dst, dstByte, count * esz);
    }

    /** Copies {@code count} elements {@code stride} apart from input element {@code src}, as raw bits. */
    private void copyStrided(MemorySegment x, long src, int stride, MemorySegment dst, long dstByte, int count) {
        // a copy of bits by element width, whatever the values mean
        switch (esz) {
            case 4 -> {
                long d = dstByte >>> 2;
                for (int i = 0; i < count; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_INT, d + i,
                            x.getAtIndex(ValueLayout.JAVA_INT, src + (long) i * stride));
                }
            }
            case 8 -> {
                long d = dstByte >>> 3;
                for (int i = 0; i < count; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_LONG, d + i,
                            x.getAtIndex(ValueLayout.JAVA_LONG, src + (long) i * stride));
                }
            }
            default -> throw new IllegalStateException("no strided copy for " + esz + "-byte elements (" + dtype + ")");
        }
    }

    private static void zero(MemorySegment dst, long at, long bytes) {
        while (bytes > 0) {
            long n = Math.min(bytes, ZEROS.byteSize());
            MemorySegment.copy(ZEROS, 0, dst, at, n);
            at += n;
            bytes -= n;
        }
    }
}
