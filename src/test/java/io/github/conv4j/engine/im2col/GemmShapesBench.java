package io.github.conv4j.engine.im2col;

import io.github.conv4j.Settings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * OpenBLAS's {@code cblas_sgemm} alone on the GEMMs that im2col makes of R1..R5, at 1 thread: what the engine
 * can reach at best whatever its packing does. Patch tiles are "hot" (one tile buffer, reused, as the kernel's
 * packer leaves it in cache) or "cold" (slices of the whole patch matrix, as R2 reads its input); weights
 * {@code [K][N]} as they arrive or {@code [N][K]} multiplied transposed; tiles of 256 rows to the whole matrix.
 * Then R1 without any packing: nine GEMMs over a zero-padded copy of the input, one per kernel tap, each reading
 * the input shifted by the tap and accumulating into an output with two junk columns per row. Variants are
 * interleaved round by round; cells are medians of 5 rounds, each the best of 3 runs. Prints Markdown.
 *
 * <p>Run: {@code java @native-config/jvm.args -cp <test class path> io.github.conv4j.engine.im2col.GemmShapesBench}.
 */
public final class GemmShapesBench {
    private static final int ROUNDS = 5;

    private GemmShapesBench() {
    }

    public static void main(String[] args) throws Throwable {
        Settings.setThreads(1);
        OpenBlas.applyThreads(1);
        MethodHandle sgemm = OpenBlas.natives().sgemm();
        System.out.println("OpenBLAS: " + OpenBlas.info());
        System.out.println();
        System.out.println("| GEMM (M x K x N) | variant | GFLOP/s |");
        System.out.println("|---|---|---:|");
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("R1", new int[] {25088, 576, 64});
        shapes.put("R2", new int[] {25088, 64, 256});
        shapes.put("R3", new int[] {6272, 1152, 128});
        shapes.put("R4", new int[] {1568, 2304, 256});
        shapes.put("R5", new int[] {392, 4608, 512});
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom rnd = new SplittableRandom(7);
            for (Map.Entry<String, int[]> e : shapes.entrySet()) {
                int m = e.getValue()[0], k = e.getValue()[1], n = e.getValue()[2];
                MemorySegment a = random(arena, (long) m * k, rnd), w = random(arena, (long) k * n, rnd);
                int tileRows = Math.min(m, 2048);
                MemorySegment tile = random(arena, (long) tileRows * k, rnd);
                MemorySegment c = arena.allocate((long) m * n * 4, 64);
                Map<String, Runnable> variants = new LinkedHashMap<>();
                int[] sizes = IntStream.concat(
                        Arrays.stream(new int[] {256, 512, 1024, 2048}).filter(r -> r < m), IntStream.of(m))
                        .toArray();
                for (int rows : sizes) {
                    String size = rows == m ? "whole" : rows + " rows";
                    // a hot tile must hold the rows it is read as: the downcall checks no bounds
                    boolean[] temperatures = rows <= tileRows ? new boolean[] {true, false} : new boolean[] {false};
                    for (boolean hot : temperatures) {
                        for (boolean t : new boolean[] {false, true}) {
                            String name = (hot ? "hot" : "cold") + " tiles of " + size + ", weights "
                                    + (t ? "[N][K]" : "[K][N]");
                            variants.put(name, () -> tiles(sgemm, m, k, n, rows, hot ? tile : a, !hot, w, t, c));
                        }
                    }
                }
                report(e.getKey() + " (" + m + " x " + k + " x " + n + ")", 2.0 * m * k * n, variants);
            }
            shifted(arena, sgemm);
            int s = 2048;
            MemorySegment a = random(arena, (long) s * s, new SplittableRandom(3));
            MemorySegment b = random(arena, (long) s * s, new SplittableRandom(4));
            MemorySegment c = arena.allocate((long) s * s * 4, 64);
            report("square (2048 x 2048 x 2048)", 2.0 * s * s * s, Map.of("one call", () -> call(sgemm, false, s, s, s,
                    a, s, b, s, 0f, c, s)));
        }
    }

    /** R1 as nine shifted GEMMs over a padded input: no patch matrix at all. */
    private static void shifted(Arena arena, MethodHandle sgemm) {
        int mb = 8, hp = 58, wp = 58, ic = 64, oc = 64;
        long rowsPadded = (long) mb * hp * wp;
        MemorySegment x = random(arena, (rowsPadded + 2L * wp + 2) * ic, new SplittableRandom(5));
        MemorySegment w = random(arena, 9L * ic * oc, new SplittableRandom(6));
        MemorySegment c = arena.allocate(rowsPadded * oc * 4, 64);
        Map<String, Runnable> variants = new LinkedHashMap<>();
        for (int rows : new int[] {512, 1024, 2048, 4096}) {
            variants.put("nine shifted GEMMs, tiles of " + rows + " padded rows", () -> {
                for (long m0 = 0; m0 < rowsPadded; m0 += rows) {
                    int r = (int) Math.min(rows, rowsPadded - m0);
                    for (int tap = 0; tap < 9; tap++) {
                        long shift = (long) (tap / 3) * wp + tap % 3;
                        call(sgemm, false, r, oc, ic, x.asSlice((m0 + shift) * ic * 4), ic,
                                w.asSlice((long) tap * ic * oc * 4), oc, tap == 0 ? 0f : 1f, c.asSlice(m0 * oc * 4), oc);
                    }
                }
            });
        }
        // useful FLOPs only: the padded rows' extra work counts against the variant
        report("R1 without packing (26,912 padded rows, 9 x 64 x 64)", 2.0 * 25088 * 576 * 64, variants);
    }

    private static void tiles(MethodHandle sgemm, int m, int k, int n, int rows, MemorySegment a, boolean slide,
            MemorySegment w, boolean transposed, MemorySegment c) {
        for (long p0 = 0; p0 < m; p0 += rows) {
            int r = (int) Math.min(rows, m - p0);
            call(sgemm, transposed, r, n, k, slide ? a.asSlice(p0 * k * 4) : a, k, w, transposed ? k : n, 0f,
                    c.asSlice(p0 * n * 4), n);
        }
    }

    private static void call(MethodHandle sgemm, boolean transB, int m, int n, int k, MemorySegment a, int lda,
            MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            sgemm.invokeExact(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS, transB ? OpenBlas.TRANS : OpenBlas.NO_TRANS,
                    m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void report(String gemm, double flops, Map<String, Runnable> variants) {
        List<String> names = new ArrayList<>(variants.keySet());
        double[][] gflops = new double[names.size()][ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < names.size(); i++) {
                Runnable task = variants.get(names.get(i));
                long best = Long.MAX_VALUE;
                for (int rep = 0; rep < 3; rep++) {
                    long t0 = System.nanoTime();
                    task.run();
                    best = Math.min(best, System.nanoTime() - t0);
                }
                gflops[i][round] = flops / best;
            }
        }
        for (int i = 0; i < names.size(); i++) {
            Arrays.sort(gflops[i]);
            System.out.printf("| %s | %s | %.1f |%n", gemm, names.get(i), gflops[i][ROUNDS / 2]);
        }
    }

    private static MemorySegment random(Arena arena, long elements, SplittableRandom rnd) {
        MemorySegment s = arena.allocate(elements * 4, 64);
        for (long i = 0; i < elements; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        }
        return s;
    }
}
