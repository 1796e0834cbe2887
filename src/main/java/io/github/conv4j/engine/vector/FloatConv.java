package io.github.conv4j.engine.vector;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.engine.ScratchPool;
import io.github.conv4j.engine.StridedSplit;
import io.github.conv4j.engine.TensorIndex;
import io.github.conv4j.engine.Workers;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 kernels: a direct kernel that reads the patches where they lie in staged input rows, a GEMM of
 * packed patch rows by packed weight panels for long reductions, and a direct depthwise loop.
 * All compute NHWC; an NCHW image is transposed into scratch on the way in and out.
 *
 * <p>DoubleConv, the float64 kernels, is generated from this file when the project builds (pom.xml).
 */
final class FloatConv implements ConvKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int BYTES = Float.BYTES;
    private static final ValueLayout.OfFloat ELEMENT = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int MR = VectorConv.ROWS;
    /** Patch tile budget, meant to keep the tile's rows in L2 while each weight chunk sweeps over them; a guess. */
    private static final int TILE_BYTES = 2 * 1024 * 1024;
    /**
     * Tile rows: enough to reuse each weight chunk many times, few enough to bound the scratch. Guesses: no
     * recorded run compares other bounds.
     */
    private static final int MIN_TILE_ROWS = 96, MAX_TILE_ROWS = 512;
    /**
     * Reduction chunk: a weight panel chunk of {@code KC * 2L} elements (32 KiB with 512-bit vectors) is meant to
     * stay in L1. A choice, not measured against other lengths.
     */
    private static final int KC = 256;
    /** Output pixels per register block of the depthwise loop; a choice, not measured against other widths. */
    private static final int DW_PIXELS = 4;

    private final ConvSpec s;
    private final boolean nchw, depthwise;
    private final int ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, padTop, padLeft, groups, icg, ocg;
    private final boolean relu;
    /**
     * The fused ReLU as a lower bound, {@code -inf} without one: {@code max} with it keeps NaN, like the reference.
     * Kernels apply it unconditionally, so they need no branch and no helper method (a helper that takes a vector
     * and is not inlined, as C2 declines in the large kernels, boxes the vector on every call).
     */
    private final float floor;
    /** An ungrouped {@link StridedSplit#pointwise} convolution: patch rows are input pixels, all channels. */
    private final boolean pointwise;
    /** Where the patch rows read the input: every input row and kernel column the packer takes. */
    private final StridedSplit split;
    private final TensorIndex index;
    /** GEMM reduction length per group: {@code kh * kw * icg}. */
    private final int k;
    /** Vectors per weight panel (1 or 2) and the panel width in columns. */
    private final int nv, nr, panels;
    private final int tileRows;
    /** Reduction chunk length: at most {@link #KC}, equal chunks so no short last one. */
    private final int kcStep;
    /** GEMM: {@code w[g][p][k][nr]}; depthwise: {@code w[kh][kw][ocPad]}; zeros past the real channels. */
    private final float[] w;
    /** GEMM: {@code bias[g][p][nr]}; depthwise: {@code bias[ocPad]}; zeros without a bias. */
    private final float[] bias;
    private final int ocPad;
    /** Whether the direct kernel computes this convolution (see {@link JavaVectorEngine#direct}). */
    private final boolean direct;
    /** Direct: output rows per job, staged rows per job; direct and depthwise: columns per zero-padded input row. */
    private final int jobRows, wp, stageRows;
    /**
     * Direct: where each tap starts in the staged rows, relative to the pixel. One flat loop over this table beat
     * a loop per kernel row over adjacent taps on S2 (70 to 57 us) and R6 (14400 to 13900 us), one thread
     * (see {@link JavaVectorEngine#direct}): the short inner loops cost more than the table's loads.
     */
    private final int[] tapAt;
    private final ScratchPool<Scratch> spare = new ScratchPool<>(Scratch::new);

    FloatConv(ConvSpec spec, MemorySegment weights, MemorySegment biasIn) {
        s = spec;
        nchw = spec.layout() == Layout.NCHW;
        depthwise = spec.isDepthwise();
        ih = spec.ih(); iw = spec.iw(); ic = spec.ic(); oh = spec.oh(); ow = spec.ow(); oc = spec.oc();
        kh = spec.kh(); kw = spec.kw(); sh = spec.sh(); sw = spec.sw(); dh = spec.dh(); dw = spec.dw();
        padTop = spec.padTop(); padLeft = spec.padLeft(); groups = spec.groups();
        icg = spec.icPerGroup(); ocg = spec.ocPerGroup(); relu = spec.relu();
        floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        k = kh * kw * icg;
        pointwise = StridedSplit.pointwise(spec) && groups == 1;
        split = new StridedSplit(spec, false);
        index = new TensorIndex(spec);
        direct = JavaVectorEngine.direct(spec);
        int vectors = (ocg + L - 1) / L;
        // direct: four vectors when they divide the group's channels, else two, wasting at most one vector
        nv = vectors == 1 ? 1 : direct && vectors % 4 == 0 ? 4 : 2;
        nr = nv * L;
        panels = (ocg + nr - 1) / nr;
        ocPad = VectorConv.roundUp(oc, L);
        int chunks = (k + KC - 1) / KC;
        kcStep = (k + chunks - 1) / chunks;
        int rows = Math.clamp(TILE_BYTES / BYTES / k, MIN_TILE_ROWS, MAX_TILE_ROWS) / MR * MR;
        long pixels = (long) oh * ow * (nchw ? 1 : spec.mb());
        tileRows = (int) Math.min(rows, (pixels + MR - 1) / MR * MR);
        jobRows = JavaVectorEngine.directJobRows(spec);
        wp = JavaVectorEngine.directWidth(spec);
        stageRows = (jobRows - 1) * sh + (kh - 1) * dh + 1;
        // where each tap (ky, kx, i) reads the staged rows, in the order of the packed weights
        tapAt = new int[k];
        for (int y = 0, t = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                for (int i = 0; i < icg; i++) {
                    tapAt[t++] = (y * dh * wp + x * dw) * ic + i;
                }
            }
        }
        if (depthwise) {
            w = new float[kh * kw * ocPad];
            bias = new float[ocPad];
            for (int y = 0; y < kh; y++) {
                for (int x = 0; x < kw; x++) {
                    for (int o = 0; o < oc; o++) {
                        w[(y * kw + x) * ocPad + o] = weight(weights, y, x, 0, o);
                    }
                }
            }
            for (int o = 0; biasIn != null && o < oc; o++) {
                bias[o] = biasIn.getAtIndex(ELEMENT, o);
            }
        } else {
            w = new float[groups * panels * k * nr];
            bias = new float[groups * panels * nr];
            // along the packed rows, one tap at a time: a loop over the taps inside one over the panel's channels
            // wrote each element nr floats on from the last and read the weights as far apart
            for (int g = 0; g < groups; g++) {
                for (int p = 0; p < panels; p++) {
                    int base = (g * panels + p) * k * nr, o0 = g * ocg + p * nr, width = Math.min(nr, ocg - p * nr);
                    for (int y = 0; y < kh; y++) {
                        for (int x = 0; x < kw; x++) {
                            for (int i = 0; i < icg; i++) {
                                int row = base + ((y * kw + x) * icg + i) * nr;
                                for (int c = 0; c < width; c++) {
                                    w[row + c] = weight(weights, y, x, i, o0 + c);
                                }
                            }
                        }
                    }
                    for (int c = 0; biasIn != null && c < width; c++) {
                        bias[(g * panels + p) * nr + c] = biasIn.getAtIndex(ELEMENT, o0 + c);
                    }
                }
            }
        }
        spare.give(new Scratch());    // the first call's, made now: its first call takes the pool's usual path
    }

    /** One weight from HWIO {@code w[kh][kw][i][oc]} or OIHW {@code w[oc][i][kh][kw]}. */
    private float weight(MemorySegment weights, int y, int x, int i, int o) {
        return weights.getAtIndex(ELEMENT, index.weight(y, x, i, o));
    }

    @Override
    public String implementation() {
        String kernel = depthwise ? "depthwise direct loop"
                : direct ? "direct " + directPixels() + "x" + nr : "packed GEMM " + MR + "x" + nr;
        return kernel + ", float32 x" + L
                + (nchw ? ", NCHW via NHWC scratch" : "");
    }

    @Override
    public void forward(MemorySegment segmentX, MemorySegment segmentY, int batch, int budget) {
        // workers may need a view of segments confined to this thread; forward waits for them all
        Workers.Shared shared = Workers.share(budget, segmentX, segmentY);
        MemorySegment x = shared.x(), y = shared.y();
        int threads = shared.threads();
        if (nchw) {
            Workers.run(threads, batch, (from, to) -> {
                spare.use(sc -> {
                    nchwImages(x, y, from, to, sc);
                });
            });
        } else if (direct) {
            int perImage = (oh + jobRows - 1) / jobRows;
            Workers.run(threads, batch * perImage, (from, to) -> {
                spare.use(sc -> {
                    for (int j = from; j < to; j++) {
                        int y0 = j % perImage * jobRows;
                        directRows(x, y, j / perImage, y0, Math.min(oh, y0 + jobRows), sc);
                    }
                });
            });
        } else if (depthwise) {
            Workers.run(threads, batch * oh, (from, to) -> {
                spare.use(sc -> {
                    depthwiseRows(x, y, from, to, sc.ring);
                });
            });
        } else {
            long pixels = (long) batch * oh * ow;
            int tiles = (int) ((pixels + tileRows - 1) / tileRows);
            Workers.run(threads, tiles, (from, to) -> {
                spare.use(sc -> {
                    for (int t = from; t < to; t++) {
                        long m0 = (long) t * tileRows;
                        gemmTile(x, y, m0, (int) Math.min(tileRows, pixels - m0), sc);
                    }
                });
            });
        }
    }

    /**
     * One worker's buffers. Every element is written before it is read, so a used one serves the next call:
     * workers take them from the plan's {@link #spare} pool and give them back.
     */
    private final class Scratch {
        /** GEMM patch rows {@code a[tileRows][k]} and sums {@code c[panels][tileRows][nr]}. */
        final float[] a, c;
        /**
         * GEMM: the input rows one output row reads, {@code stage[kh][iw*ic + L]}. Direct: the zero-padded input
         * rows one job reads, {@code stage[stageRows][wp][ic]}, whose padding columns stay zero from allocation.
         */
        final float[] stage;
        /** Depthwise: zero-padded input rows {@code ring[slot][wp][oc]}, channels repeated by the multiplier. */
        final float[] ring;
        /** NCHW: one image in and one out, as NHWC. */
        final float[] xi, yi;

        /** Direct: the pixels of one register block, where their patches start in {@code stage} and output. */
        final int[] pixAt;
        final long[] outAt;

        Scratch() {
            boolean gemm = !depthwise && !direct;
            a = gemm ? new float[tileRows * k] : null;
            c = gemm ? new float[panels * tileRows * nr] : direct ? new float[directPixels() * nr] : null;
            stage = direct ? new float[stageRows * wp * ic]
                    : gemm && !pointwise ? new float[kh * (iw * ic + L)] : null;
            pixAt = direct ? new int[directPixels()] : null;
            outAt = direct ? new long[directPixels()] : null;
            ring = depthwise ? new float[ringRows() * wp * oc] : null;
            xi = nchw ? new float[ih * iw * ic] : null;
            yi = nchw ? new float[oh * ow * oc] : null;
        }
    }


    /** NCHW images {@code [from, to)}: transpose each into NHWC scratch, compute, transpose back. */
    private void nchwImages(MemorySegment x, MemorySegment y, int from, int to, Scratch sc) {
        float[] xi = sc.xi, yi = sc.yi;
        MemorySegment xs = MemorySegment.ofArray(xi), ys = MemorySegment.ofArray(yi);
        int inPlane = ih * iw, outPlane = oh * ow;
        for (int n = from; n < to; n++) {
            // xi[h][w][c] <- x[n][c][h][w]
            for (int c = 0; c < ic; c++) {
                long src = ((long) n * ic + c) * inPlane;
                for (int p = 0; p < inPlane; p++) {
                    xi[p * ic + c] = x.getAtIndex(ELEMENT, src + p);
                }
            }
            if (depthwise) {
                depthwiseRows(xs, ys, 0, oh, sc.ring);
            } else if (direct) {
                for (int y0 = 0; y0 < oh; y0 += jobRows) {
                    directRows(xs, ys, 0, y0, Math.min(oh, y0 + jobRows), sc);
                }
            } else {
                for (int m0 = 0; m0 < outPlane; m0 += tileRows) {
                    gemmTile(xs, ys, m0, Math.min(tileRows, outPlane - m0), sc);
                }
            }
            // y[n][c][h][w] <- yi[h][w][c]
            for (int c = 0; c < oc; c++) {
                long dst = ((long) n * oc + c) * outPlane;
                for (int p = 0; p < outPlane; p++) {
                    y.setAtIndex(ELEMENT, dst + p, yi[p * oc + c]);
                }
            }
        }
    }

    // ---- GEMM --------------------------------------------------------------------------------------------

    /**
     * Output pixels {@code [m0, m0 + rows)} of NHWC {@code y}, all groups, from NHWC {@code x}: per group, pack the
     * patch rows once, then for each reduction chunk sweep every weight panel over every row block, summing in
     * {@code c[p][row][nr]}; bias first, ReLU on the way out.
     */
    private void gemmTile(MemorySegment x, MemorySegment y, long m0, int rows, Scratch sc) {
        float[] a = sc.a, c = sc.c;
        int blocks = VectorConv.roundUp(rows, MR);
        for (int g = 0; g < groups; g++) {
            pack(x, m0, rows, g, a, sc.stage);
            for (int p = 0; p < panels; p++) {
                int biasAt = (g * panels + p) * nr;
                for (int j = 0; j < nr; j += L) {
                    FloatVector b = FloatVector.fromArray(SPECIES, bias, biasAt + j);
                    for (int r = 0, at = p * tileRows * nr + j; r < blocks; r++, at += nr) {
                        b.intoArray(c, at);
                    }
                }
            }
            for (int k0 = 0; k0 < k; k0 += kcStep) {
                int kc = Math.min(kcStep, k - k0);
                for (int p = 0; p < panels; p++) {
                    int panel = (g * panels + p) * k * nr + k0 * nr;
                    for (int r = 0; r < blocks; r += MR) {
                        int sums = (p * tileRows + r) * nr;
                        if (nv == 2) {
                            block12x2(a, r * k + k0, kc, panel, c, sums);
                        } else {
                            block12x1(a, r * k + k0, kc, panel, c, sums);
                        }
                    }
                }
            }
            writeBack(c, rows, y, m0, g);
        }
    }

    /** {@code y[m0 + r][g*ocg + p*nr + j] <- relu?(c[p][r][j])} for the real rows and channels, row by row. */
    private void writeBack(float[] c, int rows, MemorySegment y, long m0, int g) {
        long rowBytes = (long) oc * BYTES, group = (long) g * ocg * BYTES;
        for (int r = 0; r < rows; r++) {
            long out = (m0 + r) * rowBytes + group;
            for (int p = 0; p < panels; p++) {
                int cols = Math.min(nr, ocg - p * nr), at = (p * tileRows + r) * nr;
                for (int j = 0; j < cols; j += L) {
                    store(FloatVector.fromArray(SPECIES, c, at + j), y, out + (long) (p * nr + j) * BYTES, cols - j);
                }
            }
        }
    }

    /**
     * Packs patch rows of group {@code g} for output pixels {@code [m0, m0 + rows)}, zero rows up to a whole block.
     * Layout: {@code a[row][kh][kw][icg] <- x[n][oh*sh - padTop + kh*dh][ow*sw - padLeft + kw*dw][g*icg + i]}.
     */
    private void pack(MemorySegment x, long m0, int rows, int g, float[] a, float[] stage) {
        if (pointwise) {
            // output pixel m reads input pixel m: the patch rows already lie one after another in x
            MemorySegment.copy(x, ELEMENT, m0 * ic * BYTES, a, 0, rows * ic);
        } else {
            packRows(x, m0, rows, g, a, stage);
        }
        Arrays.fill(a, rows * k, VectorConv.roundUp(rows, MR) * k, 0f);
    }

    private void packRows(MemorySegment x, long m0, int rows, int g, float[] a, float[] stage) {
        long plane = (long) oh * ow;
        int n = (int) (m0 / plane), rem = (int) (m0 % plane), y = rem / ow, xo = rem % ow;
        stage(x, n, y, stage);
        for (int r = 0; r < rows; r++) {
            packRow(stage, y, xo, g, a, r * k);
            if (++xo == ow) {
                xo = 0;
                if (++y == oh) {
                    y = 0;
                    n++;
                }
                if (r + 1 < rows) {
                    stage(x, n, y, stage);
                }
            }
        }
    }

    /**
     * Copies the input rows that output row {@code y} of image {@code n} reads into {@code stage[ky][iw*ic + L]}
     * with one bulk copy each, so the packer's many short reads come from an array (no per-access segment
     * checks). Rows above or below the image are left as they are; {@link #packRow} never reads them.
     */
    private void stage(MemorySegment x, int n, int y, float[] stage) {
        int rowLen = iw * ic + L;
        for (int ky = 0; ky < kh; ky++) {
            int yi = split.inputRow(y, ky);
            if (yi >= 0) {
                MemorySegment.copy(x, ELEMENT, ((long) n * ih + yi) * iw * ic * BYTES, stage, ky * rowLen, iw * ic);
            }
        }
    }

    /**
     * One patch row from the staged input rows. Layout: {@code a[kh][kw][icg] <- stage[kh][iw][ic]} at
     * {@code iw = ow*sw - padLeft + kw*dw}, channels {@code g*icg ..}, zero outside the input.
     */
    private void packRow(float[] stage, int y, int xo, int g, float[] a, int dst) {
        int span = kw * icg, x0 = xo * sw - padLeft, rowLen = iw * ic + L;
        // kernel columns [lo, hi) read inside the input; the rest are zero
        int lo = split.firstTap(xo), hi = Math.max(lo, split.endTap(xo));
        // with one group and no horizontal dilation the kw taps of a kernel row are one run of input
        boolean run = dw == 1 && icg == ic;
        for (int ky = 0; ky < kh; ky++, dst += span) {
            if (split.inputRow(y, ky) < 0) {
                Arrays.fill(a, dst, dst + span, 0f);
                continue;
            }
            int row = ky * rowLen + g * icg;
            // most rows are interior: skip the empty fills
            if (lo > 0) {
                Arrays.fill(a, dst, dst + lo * icg, 0f);
            }
            if (run) {
                move(stage, row + (x0 + lo) * ic, a, dst + lo * icg, (hi - lo) * icg);
            } else {
                for (int kx = lo; kx < hi; kx++) {
                    move(stage, row + (x0 + kx * dw) * ic, a, dst + kx * icg, icg);
                }
            }
            if (hi < kw) {
                Arrays.fill(a, dst + hi * icg, dst + span, 0f);
            }
        }
    }

    /**
     * {@code a[to..] <- stage[from..]}, {@code count} elements. Short runs (a few channels) move as whole vectors:
     * the staged rows have L spare slots, and lanes past the run land where the packer writes next, or in the
     * zero rows it fills after, because it fills {@code a} strictly front to back.
     */
    private static void move(float[] stage, int from, float[] a, int to, int count) {
        if (count >= 4 * L) {
            System.arraycopy(stage, from, a, to, count);
            return;
        }
        for (int i = 0; i < count; i += L) {
            if (to + i + L <= a.length) {
                FloatVector.fromArray(SPECIES, stage, from + i).intoArray(a, to + i);
            } else {
                System.arraycopy(stage, from + i, a, to + i, count - i);
            }
        }
    }

    /**
     * Micro-kernel, 12 rows by 2 vectors: {@code c[r][j] += sum_i a[r][k0 + i] * w[k0 + i][j]}, one broadcast of
     * {@code a} feeding two FMAs into 24 accumulators. Layout: {@code a[12][k]} row-major from {@code aOff},
     * {@code w[kc][2L]} panel chunk from {@code panel}, {@code c[12][2L]} from {@code sums}.
     */
    private void block12x2(float[] a, int aOff, int kc, int panel, float[] c, int sums) {
        int s0 = sums, s1 = s0 + 2 * L, s2 = s1 + 2 * L, s3 = s2 + 2 * L, s4 = s3 + 2 * L, s5 = s4 + 2 * L;
        int s6 = s5 + 2 * L, s7 = s6 + 2 * L, s8 = s7 + 2 * L, s9 = s8 + 2 * L, s10 = s9 + 2 * L, s11 = s10 + 2 * L;
        FloatVector c00 = FloatVector.fromArray(SPECIES, c, s0), c01 = FloatVector.fromArray(SPECIES, c, s0 + L);
        FloatVector c10 = FloatVector.fromArray(SPECIES, c, s1), c11 = FloatVector.fromArray(SPECIES, c, s1 + L);
        FloatVector c20 = FloatVector.fromArray(SPECIES, c, s2), c21 = FloatVector.fromArray(SPECIES, c, s2 + L);
        FloatVector c30 = FloatVector.fromArray(SPECIES, c, s3), c31 = FloatVector.fromArray(SPECIES, c, s3 + L);
        FloatVector c40 = FloatVector.fromArray(SPECIES, c, s4), c41 = FloatVector.fromArray(SPECIES, c, s4 + L);
        FloatVector c50 = FloatVector.fromArray(SPECIES, c, s5), c51 = FloatVector.fromArray(SPECIES, c, s5 + L);
        FloatVector c60 = FloatVector.fromArray(SPECIES, c, s6), c61 = FloatVector.fromArray(SPECIES, c, s6 + L);
        FloatVector c70 = FloatVector.fromArray(SPECIES, c, s7), c71 = FloatVector.fromArray(SPECIES, c, s7 + L);
        FloatVector c80 = FloatVector.fromArray(SPECIES, c, s8), c81 = FloatVector.fromArray(SPECIES, c, s8 + L);
        FloatVector c90 = FloatVector.fromArray(SPECIES, c, s9), c91 = FloatVector.fromArray(SPECIES, c, s9 + L);
        FloatVector c100 = FloatVector.fromArray(SPECIES, c, s10), c101 = FloatVector.fromArray(SPECIES, c, s10 + L);
        FloatVector c110 = FloatVector.fromArray(SPECIES, c, s11), c111 = FloatVector.fromArray(SPECIES, c, s11 + L);
        int a0 = aOff, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, a4 = a3 + k, a5 = a4 + k, a6 = a5 + k;
        int a7 = a6 + k, a8 = a7 + k, a9 = a8 + k, a10 = a9 + k, a11 = a10 + k;
        float[] b = w;
        for (int i = 0, bi = panel; i < kc; i++, bi += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
            FloatVector v = FloatVector.broadcast(SPECIES, a[a0 + i]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(SPECIES, a[a1 + i]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(SPECIES, a[a2 + i]);
            c20 = v.fma(b0, c20); c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(SPECIES, a[a3 + i]);
            c30 = v.fma(b0, c30); c31 = v.fma(b1, c31);
            v = FloatVector.broadcast(SPECIES, a[a4 + i]);
            c40 = v.fma(b0, c40); c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(SPECIES, a[a5 + i]);
            c50 = v.fma(b0, c50); c51 = v.fma(b1, c51);
            v = FloatVector.broadcast(SPECIES, a[a6 + i]);
            c60 = v.fma(b0, c60); c61 = v.fma(b1, c61);
            v = FloatVector.broadcast(SPECIES, a[a7 + i]);
            c70 = v.fma(b0, c70); c71 = v.fma(b1, c71);
            v = FloatVector.broadcast(SPECIES, a[a8 + i]);
            c80 = v.fma(b0, c80); c81 = v.fma(b1, c81);
            v = FloatVector.broadcast(SPECIES, a[a9 + i]);
            c90 = v.fma(b0, c90); c91 = v.fma(b1, c91);
            v = FloatVector.broadcast(SPECIES, a[a10 + i]);
            c100 = v.fma(b0, c100); c101 = v.fma(b1, c101);
            v = FloatVector.broadcast(SPECIES, a[a11 + i]);
            c110 = v.fma(b0, c110); c111 = v.fma(b1, c111);
        }
        c00.intoArray(c, s0); c01.intoArray(c, s0 + L);
        c10.intoArray(c, s1); c11.intoArray(c, s1 + L);
        c20.intoArray(c, s2); c21.intoArray(c, s2 + L);
        c30.intoArray(c, s3); c31.intoArray(c, s3 + L);
        c40.intoArray(c, s4); c41.intoArray(c, s4 + L);
        c50.intoArray(c, s5); c51.intoArray(c, s5 + L);
        c60.intoArray(c, s6); c61.intoArray(c, s6 + L);
        c70.intoArray(c, s7); c71.intoArray(c, s7 + L);
        c80.intoArray(c, s8); c81.intoArray(c, s8 + L);
        c90.intoArray(c, s9); c91.intoArray(c, s9 + L);
        c100.intoArray(c, s10); c101.intoArray(c, s10 + L);
        c110.intoArray(c, s11); c111.intoArray(c, s11 + L);
    }

    /** Micro-kernel, 12 rows by 1 vector, for groups of at most L output channels; layout as {@link #block12x2}. */
    private void block12x1(float[] a, int aOff, int kc, int panel, float[] c, int sums) {
        int s0 = sums, s1 = s0 + L, s2 = s1 + L, s3 = s2 + L, s4 = s3 + L, s5 = s4 + L;
        int s6 = s5 + L, s7 = s6 + L, s8 = s7 + L, s9 = s8 + L, s10 = s9 + L, s11 = s10 + L;
        FloatVector c0 = FloatVector.fromArray(SPECIES, c, s0);
        FloatVector c1 = FloatVector.fromArray(SPECIES, c, s1);
        FloatVector c2 = FloatVector.fromArray(SPECIES, c, s2);
        FloatVector c3 = FloatVector.fromArray(SPECIES, c, s3);
        FloatVector c4 = FloatVector.fromArray(SPECIES, c, s4);
        FloatVector c5 = FloatVector.fromArray(SPECIES, c, s5);
        FloatVector c6 = FloatVector.fromArray(SPECIES, c, s6);
        FloatVector c7 = FloatVector.fromArray(SPECIES, c, s7);
        FloatVector c8 = FloatVector.fromArray(SPECIES, c, s8);
        FloatVector c9 = FloatVector.fromArray(SPECIES, c, s9);
        FloatVector c10 = FloatVector.fromArray(SPECIES, c, s10);
        FloatVector c11 = FloatVector.fromArray(SPECIES, c, s11);
        int a0 = aOff, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k, a4 = a3 + k, a5 = a4 + k, a6 = a5 + k;
        int a7 = a6 + k, a8 = a7 + k, a9 = a8 + k, a10 = a9 + k, a11 = a10 + k;
        float[] b = w;
        for (int i = 0, bi = panel; i < kc; i++, bi += L) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            c0 = FloatVector.broadcast(SPECIES, a[a0 + i]).fma(b0, c0);
            c1 = FloatVector.broadcast(SPECIES, a[a1 + i]).fma(b0, c1);
            c2 = FloatVector.broadcast(SPECIES, a[a2 + i]).fma(b0, c2);
            c3 = FloatVector.broadcast(SPECIES, a[a3 + i]).fma(b0, c3);
            c4 = FloatVector.broadcast(SPECIES, a[a4 + i]).fma(b0, c4);
            c5 = FloatVector.broadcast(SPECIES, a[a5 + i]).fma(b0, c5);
            c6 = FloatVector.broadcast(SPECIES, a[a6 + i]).fma(b0, c6);
            c7 = FloatVector.broadcast(SPECIES, a[a7 + i]).fma(b0, c7);
            c8 = FloatVector.broadcast(SPECIES, a[a8 + i]).fma(b0, c8);
            c9 = FloatVector.broadcast(SPECIES, a[a9 + i]).fma(b0, c9);
            c10 = FloatVector.broadcast(SPECIES, a[a10 + i]).fma(b0, c10);
            c11 = FloatVector.broadcast(SPECIES, a[a11 + i]).fma(b0, c11);
        }
        c0.intoArray(c, s0);
        c1.intoArray(c, s1);
        c2.intoArray(c, s2);
        c3.intoArray(c, s3);
        c4.intoArray(c, s4);
        c5.intoArray(c, s5);
        c6.intoArray(c, s6);
        c7.intoArray(c, s7);
        c8.intoArray(c, s8);
        c9.intoArray(c, s9);
        c10.intoArray(c, s10);
        c11.intoArray(c, s11);
    }

    /** Stores the first {@code cols} lanes (all when {@code cols >= L}), after the fused ReLU. */
    private void store(FloatVector v, MemorySegment y, long out, int cols) {
        if (relu) {
            v = v.max(0f);   // like the reference, NaN stays NaN
        }
        if (cols >= L) {
            v.intoMemorySegment(y, out, ORDER);
        } else {
            v.intoMemorySegment(y, out, ORDER, SPECIES.indexInRange(0, cols));
        }
    }

    // ---- direct -----------------------------------------------------------------------------------------

    /** Output pixels per register block of the direct kernel: 24 accumulators, or 12 for one vector. */
    private int directPixels() {
        return nv == 4 ? 6 : 12;
    }

    /**
     * NHWC output rows {@code [y0, y1)} of image {@code n}, all groups, computed straight from the input: stage
     * the input rows they read, zero padded, then for each weight panel and each block of output pixels (running
     * on across output rows) sum every tap in registers, bias first, ReLU on the way out. The packed weights have
     * the GEMM's layout, {@code w[g][p][kh][kw][icg][nr]}.
     */
    private void directRows(MemorySegment x, MemorySegment y, int n, int y0, int y1, Scratch sc) {
        float[] stage = sc.stage;
        int[] pixAt = sc.pixAt;
        long[] outAt = sc.outAt;
        float[] acc = sc.c;
        FloatVector lo = FloatVector.broadcast(SPECIES, floor);
        VectorMask<Float> tail = SPECIES.indexInRange(0, ocg % L);
        stageDirect(x, n, y0, y1, stage);
        int pixels = (y1 - y0) * ow, block = directPixels();
        long outStep = (long) oc * BYTES;
        for (int g = 0; g < groups; g++) {
            long out = ((((long) n * oh + y0) * ow) * oc + g * ocg) * BYTES;
            int xo = 0, rowStart = g * icg, rowStep = sh * wp * ic, colStep = sw * ic;
            for (int m0 = 0; m0 < pixels; m0 += block) {
                // pixels past the last compute and store the last one again, the same values
                for (int i = 0; i < block; i++) {
                    if (m0 + i < pixels) {
                        pixAt[i] = rowStart + xo * colStep;
                        outAt[i] = out;
                        out += outStep;
                        if (++xo == ow) {
                            xo = 0;
                            rowStart += rowStep;
                        }
                    } else {
                        pixAt[i] = pixAt[i - 1];
                        outAt[i] = outAt[i - 1];
                    }
                }
                // every panel of a block before the next block: each output pixel is written whole at once
                for (int p = 0; p < panels; p++) {
                    int cols = Math.min(nr, ocg - p * nr), panel = (g * panels + p) * k * nr;
                    int biasAt = (g * panels + p) * nr;
                    long shift = (long) p * nr * BYTES;
                    if (nv == 1) {
                        direct12x1(stage, pixAt, panel, biasAt, acc);
                    } else if (nv == 2) {
                        direct12x2(stage, pixAt, panel, biasAt, acc);
                    } else {
                        direct6x4(stage, pixAt, panel, biasAt, acc);
                    }
                    // stores apart from the kernels: written out there, they make a method too large for C1, which
                    // then leaves the kernel in slow code for seconds
                    if (cols == L) {
                        for (int i = 0; i < block; i++) {
                            FloatVector.fromArray(SPECIES, acc, i * nr).max(lo).intoMemorySegment(y, outAt[i] + shift,
                                    ORDER);
                        }
                    } else {
                        for (int i = 0; i < block; i++) {
                            for (int j = 0; j < cols; j += L) {
                                FloatVector v = FloatVector.fromArray(SPECIES, acc, i * nr + j).max(lo);
                                if (j + L <= cols) {
                                    v.intoMemorySegment(y, outAt[i] + shift + (long) j * BYTES, ORDER);
                                } else {
                                    v.intoMemorySegment(y, outAt[i] + shift + (long) j * BYTES, ORDER, tail);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code stage[r][wp][ic] <- x[n][y0*sh - padTop + r][c - padLeft][ic]}, zero outside the input, for the
     * {@code (y1 - y0 - 1) * sh + (kh - 1) * dh + 1} input rows that output rows {@code [y0, y1)} read. Padding
     * columns are never written with data, so they stay zero from allocation; rows in the padding are refilled.
     */
    private void stageDirect(MemorySegment x, int n, int y0, int y1, float[] stage) {
        int rows = (y1 - y0 - 1) * sh + (kh - 1) * dh + 1, rowLen = wp * ic;
        int cols = Math.max(0, Math.min(iw, wp - padLeft));
        for (int r = 0; r < rows; r++) {
            int yi = y0 * sh - padTop + r;
            if (yi < 0 || yi >= ih) {
                Arrays.fill(stage, r * rowLen, (r + 1) * rowLen, 0f);
            } else if (cols > 0) {
                MemorySegment.copy(x, ELEMENT, (((long) n * ih + yi) * iw) * ic * BYTES, stage,
                        r * rowLen + padLeft * ic, cols * ic);
            }
        }
    }

    /**
     * Direct micro-kernel, 12 pixels by 1 vector: {@code acc[p] = bias + sum_t a[pixAt[p] + t] * w[t]} over the
     * taps {@code t} of {@link #tapAt}, weights {@code w[k][L]} from {@code panel}.
     */
    private void direct12x1(float[] a, int[] pixAt, int panel, int biasAt, float[] acc) {
        int p0 = pixAt[0], p1 = pixAt[1], p2 = pixAt[2], p3 = pixAt[3], p4 = pixAt[4], p5 = pixAt[5];
        int p6 = pixAt[6], p7 = pixAt[7], p8 = pixAt[8], p9 = pixAt[9], p10 = pixAt[10], p11 = pixAt[11];
        FloatVector c0 = FloatVector.fromArray(SPECIES, bias, biasAt);
        FloatVector c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0;
        FloatVector c11 = c0;
        float[] b = w;
        int[] taps = tapAt;
        for (int i = 0, bi = panel; i < taps.length; i++, bi += L) {
            int t = taps[i];
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            c0 = FloatVector.broadcast(SPECIES, a[p0 + t]).fma(b0, c0);
            c1 = FloatVector.broadcast(SPECIES, a[p1 + t]).fma(b0, c1);
            c2 = FloatVector.broadcast(SPECIES, a[p2 + t]).fma(b0, c2);
            c3 = FloatVector.broadcast(SPECIES, a[p3 + t]).fma(b0, c3);
            c4 = FloatVector.broadcast(SPECIES, a[p4 + t]).fma(b0, c4);
            c5 = FloatVector.broadcast(SPECIES, a[p5 + t]).fma(b0, c5);
            c6 = FloatVector.broadcast(SPECIES, a[p6 + t]).fma(b0, c6);
            c7 = FloatVector.broadcast(SPECIES, a[p7 + t]).fma(b0, c7);
            c8 = FloatVector.broadcast(SPECIES, a[p8 + t]).fma(b0, c8);
            c9 = FloatVector.broadcast(SPECIES, a[p9 + t]).fma(b0, c9);
            c10 = FloatVector.broadcast(SPECIES, a[p10 + t]).fma(b0, c10);
            c11 = FloatVector.broadcast(SPECIES, a[p11 + t]).fma(b0, c11);
        }
        c0.intoArray(acc, 0);
        c1.intoArray(acc, 1 * L);
        c2.intoArray(acc, 2 * L);
        c3.intoArray(acc, 3 * L);
        c4.intoArray(acc, 4 * L);
        c5.intoArray(acc, 5 * L);
        c6.intoArray(acc, 6 * L);
        c7.intoArray(acc, 7 * L);
        c8.intoArray(acc, 8 * L);
        c9.intoArray(acc, 9 * L);
        c10.intoArray(acc, 10 * L);
        c11.intoArray(acc, 11 * L);
    }

    /** Direct micro-kernel, 12 pixels by 2 vectors; layout as {@link #direct12x1}, weights {@code w[k][2L]}. */
    private void direct12x2(float[] a, int[] pixAt, int panel, int biasAt, float[] acc) {
        int p0 = pixAt[0], p1 = pixAt[1], p2 = pixAt[2], p3 = pixAt[3], p4 = pixAt[4], p5 = pixAt[5];
        int p6 = pixAt[6], p7 = pixAt[7], p8 = pixAt[8], p9 = pixAt[9], p10 = pixAt[10], p11 = pixAt[11];
        FloatVector c00 = FloatVector.fromArray(SPECIES, bias, biasAt);
        FloatVector c01 = FloatVector.fromArray(SPECIES, bias, biasAt + L);
        FloatVector c10 = c00, c20 = c00, c30 = c00, c40 = c00, c50 = c00, c60 = c00, c70 = c00, c80 = c00;
        FloatVector c90 = c00, c100 = c00, c110 = c00;
        FloatVector c11 = c01, c21 = c01, c31 = c01, c41 = c01, c51 = c01, c61 = c01, c71 = c01, c81 = c01;
        FloatVector c91 = c01, c101 = c01, c111 = c01;
        float[] b = w;
        int[] taps = tapAt;
        for (int i = 0, bi = panel; i < taps.length; i++, bi += 2 * L) {
            int t = taps[i];
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
            FloatVector v = FloatVector.broadcast(SPECIES, a[p0 + t]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01);
            v = FloatVector.broadcast(SPECIES, a[p1 + t]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11);
            v = FloatVector.broadcast(SPECIES, a[p2 + t]);
            c20 = v.fma(b0, c20); c21 = v.fma(b1, c21);
            v = FloatVector.broadcast(SPECIES, a[p3 + t]);
            c30 = v.fma(b0, c30); c31 = v.fma(b1, c31);
            v = FloatVector.broadcast(SPECIES, a[p4 + t]);
            c40 = v.fma(b0, c40); c41 = v.fma(b1, c41);
            v = FloatVector.broadcast(SPECIES, a[p5 + t]);
            c50 = v.fma(b0, c50); c51 = v.fma(b1, c51);
            v = FloatVector.broadcast(SPECIES, a[p6 + t]);
            c60 = v.fma(b0, c60); c61 = v.fma(b1, c61);
            v = FloatVector.broadcast(SPECIES, a[p7 + t]);
            c70 = v.fma(b0, c70); c71 = v.fma(b1, c71);
            v = FloatVector.broadcast(SPECIES, a[p8 + t]);
            c80 = v.fma(b0, c80); c81 = v.fma(b1, c81);
            v = FloatVector.broadcast(SPECIES, a[p9 + t]);
            c90 = v.fma(b0, c90); c91 = v.fma(b1, c91);
            v = FloatVector.broadcast(SPECIES, a[p10 + t]);
            c100 = v.fma(b0, c100); c101 = v.fma(b1, c101);
            v = FloatVector.broadcast(SPECIES, a[p11 + t]);
            c110 = v.fma(b0, c110); c111 = v.fma(b1, c111);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, 1 * L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
        c40.intoArray(acc, 8 * L);
        c41.intoArray(acc, 9 * L);
        c50.intoArray(acc, 10 * L);
        c51.intoArray(acc, 11 * L);
        c60.intoArray(acc, 12 * L);
        c61.intoArray(acc, 13 * L);
        c70.intoArray(acc, 14 * L);
        c71.intoArray(acc, 15 * L);
        c80.intoArray(acc, 16 * L);
        c81.intoArray(acc, 17 * L);
        c90.intoArray(acc, 18 * L);
        c91.intoArray(acc, 19 * L);
        c100.intoArray(acc, 20 * L);
        c101.intoArray(acc, 21 * L);
        c110.intoArray(acc, 22 * L);
        c111.intoArray(acc, 23 * L);
    }

    /** Direct micro-kernel, 6 pixels by 4 vectors; layout as {@link #direct12x1}, weights {@code w[k][4L]}. */
    private void direct6x4(float[] a, int[] pixAt, int panel, int biasAt, float[] acc) {
        int p0 = pixAt[0], p1 = pixAt[1], p2 = pixAt[2], p3 = pixAt[3], p4 = pixAt[4], p5 = pixAt[5];
        FloatVector c00 = FloatVector.fromArray(SPECIES, bias, biasAt);
        FloatVector c01 = FloatVector.fromArray(SPECIES, bias, biasAt + L);
        FloatVector c02 = FloatVector.fromArray(SPECIES, bias, biasAt + 2 * L);
        FloatVector c03 = FloatVector.fromArray(SPECIES, bias, biasAt + 3 * L);
        FloatVector c10 = c00, c20 = c00, c30 = c00, c40 = c00, c50 = c00;
        FloatVector c11 = c01, c21 = c01, c31 = c01, c41 = c01, c51 = c01;
        FloatVector c12 = c02, c22 = c02, c32 = c02, c42 = c02, c52 = c02;
        FloatVector c13 = c03, c23 = c03, c33 = c03, c43 = c03, c53 = c03;
        float[] b = w;
        int[] taps = tapAt;
        for (int i = 0, bi = panel; i < taps.length; i++, bi += 4 * L) {
            int t = taps[i];
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(SPECIES, b, bi + 3 * L);
            FloatVector v = FloatVector.broadcast(SPECIES, a[p0 + t]);
            c00 = v.fma(b0, c00); c01 = v.fma(b1, c01); c02 = v.fma(b2, c02); c03 = v.fma(b3, c03);
            v = FloatVector.broadcast(SPECIES, a[p1 + t]);
            c10 = v.fma(b0, c10); c11 = v.fma(b1, c11); c12 = v.fma(b2, c12); c13 = v.fma(b3, c13);
            v = FloatVector.broadcast(SPECIES, a[p2 + t]);
            c20 = v.fma(b0, c20); c21 = v.fma(b1, c21); c22 = v.fma(b2, c22); c23 = v.fma(b3, c23);
            v = FloatVector.broadcast(SPECIES, a[p3 + t]);
            c30 = v.fma(b0, c30); c31 = v.fma(b1, c31); c32 = v.fma(b2, c32); c33 = v.fma(b3, c33);
            v = FloatVector.broadcast(SPECIES, a[p4 + t]);
            c40 = v.fma(b0, c40); c41 = v.fma(b1, c41); c42 = v.fma(b2, c42); c43 = v.fma(b3, c43);
            v = FloatVector.broadcast(SPECIES, a[p5 + t]);
            c50 = v.fma(b0, c50); c51 = v.fma(b1, c51); c52 = v.fma(b2, c52); c53 = v.fma(b3, c53);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, 1 * L);
        c02.intoArray(acc, 2 * L);
        c03.intoArray(acc, 3 * L);
        c10.intoArray(acc, 4 * L);
        c11.intoArray(acc, 5 * L);
        c12.intoArray(acc, 6 * L);
        c13.intoArray(acc, 7 * L);
        c20.intoArray(acc, 8 * L);
        c21.intoArray(acc, 9 * L);
        c22.intoArray(acc, 10 * L);
        c23.intoArray(acc, 11 * L);
        c30.intoArray(acc, 12 * L);
        c31.intoArray(acc, 13 * L);
        c32.intoArray(acc, 14 * L);
        c33.intoArray(acc, 15 * L);
        c40.intoArray(acc, 16 * L);
        c41.intoArray(acc, 17 * L);
        c42.intoArray(acc, 18 * L);
        c43.intoArray(acc, 19 * L);
        c50.intoArray(acc, 20 * L);
        c51.intoArray(acc, 21 * L);
        c52.intoArray(acc, 22 * L);
        c53.intoArray(acc, 23 * L);
    }

    // ---- depthwise ---------------------------------------------------------------------------------------

    /** Ring slots for staged input rows: every row one output row reads maps to its own slot. */
    private int ringRows() {
        return Math.min((kh - 1) * dh + 1, ih);
    }

    /**
     * NHWC output rows {@code [from, to)} (row = n * oh + y) of a depthwise convolution, vectorised over output
     * channels. Layout: {@code y[n][y][x][o] = bias[o] + sum x[n][y*sh+..][x*sw+..][o / mult] * w[kh][kw][o]}.
     * The loops read input rows staged in {@code ring[slot][wp][oc]}, zero padded left and right, each input
     * channel repeated {@code mult} times; a row that consecutive output rows share is staged once. Reading arrays
     * rather than the input segment, with no border cases, measured on D1 (compare, median us, one thread, AMD
     * EPYC, three runs each): 2438-2703 before against oneDNN's 1205-1327 in the same runs, 1647-1784 after
     * against 998-1209.
     */
    private void depthwiseRows(MemorySegment x, MemorySegment y, int from, int to, float[] ring) {
        int slots = ringRows(), rowLen = wp * oc;
        long[] slotRow = new long[slots];
        Arrays.fill(slotRow, -1);
        int[] rowAt = new int[kh];
        boolean threeTaps = kw == 3 && sw == 1 && dw == 1;
        for (int row = from; row < to; row++) {
            int n = row / oh, yo = row % oh;
            for (int ky = 0; ky < kh; ky++) {
                int yi = yo * sh - padTop + ky * dh;
                if (yi < 0 || yi >= ih) {
                    rowAt[ky] = -1;
                } else {
                    int slot = yi % slots;
                    long id = (long) n * ih + yi;
                    if (slotRow[slot] != id) {
                        stageRow(x, n, yi, ring, slot * rowLen);
                        slotRow[slot] = id;
                    }
                    rowAt[ky] = slot * rowLen;
                }
            }
            long outRow = (long) row * ow * oc * BYTES;
            for (int c = 0; c < oc; c += L) {
                if (c + L <= oc) {
                    int xo = 0;
                    for (; threeTaps && xo + 8 <= ow; xo += 8) {
                        depthwise8k3(ring, rowAt, y, outRow, xo, c);
                    }
                    for (; xo + DW_PIXELS <= ow; xo += DW_PIXELS) {
                        depthwise4(ring, rowAt, y, outRow, xo, c);
                    }
                    for (; xo < ow; xo++) {
                        depthwisePixel(ring, rowAt, y, outRow, xo, c, null);
                    }
                } else {
                    VectorMask<Float> tail = SPECIES.indexInRange(c, oc);
                    for (int xo = 0; xo < ow; xo++) {
                        depthwisePixel(ring, rowAt, y, outRow, xo, c, tail);
                    }
                }
            }
        }
    }

    /**
     * {@code ring[at + (padLeft + x)*oc + o] <- x[n][yi][x][o / mult]}: one bulk copy without a multiplier. The
     * padding columns are never written, so they stay zero from allocation.
     */
    private void stageRow(MemorySegment x, int n, int yi, float[] ring, int at) {
        long src = ((long) n * ih + yi) * iw * ic;
        int cols = Math.max(0, Math.min(iw, wp - padLeft));
        at += padLeft * oc;
        if (ocg == 1) {
            MemorySegment.copy(x, ELEMENT, src * BYTES, ring, at, cols * ic);
            return;
        }
        int mult = ocg;
        for (int xi = 0; xi < cols; xi++) {
            for (int c = 0; c < ic; c++) {
                float v = x.getAtIndex(ELEMENT, src + (long) xi * ic + c);
                Arrays.fill(ring, at + (xi * ic + c) * mult, at + (xi * ic + c + 1) * mult, v);
            }
        }
    }

    /** One output pixel, channels {@code [c, c + L)}; {@code tail} masks the last block. */
    private void depthwisePixel(float[] ring, int[] rowAt, MemorySegment y, long outRow, int xo, int c,
            VectorMask<Float> tail) {
        FloatVector acc = FloatVector.fromArray(SPECIES, bias, c);
        for (int ky = 0; ky < kh; ky++) {
            if (rowAt[ky] < 0) {
                continue;
            }
            for (int kx = 0, at = rowAt[ky] + xo * sw * oc + c; kx < kw; kx++, at += dw * oc) {
                FloatVector v = tail == null ? FloatVector.fromArray(SPECIES, ring, at)
                        : FloatVector.fromArray(SPECIES, ring, at, tail);
                acc = v.fma(FloatVector.fromArray(SPECIES, w, (ky * kw + kx) * ocPad + c), acc);
            }
        }
        long out = outRow + ((long) xo * oc + c) * BYTES;
        acc = acc.max(FloatVector.broadcast(SPECIES, floor));
        if (tail == null) {
            acc.intoMemorySegment(y, out, ORDER);
        } else {
            acc.intoMemorySegment(y, out, ORDER, tail);
        }
    }

    /**
     * Eight neighbouring output pixels of a 3-wide, stride 1, undilated kernel: each input vector is loaded once
     * per kernel row and feeds up to three pixels. Layout as {@link #depthwiseRows}.
     */
    private void depthwise8k3(float[] ring, int[] rowAt, MemorySegment y, long outRow, int xo, int c) {
        FloatVector a0 = FloatVector.fromArray(SPECIES, bias, c);
        FloatVector a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int p = oc;
        for (int ky = 0; ky < kh; ky++) {
            if (rowAt[ky] < 0) {
                continue;
            }
            int at = rowAt[ky] + xo * p + c;
            int wi = ky * 3 * ocPad + c;
            FloatVector w0 = FloatVector.fromArray(SPECIES, w, wi);
            FloatVector w1 = FloatVector.fromArray(SPECIES, w, wi + ocPad);
            FloatVector w2 = FloatVector.fromArray(SPECIES, w, wi + 2 * ocPad);
            FloatVector x0 = FloatVector.fromArray(SPECIES, ring, at);
            a0 = x0.fma(w0, a0);
            FloatVector x1 = FloatVector.fromArray(SPECIES, ring, at + p);
            a0 = x1.fma(w1, a0); a1 = x1.fma(w0, a1);
            FloatVector x2 = FloatVector.fromArray(SPECIES, ring, at + 2 * p);
            a0 = x2.fma(w2, a0); a1 = x2.fma(w1, a1); a2 = x2.fma(w0, a2);
            FloatVector x3 = FloatVector.fromArray(SPECIES, ring, at + 3 * p);
            a1 = x3.fma(w2, a1); a2 = x3.fma(w1, a2); a3 = x3.fma(w0, a3);
            FloatVector x4 = FloatVector.fromArray(SPECIES, ring, at + 4 * p);
            a2 = x4.fma(w2, a2); a3 = x4.fma(w1, a3); a4 = x4.fma(w0, a4);
            FloatVector x5 = FloatVector.fromArray(SPECIES, ring, at + 5 * p);
            a3 = x5.fma(w2, a3); a4 = x5.fma(w1, a4); a5 = x5.fma(w0, a5);
            FloatVector x6 = FloatVector.fromArray(SPECIES, ring, at + 6 * p);
            a4 = x6.fma(w2, a4); a5 = x6.fma(w1, a5); a6 = x6.fma(w0, a6);
            FloatVector x7 = FloatVector.fromArray(SPECIES, ring, at + 7 * p);
            a5 = x7.fma(w2, a5); a6 = x7.fma(w1, a6); a7 = x7.fma(w0, a7);
            FloatVector x8 = FloatVector.fromArray(SPECIES, ring, at + 8 * p);
            a6 = x8.fma(w2, a6); a7 = x8.fma(w1, a7);
            FloatVector x9 = FloatVector.fromArray(SPECIES, ring, at + 9 * p);
            a7 = x9.fma(w2, a7);
        }
        long out = outRow + ((long) xo * oc + c) * BYTES, next = (long) oc * BYTES;
        FloatVector lo = FloatVector.broadcast(SPECIES, floor);
        a0.max(lo).intoMemorySegment(y, out, ORDER);
        a1.max(lo).intoMemorySegment(y, out + next, ORDER);
        a2.max(lo).intoMemorySegment(y, out + 2 * next, ORDER);
        a3.max(lo).intoMemorySegment(y, out + 3 * next, ORDER);
        a4.max(lo).intoMemorySegment(y, out + 4 * next, ORDER);
        a5.max(lo).intoMemorySegment(y, out + 5 * next, ORDER);
        a6.max(lo).intoMemorySegment(y, out + 6 * next, ORDER);
        a7.max(lo).intoMemorySegment(y, out + 7 * next, ORDER);
    }

    /** Four neighbouring output pixels, any kernel: one weight load feeds four FMAs. Layout as {@link #depthwiseRows}. */
    private void depthwise4(float[] ring, int[] rowAt, MemorySegment y, long outRow, int xo, int c) {
        FloatVector acc0 = FloatVector.fromArray(SPECIES, bias, c), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int step = sw * oc;
        for (int ky = 0; ky < kh; ky++) {
            if (rowAt[ky] < 0) {
                continue;
            }
            int at = rowAt[ky] + xo * step + c;
            int wi = ky * kw * ocPad + c;
            for (int kx = 0; kx < kw; kx++, at += dw * oc, wi += ocPad) {
                FloatVector wv = FloatVector.fromArray(SPECIES, w, wi);
                acc0 = FloatVector.fromArray(SPECIES, ring, at).fma(wv, acc0);
                acc1 = FloatVector.fromArray(SPECIES, ring, at + step).fma(wv, acc1);
                acc2 = FloatVector.fromArray(SPECIES, ring, at + 2 * step).fma(wv, acc2);
                acc3 = FloatVector.fromArray(SPECIES, ring, at + 3 * step).fma(wv, acc3);
            }
        }
        long out = outRow + ((long) xo * oc + c) * BYTES, next = (long) oc * BYTES;
        FloatVector lo = FloatVector.broadcast(SPECIES, floor);
        acc0.max(lo).intoMemorySegment(y, out, ORDER);
        acc1.max(lo).intoMemorySegment(y, out + next, ORDER);
        acc2.max(lo).intoMemorySegment(y, out + 2 * next, ORDER);
        acc3.max(lo).intoMemorySegment(y, out + 3 * next, ORDER);
    }

    @Override
    public void close() {
        spare.clear();   // the rest is Java arrays too
    }
}
