package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.Padding;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The strided split against a gather written here from the formula {@code x[n, oh*sh - padTop + kh*dh,
 * ow*sw - padLeft + kw*dw, c]} (zero outside the input): every packed element bit for bit, over seeded random
 * small specs, tiles that start anywhere and cross output rows and images, into destinations with guard bytes
 * on both sides so that a write outside the tile is seen.
 */
class StridedSplitTest {
    private static final int SPECS = 600;
    /**
     * Guard bytes before and after each destination, which the packers may not touch: a write before the
     * destination fails its slice's bounds check, one past its end lands in the trailing guard.
     */
    private static final int GUARD = 64;
    /** Fills destinations and guards: as float32 or float64 bits, no value that the input or padding holds. */
    private static final byte SENTINEL = (byte) 0x7F;

    /** Memory index of logical input element {@code (n, h, w, c)}, from the layout's definition. */
    private static long inputIndex(ConvSpec s, int n, int h, int w, int c) {
        return s.layout() == Layout.NHWC
                ? (((long) n * s.ih() + h) * s.iw() + w) * s.ic() + c
                : (((long) n * s.ic() + c) * s.ih() + h) * s.iw() + w;
    }

    /** The bits of the split's element {@code [n, oy, ox, ky, kx, c]}: the input's, or zero in the padding. */
    private static long gather(ConvSpec s, MemorySegment x, int n, int oy, int ox, int ky, int kx, int c) {
        long h = (long) oy * s.sh() - s.padTop() + (long) ky * s.dh();
        long w = (long) ox * s.sw() - s.padLeft() + (long) kx * s.dw();
        if (h < 0 || h >= s.ih() || w < 0 || w >= s.iw()) {
            return 0;
        }
        return bits(s.dtype(), x, inputIndex(s, n, (int) h, (int) w, c));
    }

    private static long bits(DType t, MemorySegment m, long index) {
        return t == DType.FLOAT32
                ? m.getAtIndex(ValueLayout.JAVA_INT, index) & 0xFFFFFFFFL
                : m.getAtIndex(ValueLayout.JAVA_LONG, index);
    }

    /** An input whose every element is distinct and non-zero ({@code index + 1}), so a misplaced one shows. */
    private static MemorySegment input(Arena arena, ConvSpec s) {
        MemorySegment x = arena.allocate(s.inputElements() * s.dtype().byteSize(), 8);
        for (long i = 0; i < s.inputElements(); i++) {
            if (s.dtype() == DType.FLOAT32) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 1);
            } else {
                x.setAtIndex(ValueLayout.JAVA_DOUBLE, i, i + 1);
            }
        }
        return x;
    }

    /** A destination of {@code elements} between guards, all filled with the sentinel. */
    private record Guarded(MemorySegment whole, MemorySegment dst, long bytes) {
        static Guarded of(Arena arena, long elements, DType t) {
            long bytes = elements * t.byteSize();
            MemorySegment whole = arena.allocate(GUARD + bytes + GUARD, 8);
            whole.fill(SENTINEL);
            // the destination as handed to a packer reaches into the trailing guard, so an overrun lands there and
            // is seen, rather than stopped by the slice's bounds
            return new Guarded(whole, whole.asSlice(GUARD), bytes);
        }

        /** Element {@code index} of the destination, as bits. */
        long get(DType t, long index) {
            return bits(t, dst, index);
        }

        void checkGuards(String what) {
            for (long b = 0; b < GUARD; b++) {
                if (whole.get(ValueLayout.JAVA_BYTE, b) != SENTINEL) {
                    fail("leading guard byte " + b + " overwritten: " + what);
                }
                if (whole.get(ValueLayout.JAVA_BYTE, GUARD + bytes + b) != SENTINEL) {
                    fail("trailing guard byte " + b + " overwritten: " + what);
                }
            }
        }
    }

    /** Starting pixels and lengths of tiles over {@code total} pixels: all, single pixels at the ends, random. */
    private static List<long[]> tiles(SplittableRandom rnd, long total, long rowLength) {
        List<long[]> t = new ArrayList<>();
        t.add(new long[] {0, total});
        t.add(new long[] {0, 1});
        t.add(new long[] {total - 1, 1});
        if (total > rowLength) {
            // from the middle of the first output row across into the next
            long start = rowLength / 2;
            t.add(new long[] {start, Math.min(total - start, rowLength + 1)});
        }
        for (int i = 0; i < 4; i++) {
            long p0 = rnd.nextLong(total);
            t.add(new long[] {p0, 1 + rnd.nextLong(total - p0)});
        }
        return t;
    }

    @Test
    void packRowsMatchesTheGatherBitForBit() {
        int checked = 0, crossedImages = 0, crossedRows = 0;
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            if (s.layout() != Layout.NHWC) {
                continue;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = input(arena, s);
                long perImage = (long) s.oh() * s.ow(), total = s.mb() * perImage;
                SplittableRandom rnd = new SplittableRandom(~seed);
                for (long[] tile : tiles(rnd, total, s.ow())) {
                    long p0 = tile[0];
                    int rows = (int) tile[1];
                    crossedImages += p0 / perImage != (p0 + rows - 1) / perImage ? 1 : 0;
                    crossedRows += p0 / s.ow() != (p0 + rows - 1) / s.ow() ? 1 : 0;
                    for (boolean groupMajor : new boolean[] {false, true}) {
                        checkRows(s, x, groupMajor, p0, rows, arena, seed);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 3000, "too few tiles checked: " + checked);
        assertTrue(crossedImages > 300 && crossedRows > 800,
                "too few tiles cross images (" + crossedImages + ") or output rows (" + crossedRows + ")");
    }

    private static void checkRows(ConvSpec s, MemorySegment x, boolean groupMajor, long p0, int rows, Arena arena,
            long seed) {
        StridedSplit split = new StridedSplit(s, groupMajor);
        long len = split.patchLength();
        assertEquals((long) s.kh() * s.kw() * s.ic(), len);
        Guarded d = Guarded.of(arena, rows * len, s.dtype());
        split.packRows(x, p0, rows, d.dst());
        String what = "seed " + seed + " groupMajor " + groupMajor + " p0 " + p0 + " rows " + rows + " " + s;
        d.checkGuards(what);
        int icg = s.icPerGroup();
        for (int r = 0; r < rows; r++) {
            long p = p0 + r;
            int n = (int) (p / ((long) s.oh() * s.ow()));
            int rem = (int) (p % ((long) s.oh() * s.ow()));
            int oy = rem / s.ow(), ox = rem % s.ow();
            for (int ky = 0; ky < s.kh(); ky++) {
                for (int kx = 0; kx < s.kw(); kx++) {
                    for (int c = 0; c < s.ic(); c++) {
                        // [kh][kw][ic], or [g][kh][kw][icg] (the same when there is one group)
                        long at = groupMajor
                                ? (((long) (c / icg) * s.kh() + ky) * s.kw() + kx) * icg + c % icg
                                : ((long) ky * s.kw() + kx) * s.ic() + c;
                        long want = gather(s, x, n, oy, ox, ky, kx, c);
                        long got = d.get(s.dtype(), r * len + at);
                        if (want != got) {
                            fail("patch row " + r + " (pixel " + p + ": n=" + n + " oh=" + oy + " ow=" + ox
                                    + ") kh=" + ky + " kw=" + kx + " c=" + c + ": want bits "
                                    + Long.toHexString(want) + ", got " + Long.toHexString(got) + "; " + what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void packColumnsMatchesTheGatherBitForBit() {
        int checked = 0, crossedRows = 0;
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            if (s.layout() != Layout.NCHW) {
                continue;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = input(arena, s);
                StridedSplit split = new StridedSplit(s, false);
                SplittableRandom rnd = new SplittableRandom(~seed);
                long perImage = (long) s.oh() * s.ow();
                for (long[] tile : tiles(rnd, perImage, s.ow())) {
                    int n = rnd.nextInt(s.mb());
                    int p0 = (int) tile[0], cols = (int) tile[1];
                    crossedRows += p0 / s.ow() != (p0 + cols - 1) / s.ow() ? 1 : 0;
                    long len = split.patchLength();
                    Guarded d = Guarded.of(arena, len * cols, s.dtype());
                    split.packColumns(x, n, p0, cols, d.dst());
                    String what = "seed " + seed + " n " + n + " p0 " + p0 + " cols " + cols + " " + s;
                    d.checkGuards(what);
                    for (int c = 0; c < s.ic(); c++) {
                        for (int ky = 0; ky < s.kh(); ky++) {
                            for (int kx = 0; kx < s.kw(); kx++) {
                                long row = ((long) c * s.kh() + ky) * s.kw() + kx;     // [ic][kh][kw][pixel]
                                for (int col = 0; col < cols; col++) {
                                    int p = p0 + col, oy = p / s.ow(), ox = p % s.ow();
                                    long want = gather(s, x, n, oy, ox, ky, kx, c);
                                    long got = d.get(s.dtype(), row * cols + col);
                                    if (want != got) {
                                        fail("patch column " + col + " (oh=" + oy + " ow=" + ox + ") c=" + c
                                                + " kh=" + ky + " kw=" + kx + ": want bits "
                                                + Long.toHexString(want) + ", got " + Long.toHexString(got) + "; "
                                                + what);
                                    }
                                }
                            }
                        }
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 1500, "too few tiles checked: " + checked);
        assertTrue(crossedRows > 500, "too few tiles cross output rows: " + crossedRows);
    }

    @Test
    void inputRowAndTapsMatchBruteForceAtEveryOutputPosition() {
        int emptyRanges = 0, clipped = 0;
        for (long seed = 0; seed < SPECS; seed++) {
            ConvSpec s = SmallSpecs.next(seed);
            StridedSplit split = new StridedSplit(s, seed % 2 == 0);
            for (int oy = 0; oy < s.oh(); oy++) {
                for (int ky = 0; ky < s.kh(); ky++) {
                    long h = (long) oy * s.sh() - s.padTop() + (long) ky * s.dh();
                    int want = h >= 0 && h < s.ih() ? (int) h : -1;
                    assertEquals(want, split.inputRow(oy, ky),
                            "inputRow(" + oy + ", " + ky + "), seed " + seed + " " + s);
                }
            }
            for (int ox = 0; ox < s.ow(); ox++) {
                int lo = -1, hi = -1;
                for (int kx = 0; kx < s.kw(); kx++) {
                    long w = (long) ox * s.sw() - s.padLeft() + (long) kx * s.dw();
                    if (w >= 0 && w < s.iw()) {
                        if (lo < 0) {
                            lo = kx;
                        } else {
                            assertEquals(hi, kx, "taps inside the input are not adjacent: ox " + ox + " " + s);
                        }
                        hi = kx + 1;
                    }
                }
                int first = split.firstTap(ox), end = split.endTap(ox);
                String what = "ox " + ox + ": firstTap " + first + ", endTap " + end + "; seed " + seed + " " + s;
                assertTrue(first >= 0 && first <= s.kw() && end >= 0 && end <= s.kw(), what);
                if (lo < 0) {
                    assertTrue(first >= end, "every tap lies in the padding, the range must be empty: " + what);
                    emptyRanges++;
                } else {
                    assertEquals(lo, first, what);
                    assertEquals(hi, end, what);
                    clipped += lo > 0 || hi < s.kw() ? 1 : 0;
                }
            }
        }
        assertTrue(emptyRanges > 150 && clipped > 500,
                "too few output columns with no tap (" + emptyRanges + ") or a clipped range (" + clipped + ")");
    }

    private static ConvSpec.Builder oneByOne() {
        return ConvSpec.builder().input(2, 3, 4, 6).kernel(1, 1, 6);
    }

    @Test
    void pointwiseIsOneByOneStrideOneUnpadded() {
        List<ConvSpec> yes = List.of(
                oneByOne().build(),
                oneByOne().layout(Layout.NCHW).dtype(DType.FLOAT64).build(),
                oneByOne().dilation(3, 2).build(),
                oneByOne().groups(3).build(),
                oneByOne().groups(6).dilation(2).layout(Layout.NCHW).build(),
                oneByOne().padding(Padding.explicit(0, 0, 0, 0)).build(),
                oneByOne().padding(Padding.SAME).build(),            // SAME resolves to no pad for 1x1 stride 1
                oneByOne().padding(Padding.SAME_LOWER).dilation(2).build());
        for (ConvSpec s : yes) {
            assertTrue(StridedSplit.pointwise(s), s.toString());
        }
        List<ConvSpec> no = List.of(
                oneByOne().stride(2, 1).build(),
                oneByOne().stride(1, 2).build(),
                oneByOne().padding(Padding.explicit(1, 0, 0, 0)).build(),
                oneByOne().padding(Padding.explicit(0, 1, 0, 0)).build(),
                oneByOne().padding(Padding.explicit(0, 0, 1, 0)).build(),
                oneByOne().padding(Padding.explicit(0, 0, 0, 1)).build(),
                oneByOne().padding(Padding.SAME).stride(2).build(),
                oneByOne().kernel(2, 1, 6).build(),
                oneByOne().kernel(1, 2, 6).build(),
                oneByOne().kernel(3, 3, 6).padding(Padding.SAME).build());
        for (ConvSpec s : no) {
            assertFalse(StridedSplit.pointwise(s), s.toString());
        }
    }

    @Test
    void aPointwiseInputIsItsOwnPatchMatrix() {
        int seen = 0;
        for (long seed = 0; seen < 40; seed++) {
            ConvSpec r = SmallSpecs.next(seed);
            ConvSpec s = r.toBuilder().kernel(1, 1, r.groups()).stride(1).padding(Padding.VALID).build();
            assertTrue(StridedSplit.pointwise(s), s.toString());
            seen++;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = input(arena, s);
                StridedSplit split = new StridedSplit(s, false);
                long pixels = (long) s.oh() * s.ow();
                DType t = s.dtype();
                if (s.layout() == Layout.NHWC) {
                    // the whole batch as patch rows: the input, element for element
                    Guarded d = Guarded.of(arena, s.inputElements(), t);
                    split.packRows(x, 0, (int) (s.mb() * pixels), d.dst());
                    d.checkGuards(s.toString());
                    for (long i = 0; i < s.inputElements(); i++) {
                        long e = i;
                        assertEquals(bits(t, x, i), d.get(t, i), () -> "element " + e + " of " + s);
                    }
                } else {
                    // each image as patch columns: the image's [ic][ih*iw], as stored
                    for (int n = 0; n < s.mb(); n++) {
                        Guarded d = Guarded.of(arena, s.ic() * pixels, t);
                        split.packColumns(x, n, 0, (int) pixels, d.dst());
                        d.checkGuards(s.toString());
                        for (long i = 0; i < s.ic() * pixels; i++) {
                            long image = n, e = i;
                            assertEquals(bits(t, x, n * s.ic() * pixels + i), d.get(t, i),
                                    () -> "image " + image + " element " + e + " of " + s);
                        }
                    }
                }
            }
        }
    }
}
