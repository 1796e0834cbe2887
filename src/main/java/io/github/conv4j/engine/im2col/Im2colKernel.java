package io.github.conv4j.engine.im2col;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.engine.Epilogue;
import io.github.conv4j.engine.StridedSplit;
import io.github.conv4j.engine.Workers;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A planned im2col convolution: weights repacked once per group into GEMM-ready form, then for each tile of
 * output pixels, pack the tile's patches, one GEMM per group straight into the output, and bias and ReLU
 * on the tile while it is still in cache.
 *
 * <p>GEMM shapes. NHWC: {@code y[pixels][g*ocg..] = patches[pixels][g*K..] * w[g][ocg][K]^T}, so the output
 * rows land in place; large weights are kept transposed, which OpenBLAS runs faster (see
 * {@link #TRANSPOSE_FROM}). NCHW:
 * {@code y[n][g*ocg..][pixels] = w[g][ocg][K] * cols[g*K..][pixels]}, again in place. For 1x1, stride 1,
 * unpadded convolutions the input already is the patch matrix (NHWC) or its transpose (NCHW), and nothing is
 * packed.
 *
 * <p>Threads. With more than one thread in a call's budget, the output pixels are split among the library's
 * {@link Workers}, each packing its own tiles and running single-threaded GEMMs (see {@link #MIN_WORKER_ROWS});
 * otherwise the budget goes to OpenBLAS. OpenBLAS has one thread count for the process: concurrent forwards
 * that set different counts overwrite each other's, which changes their speed, never their results.
 *
 * <p>Memory. Each concurrent {@code forward}, and each of its workers, takes a {@link Workspace} from a pool
 * and returns it, so they never share scratch; a workspace holds at most {@code tileRows * (patchLength + oc)}
 * elements, kept under the configured bound (at least one pixel). Weights and every workspace live in one
 * shared arena that {@link #close()} frees.
 *
 * <p>Tuning figures below are GFLOP/s of whole im2col-ffm forwards, float32 NHWC, variants interleaved in one
 * JVM, OpenBLAS 0.3.31's SkylakeX kernel, from {@code bench/results/im2col-tuning-2026-11-28.md} unless a note
 * names another source; a constant no recorded run settled says it is a guess or a choice.
 */
final class Im2colKernel implements ConvKernel {
    private final ConvSpec s;
    private final Multiply multiply;
    private final String implementation;
    private final StridedSplit view;
    private final Epilogue epilogue;
    private final boolean nhwc, direct;
    /** Whether the binding reads and writes Java-heap segments in place (else they go through scratch). */
    private final boolean takesHeap;
    /**
     * NHWC groups with fewer input channels than this are merged into one GEMM over block-diagonal weights:
     * the packer then copies whole-pixel runs instead of a few elements per group (depthwise: one), expected
     * to cost more than the extra multiplications by zero. 8 is a guess: merged against unmerged was never
     * recorded, D1 (32 groups of one channel) included.
     */
    private static final int MERGE_BELOW_ICG = 8;
    /** ... unless there are so many groups that the zero blocks would swamp the GEMM and the weights (a guess too). */
    private static final int MERGE_MAX_GROUPS = 64;

    /**
     * Patch tiles up to this size stay in L2 between packing and the GEMM (2 MiB per core on the Intel machine of
     * the 2026-11-28 recordings, per {@code bench/results/java-vector-2026-11-28.md} as committed at 15c935f).
     * Measured at commit 4c2ba3d, not recorded in bench/results: packing R1 took 1.4 ms in 1 MiB tiles, 2.6 ms in
     * 4 MiB, same GEMM time.
     */
    private static final long CACHE_BYTES = 1L << 20;
    /**
     * Fewer GEMM rows than this per call leave OpenBLAS mostly repacking weights: R5 ran 47 GFLOP/s on 51-row
     * tiles, 106 on 392 (measured at commit ca3d983, not recorded in bench/results). 512 itself is a choice; the
     * tile-length tables put R1 at its best on 384-512 rows.
     */
    private static final long MIN_GEMM_ROWS = 512;
    /**
     * ... and large weights want longer tiles still: each GEMM call repacks all of its weights, so a tile has
     * at least one row per this many weight elements. R3 (147,456 weights) ran 127-128 GFLOP/s on 512-row tiles
     * and 132 on 1,638 at 1 thread, 210-212 against 226-228 at 2, though the later tile-length tables show it
     * flat from 256 to 1,638 rows (148-152). R1 (36,864) wants no more than 512: 133-134 GFLOP/s on 384 or 512
     * rows, 129 on 576, 123 on 768; hence 128 here rather than 64, which gave R1 576 rows.
     */
    private static final long WEIGHTS_PER_ROW = 128;
    /**
     * NHWC float32 weights of at least this many elements per GEMM are stored {@code [ocg][K]} and multiplied
     * transposed ({@code CblasTrans}), rather than {@code [K][ocg]} as they arrive. GFLOP/s at 1 thread,
     * {@code [K][ocg]} against {@code [ocg][K]}: R5 (2,359,296 weights) 115-117 vs 152-156, R4 (589,824)
     * 129-133 vs 141-145; R1..R3 and R6 within noise; but S1 (432) 21.3-21.4 vs 18.6-18.9. Any cut above 432 and
     * up to 589,824 fits these; 65,536 is a choice within that range. In float64 transposing gained nothing on
     * R1..R5 and cost S1 as in float32 (26.6-26.8 vs 20.7-20.8); with OpenBLAS's Haswell kernel the two orders
     * were within noise.
     */
    static final long TRANSPOSE_FROM = 1 << 16;
    /** The side of the square blocks the weights are transposed in: 64 x 64 float32 elements are 16 KiB. */
    private static final int TRANSPOSE_BLOCK = 64;
    /**
     * With more than one thread, forwards with at least this many output pixels per thread are split among
     * Java workers, each packing its own tiles and running single-threaded GEMMs; smaller ones leave the
     * threads to OpenBLAS inside each GEMM. GFLOP/s at 2 threads, OpenBLAS's threads against Java workers:
     * R1 157 vs 228, R3 225 vs 266, R4 271 vs 301, R6 101 vs 166, D1 3.2 vs 5.4, S2 23 vs 26; R2 +4%, R5 (196
     * pixels per worker) +1%; but S1 (20 pixels per worker) 21.0 vs 0.5, the cost of waking a pool thread.
     * 128 is a choice between 20 and 196, not measured.
     */
    static final long MIN_WORKER_ROWS = 128;

    /**
     * The kernel's tuning choices. The engine plans with {@link #of}; a test or a tuning benchmark passes others
     * to time or check variants side by side.
     *
     * @param workspace the most bytes of scratch per forward or worker ({@link Im2colEngine#WORKSPACE})
     * @param tileRows pixels per tile; 0 for the rule in the constructor (still within the workspace)
     * @param transposeFrom NHWC weights of at least this many elements per GEMM are stored transposed
     *     ({@link #TRANSPOSE_FROM}); 0 always, {@link Long#MAX_VALUE} never
     * @param minWorkerRows output pixels per thread from which a call's threads are Java workers
     *     ({@link #MIN_WORKER_ROWS}); 0 always, {@link Long#MAX_VALUE} never (the threads go to OpenBLAS)
     */
    record Tuning(long workspace, long tileRows, long transposeFrom, long minWorkerRows) {
        /** The engine's choices for {@code spec}, within {@code workspace} bytes per forward or worker. */
        static Tuning of(ConvSpec spec, long workspace) {
            long transposeFrom = switch (spec.dtype()) {
                case FLOAT32 -> TRANSPOSE_FROM;
                case FLOAT64 -> Long.MAX_VALUE;    // transposing gained nothing in float64 (see TRANSPOSE_FROM)
                case INT8, UINT8, INT32 -> throw new IllegalArgumentException("im2col declines " + spec.dtype());
                case BFLOAT16 -> throw new UnsupportedOperationException(Im2colEngine.BFLOAT16_REASON);
            };
            return new Tuning(workspace, 0, transposeFrom, MIN_WORKER_ROWS);
        }
    }

    /** One GEMM in the spec's element type ({@link Gemm#sgemm} or {@link Gemm#dgemm}). */
    private interface Multiply {
        void run(boolean transposeB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
                MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc);
    }

    /** {@code groups}, {@code ocg}, {@code kGroup}: the GEMMs per tile and their shape (1, oc, kTotal if merged). */
    private final int esz, oc, groups, ocg, kGroup, kTotal, tileRows;
    /** Whether the weights are stored {@code [g][ocg][K]} and multiplied transposed (NHWC only). */
    private final boolean transB;
    private final long minWorkerRows;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment weights;
    private final ConcurrentLinkedDeque<Workspace> idle = new ConcurrentLinkedDeque<>();

    /** Whether NHWC groups are merged into one GEMM over block-diagonal weights (see {@link #MERGE_BELOW_ICG}). */
    private static boolean merges(ConvSpec spec) {
        return spec.layout() == Layout.NHWC && spec.groups() > 1 && spec.icPerGroup() < MERGE_BELOW_ICG
                && spec.groups() <= MERGE_MAX_GROUPS;
    }

    /** The weight elements one GEMM multiplies by: a group's, or all of them, zeros included, when merged. */
    static long weightsPerGemm(ConvSpec spec) {
        long spatial = (long) spec.kh() * spec.kw();
        return merges(spec) ? spatial * spec.ic() * spec.oc() : spatial * spec.icPerGroup() * spec.ocPerGroup();
    }

    /** Plans {@code spec} on {@code gemm} (named {@code binding} in the implementation string) with {@code tuning}. */
    Im2colKernel(ConvSpec spec, MemorySegment w, MemorySegment bias, Gemm gemm, String binding, Tuning tuning) {
        this.s = spec;
        this.minWorkerRows = tuning.minWorkerRows();
        this.takesHeap = gemm.takesHeapSegments();
        String prefix = switch (spec.dtype()) {
            case FLOAT32 -> {
                multiply = gemm::sgemm;
                yield "s";
            }
            case FLOAT64 -> {
                multiply = gemm::dgemm;
                yield "d";
            }
            case INT8, UINT8, INT32 -> throw new IllegalArgumentException("im2col declines " + spec.dtype());
            case BFLOAT16 -> throw new UnsupportedOperationException(Im2colEngine.BFLOAT16_REASON);
        };
        boolean merged = merges(spec);
        this.view = new StridedSplit(spec, !merged);
        this.epilogue = new Epilogue(spec, bias);
        nhwc = spec.layout() == Layout.NHWC;
        esz = spec.dtype().byteSize();
        oc = spec.oc();
        groups = merged ? 1 : spec.groups();
        ocg = merged ? spec.oc() : spec.ocPerGroup();
        kTotal = Math.toIntExact(view.patchLength());
        kGroup = kTotal / groups;
        direct = StridedSplit.pointwise(spec);
        transB = nhwc && weightsPerGemm(spec) >= tuning.transposeFrom();
        long bound = tuning.workspace(), rows = tuning.tileRows();
        long pixels = nhwc ? (long) spec.mb() * spec.oh() * spec.ow() : (long) spec.oh() * spec.ow();
        long perPixel = (long) (kTotal + oc) * esz;
        // Rows per tile: as many as stay in L2 (packing writes them, the GEMM reads them back at once), but not
        // fewer than MIN_GEMM_ROWS, below which OpenBLAS repacks the weights for too little work (R5 ran 47
        // GFLOP/s with 51-row tiles, 106 with 392, measured at commit ca3d983, not recorded in bench/results),
        // nor than the weights want (WEIGHTS_PER_ROW); never more than the bound allows.
        long wanted = rows > 0 ? rows
                : Math.max(Math.max(MIN_GEMM_ROWS, CACHE_BYTES / perPixel), (long) kGroup * ocg / WEIGHTS_PER_ROW);
        tileRows = (int) Math.max(1, Math.min(Math.min(Math.min(bound / perPixel, wanted), pixels), Integer.MAX_VALUE));
        try {
            weights = arena.allocate((long) kTotal * ocg * esz, 64);
            if (merged) {
                repackMerged(spec, w);
            } else {
                repack(w);
            }
            if (transB) {
                transposeWeights();
            }
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
        implementation = "im2col + cblas_" + prefix + "gemm" + (transB ? " (weights transposed)" : "")
                + " via " + binding + ", "
                + (direct ? "no packing (1x1)" : "tiles of " + tileRows + " pixels") + ", "
                + (merged ? spec.groups() + " groups merged into one GEMM" : groups + " group(s)");
    }

    // NHWC: w[kh][kw][icg][oc] -> w[g][kh][kw][icg][ocg]; NCHW: w[oc][icg][kh][kw] is already w[g][ocg][K]
    private void repack(MemorySegment w) {
        if (!nhwc) {
            MemorySegment.copy(w, 0, weights, 0, weights.byteSize());
            return;
        }
        for (int g = 0; g < groups; g++) {
            for (int k = 0; k < kGroup; k++) {
                MemorySegment.copy(w, ((long) k * oc + (long) g * ocg) * esz,
                        weights, ((long) g * kGroup + k) * ocg * esz, (long) ocg * esz);
            }
        }
    }

    // w[kh][kw][icg][oc] -> w[kh][kw][ic][oc], zero where input and output channel are in different groups
    private void repackMerged(ConvSpec spec, MemorySegment w) {
        int icg = spec.icPerGroup(), spatial = spec.kh() * spec.kw(), ic = spec.ic(), g0cg = spec.ocPerGroup();
        for (int k = 0; k < spatial; k++) {
            for (int g = 0; g < spec.groups(); g++) {
                for (int i = 0; i < icg; i++) {
                    MemorySegment.copy(w, (((long) k * icg + i) * oc + (long) g * g0cg) * esz,
                            weights, (((long) k * ic + (long) g * icg + i) * oc + (long) g * g0cg) * esz,
                            (long) g0cg * esz);
                }
            }
        }
    }

    // w[g][K][ocg] -> w[g][ocg][K], in place through one group-sized copy
    private void transposeWeights() {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment group = scratch.allocate((long) kGroup * ocg * esz, 64);
            for (int g = 0; g < groups; g++) {
                long base = (long) g * kGroup * ocg;
                MemorySegment.copy(weights, base * esz, group, 0, group.byteSize());
                // in square blocks that stay in cache: element by element down whole columns, each write went to
                // another row kGroup elements on (18 KiB on R5): most of R5's plan
                // (bench/results/jmh-plan-packing.md)
                for (int k0 = 0; k0 < kGroup; k0 += TRANSPOSE_BLOCK) {
                    int k1 = Math.min(kGroup, k0 + TRANSPOSE_BLOCK);
                    for (int o0 = 0; o0 < ocg; o0 += TRANSPOSE_BLOCK) {
                        int o1 = Math.min(ocg, o0 + TRANSPOSE_BLOCK);
                        for (int o = o0; o < o1; o++) {
                            for (int k = k0; k < k1; k++) {
                                long from = (long) k * ocg + o, to = base + (long) o * kGroup + k;
                                // whole elements moved as bits, whatever they mean
                                switch (esz) {
                                    case 4 -> weights.setAtIndex(ValueLayout.JAVA_INT, to,
                                            group.getAtIndex(ValueLayout.JAVA_INT, from));
                                    case 8 -> weights.setAtIndex(ValueLayout.JAVA_LONG, to,
                                            group.getAtIndex(ValueLayout.JAVA_LONG, from));
                                    default -> MemorySegment.copy(group, from * esz, weights, to * esz, esz);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public String implementation() {
        return implementation;
    }

    @Override
    public void forward(MemorySegment x, MemorySegment y, int batch, int threads) {
        long pixels = (long) batch * s.oh() * s.ow();
        Workers.Shared shared = Workers.share(workers(threads, pixels), x, y);
        int workers = shared.threads();
        OpenBlas.applyThreads(workers > 1 ? 1 : threads);
        if (workers <= 1) {
            range(x, y, 0, pixels);
            return;
        }
        MemorySegment xs = shared.x(), ys = shared.y();
        Workers.run(workers, workers, (from, to) -> {
            for (int w = from; w < to; w++) {
                range(xs, ys, pixels * w / workers, pixels * (w + 1) / workers);
            }
        });
    }

    /**
     * How many Java workers split a forward's pixels, each packing its own tiles and running single-threaded
     * GEMMs; 1 leaves the threads to OpenBLAS inside each GEMM.
     */
    private int workers(int threads, long pixels) {
        if (threads <= 1 || pixels / threads < minWorkerRows) {
            return 1;
        }
        return (int) Math.min(threads, pixels);
    }

    /** Output pixels {@code [q0, q1)}, counted over {@code (mb, oh, ow)}, with one workspace from the pool. */
    private void range(MemorySegment x, MemorySegment y, long q0, long q1) {
        Workspace ws = idle.pollFirst();
        if (ws == null) {
            ws = new Workspace();
        }
        try {
            if (nhwc) {
                forwardNhwc(x, y, q0, q1, ws);
            } else {
                forwardNchw(x, y, q0, q1, ws);
            }
        } finally {
            idle.offerFirst(ws);
        }
    }

    private void forwardNhwc(MemorySegment x, MemorySegment y, long q0, long q1, Workspace ws) {
        boolean unpacked = direct && (x.isNative() || takesHeap);
        boolean staged = !y.isNative() && !takesHeap;
        for (long p0 = q0; p0 < q1; p0 += tileRows) {
            int rows = (int) Math.min(tileRows, q1 - p0);
            MemorySegment a = x;
            long aOffset = p0 * kTotal * esz;
            if (!unpacked) {
                a = ws.patches();
                aOffset = 0;
                view.packRows(x, p0, rows, a);
            }
            MemorySegment c = staged ? ws.staging() : y;
            long cOffset = staged ? 0 : p0 * oc * esz;
            for (int g = 0; g < groups; g++) {
                gemm(transB, rows, ocg, kGroup, a, aOffset + (long) g * kGroup * esz, kTotal,
                        weights, (long) g * kGroup * ocg * esz, transB ? kGroup : ocg,
                        c, cOffset + (long) g * ocg * esz, oc);
            }
            epilogue.rows(c, cOffset / esz, rows);
            if (staged) {
                MemorySegment.copy(c, 0, y, p0 * oc * esz, (long) rows * oc * esz);
            }
        }
    }

    private void forwardNchw(MemorySegment x, MemorySegment y, long q0, long q1, Workspace ws) {
        boolean unpacked = direct && (x.isNative() || takesHeap);
        boolean staged = !y.isNative() && !takesHeap;
        int pixels = s.oh() * s.ow();
        for (long n = q0 / pixels; n * pixels < q1; n++) {
            int end = (int) Math.min(pixels, q1 - n * pixels);
            for (int p0 = (int) Math.max(0, q0 - n * pixels); p0 < end; p0 += tileRows) {
                int cols = Math.min(tileRows, end - p0);
                MemorySegment b = x;
                long bOffset = (n * kTotal * pixels + p0) * esz;
                int ldb = pixels;
                if (!unpacked) {
                    b = ws.patches();
                    bOffset = 0;
                    ldb = cols;
                    view.packColumns(x, n, p0, cols, b);
                }
                MemorySegment c = staged ? ws.staging() : y;
                long cOffset = staged ? 0 : (n * oc * pixels + p0) * esz;
                int ldc = staged ? cols : pixels;
                for (int g = 0; g < groups; g++) {
                    gemm(false, ocg, cols, kGroup, weights, (long) g * ocg * kGroup * esz, kGroup,
                            b, bOffset + (long) g * kGroup * ldb * esz, ldb,
                            c, cOffset + (long) g * ocg * ldc * esz, ldc);
                }
                epilogue.planes(c, cOffset / esz, ldc, cols);
                if (staged) {
                    for (int o = 0; o < oc; o++) {
                        MemorySegment.copy(c, (long) o * cols * esz, y, ((n * oc + o) * pixels + p0) * esz,
                                (long) cols * esz);
                    }
                }
            }
        }
    }

    private void gemm(boolean transposeB, int m, int n, int k, MemorySegment a, long aOffset, int lda,
            MemorySegment b, long bOffset, int ldb, MemorySegment c, long cOffset, int ldc) {
        multiply.run(transposeB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    }

    @Override
    public void close() {
        idle.clear();
        arena.close();
    }

    /** One call's scratch: a patch tile and an output staging tile, each allocated on first use. */
    private final class Workspace {
        private MemorySegment patches, staging;

        MemorySegment patches() {
            if (patches == null) {
                patches = allocate((long) tileRows * kTotal * esz);
            }
            return patches;
        }

        MemorySegment staging() {
            if (staging == null) {
                staging = allocate((long) tileRows * oc * esz);
            }
            return staging;
        }
    }

    private MemorySegment allocate(long bytes) {
        synchronized (arena) {
            return arena.allocate(bytes, 64);
        }
    }
}
