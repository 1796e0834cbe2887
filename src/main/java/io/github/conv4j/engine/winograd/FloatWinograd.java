package io.github.conv4j.engine.winograd;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.engine.ScratchPool;
import io.github.conv4j.engine.TensorIndex;
import io.github.conv4j.engine.Workers;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 kernel: F(2x2,3x3) or F(4x4,3x3) over blocks of output tiles. Per block and group: the input
 * transform {@code V = B^T d B} of every tile's input patch (4x4 or 6x6), one GEMM {@code M[xi] = V[xi] U[xi]}
 * over the input channels per patch element (16 or 36), and the output transform {@code Y = A^T M A} with bias
 * and ReLU. Computes NHWC; an NCHW image is transposed into scratch on the way in and out.
 *
 * <p>DoubleWinograd, the float64 kernel, is generated from this file when the project builds (pom.xml).
 */
final class FloatWinograd implements ConvKernel {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int BYTES = Float.BYTES;
    private static final ValueLayout.OfFloat ELEMENT = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int MR = WinogradConv.ROWS;


    private final boolean nchw, relu;
    private final int ih, iw, ic, oh, ow, oc, padTop, padLeft, groups, icg, ocg;
    /**
     * Outputs per tile side (2 or 4), the input patch side {@code tile + 2}, and the patch elements, one GEMM
     * each.
     */
    private final int tile, alpha, planes;
    /**
     * Tiles across an output row and per image: {@code tile x tile} outputs each, the last row and column
     * partial when the output does not divide.
     */
    private final int tilesW, tilesPerImage;
    /** Columns of the zero-padded input a row of tiles reads, from {@code -padLeft}: {@code tilesW * tile + 2}. */
    private final int stageWidth;
    /** Channels per group rounded up to whole vectors: the row lengths of V, U and M. */
    private final int icp, ocp;
    /** Tiles per block: the rows of each GEMM, a whole number of register blocks. */
    private final int tiles;
    /** Whether the GEMM's panels are four vectors wide where they fit (else two): the blocking's choice. */
    private final boolean wide;
    /** Input channels per GEMM chunk: equal chunks of at most the blocking's {@code kc}. */
    private final int kc;
    /** Transformed weights {@code u[g][xi][icg][ocp]}, {@code xi < planes}, zeros past the real output channels. */
    private final float[] u;
    /** {@code bias[g][ocp]}; zeros without a bias. */
    private final float[] bias;
    private final ScratchPool<Scratch> spare = new ScratchPool<>(Scratch::new);

    /** Plans {@code spec} with tiles of {@code tile x tile} outputs, 2 or 4, blocked as {@code blocking} says. */
    FloatWinograd(ConvSpec spec, MemorySegment weights, MemorySegment biasIn, int tile,
            WinogradConv.Blocking blocking) {
        nchw = spec.layout() == Layout.NCHW;
        relu = spec.relu();
        ih = spec.ih(); iw = spec.iw(); ic = spec.ic(); oh = spec.oh(); ow = spec.ow(); oc = spec.oc();
        padTop = spec.padTop(); padLeft = spec.padLeft(); groups = spec.groups();
        icg = spec.icPerGroup(); ocg = spec.ocPerGroup();
        this.tile = tile;
        alpha = tile + 2;
        planes = alpha * alpha;
        tilesW = (ow + tile - 1) / tile;
        tilesPerImage = (oh + tile - 1) / tile * tilesW;
        stageWidth = tilesW * tile + 2;
        icp = WinogradConv.roundUp(icg, L);
        ocp = WinogradConv.roundUp(ocg, L);
        kc = blocking.chunk(icg);
        wide = blocking.panelVectors() == 4;
        tiles = blocking.tilesPerBlock(planes, icp, ocp, BYTES, (long) tilesPerImage * (nchw ? 1 : spec.mb()));
        u = new float[groups * planes * icg * ocp];
        bias = new float[groups * ocp];
        TensorIndex index = new TensorIndex(spec);
        double[][] gm = WinogradConv.weightTransform(tile);
        // U = G k G^T in double, rounded once, for one input channel and every output channel of a group at a
        // time: the inner loops run along u's rows (and, in HWIO, the weights' rows), where one output channel at
        // a time wrote each element to alpha^2 rows a megabyte apart on R5 (bench/results/jmh-plan-packing.md)
        double[][] k = new double[9][ocg], gk = new double[alpha * 3][ocg];
        for (int g = 0; g < groups; g++) {
            for (int c = 0; c < icg; c++) {
                for (int y = 0; y < 3; y++) {
                    for (int x = 0; x < 3; x++) {
                        double[] row = k[y * 3 + x];
                        for (int o = 0; o < ocg; o++) {
                            row[o] = weights.getAtIndex(ELEMENT, index.weight(y, x, c, g * ocg + o));
                        }
                    }
                }
                for (int r = 0; r < alpha; r++) {
                    double g0 = gm[r][0], g1 = gm[r][1], g2 = gm[r][2];
                    for (int x = 0; x < 3; x++) {
                        double[] out = gk[r * 3 + x], k0 = k[x], k1 = k[3 + x], k2 = k[6 + x];
                        for (int o = 0; o < ocg; o++) {
                            out[o] = g0 * k0[o] + g1 * k1[o] + g2 * k2[o];
                        }
                    }
                }
                for (int r = 0; r < alpha; r++) {
                    double[] a0 = gk[r * 3], a1 = gk[r * 3 + 1], a2 = gk[r * 3 + 2];
                    for (int q = 0; q < alpha; q++) {
                        double h0 = gm[q][0], h1 = gm[q][1], h2 = gm[q][2];
                        int at = ((g * planes + r * alpha + q) * icg + c) * ocp;
                        for (int o = 0; o < ocg; o++) {
                            u[at + o] = (float) (a0[o] * h0 + a1[o] * h1 + a2[o] * h2);
                        }
                    }
                }
            }
            if (biasIn != null) {
                for (int o = 0; o < ocg; o++) {
                    bias[g * ocp + o] = biasIn.getAtIndex(ELEMENT, g * ocg + o);
                }
            }
        }
        spare.give(new Scratch());    // the first call's, made now: its first call takes the pool's usual path
    }

    @Override
    public String implementation() {
        return "F(" + tile + "x" + tile + ",3x3), float32 x" + L + ", " + tiles + " tiles per block, GEMM " + MR + "x" + (wide ? 4 : 2) * L
                + (nchw ? ", NCHW via NHWC scratch" : "");
    }

    @Override
    public void forward(MemorySegment segmentX, MemorySegment segmentY, int batch, int budget) {
        // workers may need a view of segments confined to this thread; forward waits for them all
        Workers.Shared shared = Workers.share(budget, segmentX, segmentY);
        MemorySegment x = shared.x(), y = shared.y();
        int threads = shared.threads();
        if (!nchw) {
            nhwc(x, y, (long) batch * tilesPerImage, threads);
        } else if (batch >= threads) {
            Workers.run(threads, batch, (from, to) -> {
                spare.use(sc -> {
                    for (int n = from; n < to; n++) {
                        toNhwc(x, n, sc.xi);
                        for (int t0 = 0; t0 < tilesPerImage; t0 += tiles) {
                            block(MemorySegment.ofArray(sc.xi), MemorySegment.ofArray(sc.yi), t0,
                                    Math.min(tiles, tilesPerImage - t0), sc);
                        }
                        fromNhwc(sc.yi, y, n);
                    }
                });
            });
        } else {
            // fewer images than threads: the threads share each image
            spare.use(sc -> {
                for (int n = 0; n < batch; n++) {
                    toNhwc(x, n, sc.xi);
                    nhwc(MemorySegment.ofArray(sc.xi), MemorySegment.ofArray(sc.yi), tilesPerImage, threads);
                    fromNhwc(sc.yi, y, n);
                }
            });
        }
    }

    /** The first {@code all} tiles of NHWC {@code x} into {@code y}, on {@code threads} threads. */
    private void nhwc(MemorySegment x, MemorySegment y, long all, int threads) {
        int blocks = (int) ((all + tiles - 1) / tiles);
        if (blocks < threads) {
            // too few blocks to go round (large channel counts make large blocks): the threads share each block's
            // phases instead
            spare.use(sc -> {
                for (int b = 0; b < blocks; b++) {
                    long t0 = (long) b * tiles;
                    blockTogether(x, y, t0, (int) Math.min(tiles, all - t0), sc, threads);
                }
            });
            return;
        }
        Workers.run(threads, blocks, (from, to) -> {
            spare.use(sc -> {
                for (int b = from; b < to; b++) {
                    long t0 = (long) b * tiles;
                    block(x, y, t0, (int) Math.min(tiles, all - t0), sc);
                }
            });
        });
    }

    /**
     * One worker's buffers. Every element read is written first (rows of V past a short block hold the last
     * block's values, and their products are never read), so a used one serves the next call: workers take them
     * from the plan's {@link #spare} pool and give them back.
     */
    private final class Scratch {
        /** Transformed inputs {@code v[planes][tiles][icp]} and products {@code m[planes][tiles][ocp]}. */
        final float[] v, m;
        /** The input rows of one band of tiles, zero-padded: {@code stage[alpha][stageWidth][icp]}. */
        final float[] stage;
        /** NCHW: one image in and one out, as NHWC. */
        final float[] xi, yi;

        Scratch() {
            stage = new float[alpha * stageWidth * icp];
            v = new float[planes * tiles * icp];
            m = new float[planes * tiles * ocp];
            xi = nchw ? new float[ih * iw * ic] : null;
            yi = nchw ? new float[oh * ow * oc] : null;
        }
    }

    /** {@code xi[h][w][c] <- x[n][c][h][w]}: NCHW image {@code n} as NHWC. */
    private void toNhwc(MemorySegment x, int n, float[] xi) {
        int inPlane = ih * iw;
        for (int c = 0; c < ic; c++) {
            long src = ((long) n * ic + c) * inPlane;
            for (int p = 0; p < inPlane; p++) {
                xi[p * ic + c] = x.getAtIndex(ELEMENT, src + p);
            }
        }
    }

    /** {@code y[n][c][h][w] <- yi[h][w][c]}: an NHWC output image into NCHW image {@code n}. */
    private void fromNhwc(float[] yi, MemorySegment y, int n) {
        int outPlane = oh * ow;
        for (int c = 0; c < oc; c++) {
            long dst = ((long) n * oc + c) * outPlane;
            for (int p = 0; p < outPlane; p++) {
                y.setAtIndex(ELEMENT, dst + p, yi[p * oc + c]);
            }
        }
    }

    /** Output tiles {@code [t0, t0 + count)} of NHWC {@code y} (numbered image by image, row by row), all groups. */
    private void block(MemorySegment x, MemorySegment y, long t0, int count, Scratch sc) {
        int rows = WinogradConv.roundUp(count, MR);
        for (int g = 0; g < groups; g++) {
            inputTransform(x, t0, 0, count, g, sc.v, sc.stage);
            for (int xi = 0; xi < planes; xi++) {
                gemm(sc.v, xi, rows, g, sc.m);
            }
            outputTransform(sc.m, y, t0, 0, count, g);
        }
    }

    /**
     * {@link #block} with {@code threads} sharing each phase: the transforms split the tiles, the GEMMs the
     * patch elements; each phase ends before the next begins.
     */
    private void blockTogether(MemorySegment x, MemorySegment y, long t0, int count, Scratch sc, int threads) {
        int rows = WinogradConv.roundUp(count, MR);
        for (int g = 0; g < groups; g++) {
            int group = g;
            Workers.run(threads, count, (from, to) -> inputTransform(x, t0, from, to, group, sc.v,
                    from == 0 ? sc.stage : new float[sc.stage.length]));
            Workers.run(threads, planes, (from, to) -> {
                for (int xi = from; xi < to; xi++) {
                    gemm(sc.v, xi, rows, group, sc.m);
                }
            });
            Workers.run(threads, count, (from, to) -> outputTransform(sc.m, y, t0, from, to, group));
        }
    }

    // ---- input transform -----------------------------------------------------------------------------

    /**
     * {@code v[xi][i][c] <- (B^T d B)[xi]} for tile {@code t0 + i}, {@code from <= i < to}, where {@code d} is the
     * tile's input patch of group {@code g}'s channels (zero outside the image). The input rows a band of tiles
     * reads are first copied into {@code stage} with zeros around them, so the transforms read a Java array with no
     * border cases: reading each patch straight from the input segment, with a check per load for the border, took
     * 2.1 of R1's 8.3 ms per forward at F(2x2,3x3) (one thread, AMD EPYC, timed by phase).
     */
    private void inputTransform(MemorySegment x, long t0, int from, int to, int g, float[] v, float[] stage) {
        // F(4x4,3x3): one channel vector of a tile halfway through the transform
        float[] t = tile == 4 ? new float[36 * L] : null;
        int rowLen = stageWidth * icp;
        int n = (int) ((t0 + from) / tilesPerImage), rem = (int) ((t0 + from) % tilesPerImage);
        int ty = rem / tilesW, tx = rem % tilesW;
        int stagedN = -1, stagedTy = -1;
        for (int i = from; i < to; i++) {
            if (n != stagedN || ty != stagedTy) {
                stageBand(x, n, ty, g, stage);
                stagedN = n;
                stagedTy = ty;
            }
            int base = tx * tile * icp;
            for (int c = 0; c < icg; c += L) {
                if (tile == 2) {
                    transformPatch(stage, base + c, rowLen, v, i * icp + c);
                } else {
                    transformPatch6(stage, base + c, rowLen, v, i * icp + c, t);
                }
            }
            if (++tx == tilesW) {
                tx = 0;
                if (++ty * tilesW == tilesPerImage) {
                    ty = 0;
                    n++;
                }
            }
        }
    }

    /**
     * {@code stage[r][j][c] <- x[n][tile * ty - padTop + r][j - padLeft][g * icg + c]} for the {@code alpha} rows a
     * row of tiles reads, zero outside the image. Only the image's pixels are written: the columns around them and
     * the channels past {@code icg} hold the zeros they were made with, and a row outside the image is cleared.
     */
    private void stageBand(MemorySegment x, int n, int ty, int g, float[] stage) {
        int rowLen = stageWidth * icp;
        int cols = Math.min(iw, stageWidth - padLeft);
        for (int r = 0; r < alpha; r++) {
            int yi = tile * ty - padTop + r, start = r * rowLen;
            if (yi < 0 || yi >= ih) {
                java.util.Arrays.fill(stage, start, start + rowLen, 0f);
                continue;
            }
            long src = (((long) n * ih + yi) * iw * ic + (long) g * icg) * BYTES;
            int dst = start + padLeft * icp;
            if (icg == ic && icp == ic) {
                if (cols > 0) {
                    MemorySegment.copy(x, ELEMENT, src, stage, dst, cols * ic);    // one run: the row as it lies
                }
            } else {
                for (int j = 0; j < cols; j++) {
                    MemorySegment.copy(x, ELEMENT, src + (long) j * ic * BYTES, stage, dst + j * icp, icg);
                }
            }
        }
    }

    /**
     * F(2x2,3x3), one channel vector of one tile: the 16 loads from the staged patch at {@code base} (rows
     * {@code rowLen} apart, pixels {@code icp}), {@code d B} on each row, {@code B^T} across the rows, and the 16
     * stores at {@code v[xi][..]} from {@code at} (lanes past the channels are zero, as staged);
     * {@code B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]}.
     */
    private void transformPatch(float[] s, int base, int rowLen, float[] v, int at) {
        // d B on each row r: e_r = [d0 - d2, d1 + d2, d2 - d1, d1 - d3]
        int r = base;
        FloatVector d0 = FloatVector.fromArray(SPECIES, s, r), d1 = FloatVector.fromArray(SPECIES, s, r + icp);
        FloatVector d2 = FloatVector.fromArray(SPECIES, s, r + 2 * icp);
        FloatVector d3 = FloatVector.fromArray(SPECIES, s, r + 3 * icp);
        FloatVector e00 = d0.sub(d2), e01 = d1.add(d2), e02 = d2.sub(d1), e03 = d1.sub(d3);
        r += rowLen;
        d0 = FloatVector.fromArray(SPECIES, s, r); d1 = FloatVector.fromArray(SPECIES, s, r + icp);
        d2 = FloatVector.fromArray(SPECIES, s, r + 2 * icp); d3 = FloatVector.fromArray(SPECIES, s, r + 3 * icp);
        FloatVector e10 = d0.sub(d2), e11 = d1.add(d2), e12 = d2.sub(d1), e13 = d1.sub(d3);
        r += rowLen;
        d0 = FloatVector.fromArray(SPECIES, s, r); d1 = FloatVector.fromArray(SPECIES, s, r + icp);
        d2 = FloatVector.fromArray(SPECIES, s, r + 2 * icp); d3 = FloatVector.fromArray(SPECIES, s, r + 3 * icp);
        FloatVector e20 = d0.sub(d2), e21 = d1.add(d2), e22 = d2.sub(d1), e23 = d1.sub(d3);
        r += rowLen;
        d0 = FloatVector.fromArray(SPECIES, s, r); d1 = FloatVector.fromArray(SPECIES, s, r + icp);
        d2 = FloatVector.fromArray(SPECIES, s, r + 2 * icp); d3 = FloatVector.fromArray(SPECIES, s, r + 3 * icp);
        FloatVector e30 = d0.sub(d2), e31 = d1.add(d2), e32 = d2.sub(d1), e33 = d1.sub(d3);
        // B^T across the rows: V_0 = e_0 - e_2, V_1 = e_1 + e_2, V_2 = e_2 - e_1, V_3 = e_1 - e_3
        int plane = tiles * icp;
        e00.sub(e20).intoArray(v, at);
        e01.sub(e21).intoArray(v, at + plane);
        e02.sub(e22).intoArray(v, at + 2 * plane);
        e03.sub(e23).intoArray(v, at + 3 * plane);
        e10.add(e20).intoArray(v, at + 4 * plane);
        e11.add(e21).intoArray(v, at + 5 * plane);
        e12.add(e22).intoArray(v, at + 6 * plane);
        e13.add(e23).intoArray(v, at + 7 * plane);
        e20.sub(e10).intoArray(v, at + 8 * plane);
        e21.sub(e11).intoArray(v, at + 9 * plane);
        e22.sub(e12).intoArray(v, at + 10 * plane);
        e23.sub(e13).intoArray(v, at + 11 * plane);
        e10.sub(e30).intoArray(v, at + 12 * plane);
        e11.sub(e31).intoArray(v, at + 13 * plane);
        e12.sub(e32).intoArray(v, at + 14 * plane);
        e13.sub(e33).intoArray(v, at + 15 * plane);
    }

    /**
     * F(4x4,3x3), one channel vector of one tile: {@code B^T} down each of the 6 columns of the staged 6x6 patch
     * at {@code base} into {@code t}, then down each row of {@code t} (which applies {@code B} on the right),
     * stored at {@code v[xi][..]} from {@code at}.
     */
    private void transformPatch6(float[] s, int base, int rowLen, float[] v, int at, float[] t) {
        for (int j = 0; j < 6; j++) {
            inputRows(s, base + j * icp, rowLen, t, j * L, 6 * L);
        }
        int plane = tiles * icp;
        for (int i = 0; i < 6; i++) {
            inputRows(t, i * 6 * L, L, v, at + i * 6 * plane, plane);
        }
    }

    /**
     * {@code out[at + i * stride] = (B^T d)[i]} for the 6 vectors {@code d_k = src[from + k * step ..]}, with
     * F(4x4,3x3)'s
     * <pre>
     * B^T = [4  0 -5  0 1 0;
     *        0 -4 -4  1 1 0;
     *        0  4 -4 -1 1 0;
     *        0 -2 -1  2 1 0;
     *        0  2 -1 -2 1 0;
     *        0  4  0 -5 0 1]
     * </pre>
     * (Lavin and Gray, Fast Algorithms for Convolutional Neural Networks, 2016, points 0, 1, -1, 2, -2). It loads its
     * vectors itself, as no method here takes or returns a vector: while a helper took each output vector, the JIT
     * now and then ran the Vector API's scalar fallback, and winograd's R1 forward ran at 2.3-2.6x its time for up
     * to a second in 6 of 10 fresh JVMs (bench/results/plan-stability-2026-12-01.md).
     */
    private static void inputRows(float[] src, int from, int step, float[] out, int at, int stride) {
        FloatVector d0 = FloatVector.fromArray(SPECIES, src, from), d1 = FloatVector.fromArray(SPECIES, src, from + step);
        FloatVector d2 = FloatVector.fromArray(SPECIES, src, from + 2 * step);
        FloatVector d3 = FloatVector.fromArray(SPECIES, src, from + 3 * step);
        FloatVector d4 = FloatVector.fromArray(SPECIES, src, from + 4 * step);
        FloatVector d5 = FloatVector.fromArray(SPECIES, src, from + 5 * step);
        FloatVector four = FloatVector.broadcast(SPECIES, 4f), five = FloatVector.broadcast(SPECIES, 5f);
        FloatVector a = d4.sub(d2.mul(four)), b = d3.sub(d1.mul(four));    // d4 - 4 d2, d3 - 4 d1
        FloatVector e = d4.sub(d2), f = d3.sub(d1).add(d3.sub(d1));         // d4 - d2, 2 (d3 - d1)
        d0.mul(four).sub(d2.mul(five)).add(d4).intoArray(out, at);
        b.add(a).intoArray(out, at + stride);
        a.sub(b).intoArray(out, at + 2 * stride);
        e.add(f).intoArray(out, at + 3 * stride);
        e.sub(f).intoArray(out, at + 4 * stride);
        d1.mul(four).sub(d3.mul(five)).add(d5).intoArray(out, at + 5 * stride);
    }

    // ---- GEMM ----------------------------------------------------------------------------------------

    /**
     * {@code m[xi][r][o] = sum_c v[xi][r][c] * u[g][xi][c][o]} for the block's first {@code rows} rows, a whole
     * number of register blocks: per chunk of at most the blocking's {@code kc} input channels and panel of two
     * vectors of output channels (one for an odd last vector), every register block of rows, so the panel's chunk
     * is read from cache once per block of tiles and stays in L1 while the rows pass.
     */
    private void gemm(float[] v, int xi, int rows, int g, float[] m) {
        int panel = (g * planes + xi) * icg * ocp;
        for (int k0 = 0; k0 < icg; k0 += kc) {
            int k1 = Math.min(icg, k0 + kc);
            boolean add = k0 > 0;
            for (int j = 0; j < ocp; ) {
                int width = wide && j + 4 * L <= ocp ? 4 : j + 2 * L <= ocp ? 2 : 1;
                for (int r = 0; r < rows; r += MR) {
                    int a = (xi * tiles + r) * icp, sums = (xi * tiles + r) * ocp + j;
                    switch (width) {
                        case 4 -> block6x4(v, a, panel + j, m, sums, k0, k1, add);
                        case 2 -> block6x2(v, a, panel + j, m, sums, k0, k1, add);
                        default -> block6x1(v, a, panel + j, m, sums, k0, k1, add);
                    }
                }
                j += width * L;
            }
        }
    }

    /**
     * Micro-kernel, 6 rows by 4 vectors: {@code m[r][j] (+)= sum_c v[r][c] * u[c][j]} over channels
     * {@code [k0, k1)}, adding to {@code m} when {@code add}, one broadcast of {@code v} feeding four FMAs into 24
     * accumulators, for CPUs with 32 vector registers. Strides as in {@link #block6x2}.
     */
    private void block6x4(float[] v, int aOff, int bOff, float[] m, int sums, int k0, int k1, boolean add) {
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
        FloatVector c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        int s0 = sums, s1 = s0 + ocp, s2 = s1 + ocp, s3 = s2 + ocp, s4 = s3 + ocp, s5 = s4 + ocp;
        if (add) {
            c00 = FloatVector.fromArray(SPECIES, m, s0); c01 = FloatVector.fromArray(SPECIES, m, s0 + L);
            c02 = FloatVector.fromArray(SPECIES, m, s0 + 2 * L); c03 = FloatVector.fromArray(SPECIES, m, s0 + 3 * L);
            c10 = FloatVector.fromArray(SPECIES, m, s1); c11 = FloatVector.fromArray(SPECIES, m, s1 + L);
            c12 = FloatVector.fromArray(SPECIES, m, s1 + 2 * L); c13 = FloatVector.fromArray(SPECIES, m, s1 + 3 * L);
            c20 = FloatVector.fromArray(SPECIES, m, s2); c21 = FloatVector.fromArray(SPECIES, m, s2 + L);
            c22 = FloatVector.fromArray(SPECIES, m, s2 + 2 * L); c23 = FloatVector.fromArray(SPECIES, m, s2 + 3 * L);
            c30 = FloatVector.fromArray(SPECIES, m, s3); c31 = FloatVector.fromArray(SPECIES, m, s3 + L);
            c32 = FloatVector.fromArray(SPECIES, m, s3 + 2 * L); c33 = FloatVector.fromArray(SPECIES, m, s3 + 3 * L);
            c40 = FloatVector.fromArray(SPECIES, m, s4); c41 = FloatVector.fromArray(SPECIES, m, s4 + L);
            c42 = FloatVector.fromArray(SPECIES, m, s4 + 2 * L); c43 = FloatVector.fromArray(SPECIES, m, s4 + 3 * L);
            c50 = FloatVector.fromArray(SPECIES, m, s5); c51 = FloatVector.fromArray(SPECIES, m, s5 + L);
            c52 = FloatVector.fromArray(SPECIES, m, s5 + 2 * L); c53 = FloatVector.fromArray(SPECIES, m, s5 + 3 * L);
        } else {
            c00 = FloatVector.zero(SPECIES); c01 = c00; c02 = c00; c03 = c00; c10 = c00; c11 = c00; c12 = c00;
            c13 = c00; c20 = c00; c21 = c00; c22 = c00; c23 = c00; c30 = c00; c31 = c00; c32 = c00; c33 = c00;
            c40 = c00; c41 = c00; c42 = c00; c43 = c00; c50 = c00; c51 = c00; c52 = c00; c53 = c00;
        }
        int a0 = aOff, a1 = a0 + icp, a2 = a1 + icp, a3 = a2 + icp, a4 = a3 + icp, a5 = a4 + icp;
        float[] b = u;
        for (int i = k0, bi = bOff + k0 * ocp; i < k1; i++, bi += ocp) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(SPECIES, b, bi + 3 * L);
            FloatVector w = FloatVector.broadcast(SPECIES, v[a0 + i]);
            c00 = w.fma(b0, c00); c01 = w.fma(b1, c01); c02 = w.fma(b2, c02); c03 = w.fma(b3, c03);
            w = FloatVector.broadcast(SPECIES, v[a1 + i]);
            c10 = w.fma(b0, c10); c11 = w.fma(b1, c11); c12 = w.fma(b2, c12); c13 = w.fma(b3, c13);
            w = FloatVector.broadcast(SPECIES, v[a2 + i]);
            c20 = w.fma(b0, c20); c21 = w.fma(b1, c21); c22 = w.fma(b2, c22); c23 = w.fma(b3, c23);
            w = FloatVector.broadcast(SPECIES, v[a3 + i]);
            c30 = w.fma(b0, c30); c31 = w.fma(b1, c31); c32 = w.fma(b2, c32); c33 = w.fma(b3, c33);
            w = FloatVector.broadcast(SPECIES, v[a4 + i]);
            c40 = w.fma(b0, c40); c41 = w.fma(b1, c41); c42 = w.fma(b2, c42); c43 = w.fma(b3, c43);
            w = FloatVector.broadcast(SPECIES, v[a5 + i]);
            c50 = w.fma(b0, c50); c51 = w.fma(b1, c51); c52 = w.fma(b2, c52); c53 = w.fma(b3, c53);
        }
        c00.intoArray(m, s0); c01.intoArray(m, s0 + L); c02.intoArray(m, s0 + 2 * L); c03.intoArray(m, s0 + 3 * L);
        c10.intoArray(m, s1); c11.intoArray(m, s1 + L); c12.intoArray(m, s1 + 2 * L); c13.intoArray(m, s1 + 3 * L);
        c20.intoArray(m, s2); c21.intoArray(m, s2 + L); c22.intoArray(m, s2 + 2 * L); c23.intoArray(m, s2 + 3 * L);
        c30.intoArray(m, s3); c31.intoArray(m, s3 + L); c32.intoArray(m, s3 + 2 * L); c33.intoArray(m, s3 + 3 * L);
        c40.intoArray(m, s4); c41.intoArray(m, s4 + L); c42.intoArray(m, s4 + 2 * L); c43.intoArray(m, s4 + 3 * L);
        c50.intoArray(m, s5); c51.intoArray(m, s5 + L); c52.intoArray(m, s5 + 2 * L); c53.intoArray(m, s5 + 3 * L);
    }

    /**
     * Micro-kernel, 6 rows by 2 vectors: {@code m[r][j] (+)= sum_c v[r][c] * u[c][j]} over channels
     * {@code [k0, k1)}, adding to {@code m} when {@code add}, one broadcast of {@code v} feeding two FMAs into 12
     * accumulators. Rows of {@code v} are {@code icp} apart from {@code aOff}, rows of {@code u} and {@code m}
     * {@code ocp} apart from {@code bOff} and {@code sums}.
     */
    private void block6x2(float[] v, int aOff, int bOff, float[] m, int sums, int k0, int k1, boolean add) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (add) {
            c00 = FloatVector.fromArray(SPECIES, m, sums); c01 = FloatVector.fromArray(SPECIES, m, sums + L);
            c10 = FloatVector.fromArray(SPECIES, m, sums + ocp);
            c11 = FloatVector.fromArray(SPECIES, m, sums + ocp + L);
            c20 = FloatVector.fromArray(SPECIES, m, sums + 2 * ocp);
            c21 = FloatVector.fromArray(SPECIES, m, sums + 2 * ocp + L);
            c30 = FloatVector.fromArray(SPECIES, m, sums + 3 * ocp);
            c31 = FloatVector.fromArray(SPECIES, m, sums + 3 * ocp + L);
            c40 = FloatVector.fromArray(SPECIES, m, sums + 4 * ocp);
            c41 = FloatVector.fromArray(SPECIES, m, sums + 4 * ocp + L);
            c50 = FloatVector.fromArray(SPECIES, m, sums + 5 * ocp);
            c51 = FloatVector.fromArray(SPECIES, m, sums + 5 * ocp + L);
        } else {
            c00 = FloatVector.zero(SPECIES); c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00;
            c30 = c00; c31 = c00; c40 = c00; c41 = c00; c50 = c00; c51 = c00;
        }
        int a0 = aOff, a1 = a0 + icp, a2 = a1 + icp, a3 = a2 + icp, a4 = a3 + icp, a5 = a4 + icp;
        float[] b = u;
        for (int i = k0, bi = bOff + k0 * ocp; i < k1; i++, bi += ocp) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bi + L);
            FloatVector w = FloatVector.broadcast(SPECIES, v[a0 + i]);
            c00 = w.fma(b0, c00); c01 = w.fma(b1, c01);
            w = FloatVector.broadcast(SPECIES, v[a1 + i]);
            c10 = w.fma(b0, c10); c11 = w.fma(b1, c11);
            w = FloatVector.broadcast(SPECIES, v[a2 + i]);
            c20 = w.fma(b0, c20); c21 = w.fma(b1, c21);
            w = FloatVector.broadcast(SPECIES, v[a3 + i]);
            c30 = w.fma(b0, c30); c31 = w.fma(b1, c31);
            w = FloatVector.broadcast(SPECIES, v[a4 + i]);
            c40 = w.fma(b0, c40); c41 = w.fma(b1, c41);
            w = FloatVector.broadcast(SPECIES, v[a5 + i]);
            c50 = w.fma(b0, c50); c51 = w.fma(b1, c51);
        }
        c00.intoArray(m, sums); c01.intoArray(m, sums + L);
        c10.intoArray(m, sums + ocp); c11.intoArray(m, sums + ocp + L);
        c20.intoArray(m, sums + 2 * ocp); c21.intoArray(m, sums + 2 * ocp + L);
        c30.intoArray(m, sums + 3 * ocp); c31.intoArray(m, sums + 3 * ocp + L);
        c40.intoArray(m, sums + 4 * ocp); c41.intoArray(m, sums + 4 * ocp + L);
        c50.intoArray(m, sums + 5 * ocp); c51.intoArray(m, sums + 5 * ocp + L);
    }

    /** {@link #block6x2} for a last panel of one vector. */
    private void block6x1(float[] v, int aOff, int bOff, float[] m, int sums, int k0, int k1, boolean add) {
        FloatVector c0, c1, c2, c3, c4, c5;
        if (add) {
            c0 = FloatVector.fromArray(SPECIES, m, sums);
            c1 = FloatVector.fromArray(SPECIES, m, sums + ocp);
            c2 = FloatVector.fromArray(SPECIES, m, sums + 2 * ocp);
            c3 = FloatVector.fromArray(SPECIES, m, sums + 3 * ocp);
            c4 = FloatVector.fromArray(SPECIES, m, sums + 4 * ocp);
            c5 = FloatVector.fromArray(SPECIES, m, sums + 5 * ocp);
        } else {
            c0 = FloatVector.zero(SPECIES); c1 = c0; c2 = c0; c3 = c0; c4 = c0; c5 = c0;
        }
        int a0 = aOff, a1 = a0 + icp, a2 = a1 + icp, a3 = a2 + icp, a4 = a3 + icp, a5 = a4 + icp;
        float[] b = u;
        for (int i = k0, bi = bOff + k0 * ocp; i < k1; i++, bi += ocp) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bi);
            c0 = FloatVector.broadcast(SPECIES, v[a0 + i]).fma(b0, c0);
            c1 = FloatVector.broadcast(SPECIES, v[a1 + i]).fma(b0, c1);
            c2 = FloatVector.broadcast(SPECIES, v[a2 + i]).fma(b0, c2);
            c3 = FloatVector.broadcast(SPECIES, v[a3 + i]).fma(b0, c3);
            c4 = FloatVector.broadcast(SPECIES, v[a4 + i]).fma(b0, c4);
            c5 = FloatVector.broadcast(SPECIES, v[a5 + i]).fma(b0, c5);
        }
        c0.intoArray(m, sums);
        c1.intoArray(m, sums + ocp);
        c2.intoArray(m, sums + 2 * ocp);
        c3.intoArray(m, sums + 3 * ocp);
        c4.intoArray(m, sums + 4 * ocp);
        c5.intoArray(m, sums + 5 * ocp);
    }

    // ---- output transform ----------------------------------------------------------------------------

    /**
     * {@code y <- relu?(A^T m A + bias)} for tiles {@code [t0 + from, t0 + to)} and group {@code g}'s
     * output channels; F(2x2,3x3) here, with {@code A^T = [1 1 1 0; 0 1 -1 -1]}, F(4x4,3x3) in
     * {@link #outputTransform6}. Only the outputs inside the image are written (a tile of an odd last row
     * or column is partial).
     */
    private void outputTransform(float[] m, MemorySegment y, long t0, int from, int to, int g) {
        if (tile == 4) {
            outputTransform6(m, y, t0, from, to, g);
            return;
        }
        long pixel = (long) oc * BYTES, channels = (long) g * ocg * BYTES;
        int n = (int) ((t0 + from) / tilesPerImage), rem = (int) ((t0 + from) % tilesPerImage);
        int ty = rem / tilesW, tx = rem % tilesW;
        int plane = tiles * ocp;
        // ReLU is a max with 0; without it a max with minus infinity, which changes nothing (NaN stays NaN). Every
        // store is masked, the mask whole where the channels fill the vector: one expression per store, no helper
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            int oy = 2 * ty, ox = 2 * tx;
            boolean down = oy + 1 < oh, right = ox + 1 < ow;
            long at = (((long) n * oh + oy) * ow + ox) * pixel + channels;
            for (int j = 0; j < ocg; j += L) {
                VectorMask<Float> tail = SPECIES.indexInRange(j, ocg);
                int src = i * ocp + j;
                // m A on each row r of m: p_r = m_r0 + m_r1 + m_r2, q_r = m_r1 - m_r2 - m_r3
                FloatVector m0 = FloatVector.fromArray(SPECIES, m, src);
                FloatVector m1 = FloatVector.fromArray(SPECIES, m, src + plane);
                FloatVector m2 = FloatVector.fromArray(SPECIES, m, src + 2 * plane);
                FloatVector m3 = FloatVector.fromArray(SPECIES, m, src + 3 * plane);
                FloatVector p0 = m0.add(m1).add(m2), q0 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(SPECIES, m, src + 4 * plane);
                m1 = FloatVector.fromArray(SPECIES, m, src + 5 * plane);
                m2 = FloatVector.fromArray(SPECIES, m, src + 6 * plane);
                m3 = FloatVector.fromArray(SPECIES, m, src + 7 * plane);
                FloatVector p1 = m0.add(m1).add(m2), q1 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(SPECIES, m, src + 8 * plane);
                m1 = FloatVector.fromArray(SPECIES, m, src + 9 * plane);
                m2 = FloatVector.fromArray(SPECIES, m, src + 10 * plane);
                m3 = FloatVector.fromArray(SPECIES, m, src + 11 * plane);
                FloatVector p2 = m0.add(m1).add(m2), q2 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(SPECIES, m, src + 12 * plane);
                m1 = FloatVector.fromArray(SPECIES, m, src + 13 * plane);
                m2 = FloatVector.fromArray(SPECIES, m, src + 14 * plane);
                m3 = FloatVector.fromArray(SPECIES, m, src + 15 * plane);
                FloatVector p3 = m0.add(m1).add(m2), q3 = m1.sub(m2).sub(m3);
                // A^T across the rows: y_0 = r_0 + r_1 + r_2, y_1 = r_1 - r_2 - r_3
                FloatVector b = FloatVector.fromArray(SPECIES, bias, g * ocp + j);
                long out = at + (long) j * BYTES;
                p0.add(p1).add(p2).add(b).max(floor).intoMemorySegment(y, out, ORDER, tail);
                if (right) {
                    q0.add(q1).add(q2).add(b).max(floor).intoMemorySegment(y, out + pixel, ORDER, tail);
                }
                if (down) {
                    long below = out + ow * pixel;
                    p1.sub(p2).sub(p3).add(b).max(floor).intoMemorySegment(y, below, ORDER, tail);
                    if (right) {
                        q1.sub(q2).sub(q3).add(b).max(floor).intoMemorySegment(y, below + pixel, ORDER, tail);
                    }
                }
            }
            if (++tx == tilesW) {
                tx = 0;
                if (++ty * tilesW == tilesPerImage) {
                    ty = 0;
                    n++;
                }
            }
        }
    }

    /**
     * F(4x4,3x3): {@code y <- relu?(A^T m A + bias)} for tiles {@code [t0 + from, t0 + to)} and group {@code g}'s
     * output channels, {@code A^T} down each of the 6 columns of the products into {@code t}, then along each of
     * the 4 rows of {@code t}; only the outputs inside the image are written.
     */
    private void outputTransform6(float[] m, MemorySegment y, long t0, int from, int to, int g) {
        long pixel = (long) oc * BYTES, channels = (long) g * ocg * BYTES;
        int n = (int) ((t0 + from) / tilesPerImage), rem = (int) ((t0 + from) % tilesPerImage);
        int ty = rem / tilesW, tx = rem % tilesW;
        int plane = tiles * ocp;
        float[] t = new float[24 * L];    // the 4x6 products after A^T down the columns
        float floor = relu ? 0f : Float.NEGATIVE_INFINITY;    // as in outputTransform
        for (int i = from; i < to; i++) {
            int oy = 4 * ty, ox = 4 * tx;
            int rows = Math.min(4, oh - oy), cols = Math.min(4, ow - ox);
            long at = (((long) n * oh + oy) * ow + ox) * pixel + channels;
            for (int j = 0; j < ocg; j += L) {
                VectorMask<Float> tail = SPECIES.indexInRange(j, ocg);
                int src = i * ocp + j;
                for (int q = 0; q < 6; q++) {
                    outputRows(m, src + q * plane, 6 * plane, t, q * L, 6 * L);
                }
                FloatVector b = FloatVector.fromArray(SPECIES, bias, g * ocp + j);
                long out = at + (long) j * BYTES;
                for (int r = 0; r < rows; r++) {
                    int row = r * 6 * L;
                    FloatVector m0 = FloatVector.fromArray(SPECIES, t, row);
                    FloatVector m1 = FloatVector.fromArray(SPECIES, t, row + L);
                    FloatVector m2 = FloatVector.fromArray(SPECIES, t, row + 2 * L);
                    FloatVector m3 = FloatVector.fromArray(SPECIES, t, row + 3 * L);
                    FloatVector m4 = FloatVector.fromArray(SPECIES, t, row + 4 * L);
                    FloatVector m5 = FloatVector.fromArray(SPECIES, t, row + 5 * L);
                    FloatVector s12 = m1.add(m2), d12 = m1.sub(m2), s34 = m3.add(m4), d34 = m3.sub(m4);
                    long here = out + r * ow * pixel;
                    m0.add(s12).add(s34).add(b).max(floor).intoMemorySegment(y, here, ORDER, tail);
                    if (cols > 1) {
                        d12.add(d34.add(d34)).add(b).max(floor).intoMemorySegment(y, here + pixel, ORDER, tail);
                    }
                    if (cols > 2) {
                        s12.add(s34.mul(4f)).add(b).max(floor).intoMemorySegment(y, here + 2 * pixel, ORDER, tail);
                    }
                    if (cols > 3) {
                        d12.add(d34.mul(8f)).add(m5).add(b).max(floor).intoMemorySegment(y, here + 3 * pixel, ORDER, tail);
                    }
                }
            }
            if (++tx == tilesW) {
                tx = 0;
                if (++ty * tilesW == tilesPerImage) {
                    ty = 0;
                    n++;
                }
            }
        }
    }

    /**
     * {@code out[at + k * stride] = (A^T m)[k]} for the 6 vectors {@code m_i = src[from + i * step ..]}, with
     * F(4x4,3x3)'s {@code A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]}. It loads its vectors
     * itself: see {@link #inputRows}.
     */
    private static void outputRows(float[] src, int from, int step, float[] out, int at, int stride) {
        FloatVector m0 = FloatVector.fromArray(SPECIES, src, from), m1 = FloatVector.fromArray(SPECIES, src, from + step);
        FloatVector m2 = FloatVector.fromArray(SPECIES, src, from + 2 * step);
        FloatVector m3 = FloatVector.fromArray(SPECIES, src, from + 3 * step);
        FloatVector m4 = FloatVector.fromArray(SPECIES, src, from + 4 * step);
        FloatVector m5 = FloatVector.fromArray(SPECIES, src, from + 5 * step);
        FloatVector s12 = m1.add(m2), d12 = m1.sub(m2), s34 = m3.add(m4), d34 = m3.sub(m4);
        m0.add(s12).add(s34).intoArray(out, at);
        d12.add(d34.add(d34)).intoArray(out, at + stride);
        s12.add(s34.mul(4f)).intoArray(out, at + 2 * stride);
        d12.add(d34.mul(8f)).add(m5).intoArray(out, at + 3 * stride);
    }

    @Override
    public void close() {
        spare.clear();   // the rest is Java arrays too
    }
}
