package io.github.conv4j.engine.winograd;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.VectorShape;

/**
 * The engine's entry into {@code jdk.incubator.vector}: only loaded after {@link WinogradEngine#probe()} found the
 * module. Also holds what the float and double kernels share: the block sizes.
 */
final class WinogradConv {
    /**
     * Tiles (rows of each GEMM) per register block of the micro-kernel: 6 rows by 2 vectors are 12 accumulators,
     * which with two weight vectors and a broadcast fit the 16 vector registers of AVX2; 6 by 4 are 24, which fit
     * AVX-512's 32. A choice, not measured against other heights.
     */
    static final int ROWS = 6;
    /**
     * The default blocking's largest block of more than one register block; a constant so that the engine's
     * {@code declines} can size arrays without loading this class.
     */
    static final long MAX_BLOCK_BYTES = 16 << 20;
    /** The most tiles per block, so that few channels do not make one block cover whole images. A choice. */
    static final int MAX_TILES = 480;

    private WinogradConv() {
    }

    /** The preferred vector size in bits; loading this answer is what proves the Vector API works. */
    static int preferredBitSize() {
        return VectorShape.preferredShape().vectorBitSize();
    }

    /** Plans {@code spec} with tiles of {@code tile x tile} outputs, 2 or 4, whatever its accuracy level. */
    static ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int tile) {
        return plan(spec, weights, bias, tile, Blocking.DEFAULT);
    }

    /** {@link #plan(ConvSpec, MemorySegment, MemorySegment, int)} with other block sizes, for tuning runs. */
    static ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int tile, Blocking blocking) {
        if (tile != 2 && tile != 4) {
            throw new IllegalArgumentException("tile is " + tile + ": 2 or 4");
        }
        return switch (spec.dtype()) {
            case FLOAT32 -> new FloatWinograd(spec, weights, bias, tile, blocking);
            case FLOAT64 -> new DoubleWinograd(spec, weights, bias, tile, blocking);
            case INT8, UINT8, INT32 -> throw new IllegalArgumentException("winograd declines " + spec.dtype());
            case BFLOAT16 -> throw new UnsupportedOperationException(WinogradEngine.BFLOAT16_REASON);
        };
    }

    /**
     * How a kernel cuts its work into blocks of tiles: each block's transformed inputs and products
     * ({@code planes * T * (icp + ocp)} elements) take at least {@code blockBytes}, so that they stay in L2
     * between the transforms and the GEMMs, but at least {@code minTiles} tiles, so that every weight panel a
     * block reads (all of U, once per block) serves enough rows, and at most {@code maxBlockBytes}. A GEMM sums
     * over at most {@code kc} input channels at a time, on panels of {@code panelVectors} (2 or 4) vectors of
     * output channels.
     *
     * <p>{@link #DEFAULT}'s numbers come from a sweep of the alternatives on R1, R3, R4 and R5 at both tile sizes
     * (bench/results/winograd-blocking-2026-11-30.md): a 1 MiB block alone left R5 (7x7 images, 512 channels, 16
     * MiB of transformed weights) at 12 tiles per block, streaming all of U for every 12 tiles, at 0.42x oneDNN's
     * speed.
     */
    record Blocking(long blockBytes, int minTiles, long maxBlockBytes, int kc, int panelVectors) {
        /**
         * The blocking every plan uses. Four-vector panels with 512-bit vectors, which come with 32 vector
         * registers (AVX-512): a broadcast then feeds four FMAs instead of two. With 256-bit vectors (AVX2's 16
         * registers) 24 accumulators would spill.
         */
        static final Blocking DEFAULT = new Blocking(1 << 20, 126, MAX_BLOCK_BYTES, 256,
                preferredBitSize() >= 512 ? 4 : 2);

        /**
         * Tiles per block for {@code planes} GEMMs of {@code icp} and {@code ocp} padded channels of {@code bytes}
         * each, a whole number of register blocks at least one and at most {@link #MAX_TILES} (a quarter more for
         * one block taking all). When {@code tiles} (all of a call's) need more than one block, the blocks are made
         * equal; when they overfill one by at most a quarter, one block takes them all, rather than a last block
         * that streams all the weights for a few tiles.
         */
        int tilesPerBlock(int planes, int icp, int ocp, int bytes, long tiles) {
            long perTile = (long) planes * (icp + ocp) * bytes;
            long t = Math.min(Math.max(blockBytes / perTile, minTiles), maxBlockBytes / perTile);
            t = Math.clamp(t, ROWS, MAX_TILES) / ROWS * ROWS;
            if (roundUp(tiles, ROWS) <= t + t / 4) {
                return (int) roundUp(tiles, ROWS);
            }
            long blocks = (tiles + t - 1) / t;
            return (int) roundUp((tiles + blocks - 1) / blocks, ROWS);
        }

        /** Input channels per GEMM chunk for {@code icg} channels: equal chunks of at most {@code kc}. */
        int chunk(int icg) {
            int chunks = (icg + kc - 1) / kc;
            return (icg + chunks - 1) / chunks;
        }
    }

    /**
     * The weight transform {@code G} of F(tile x tile, 3x3), {@code (tile + 2) x 3}: F(2x2,3x3)'s interpolates
     * at 0, 1, -1 and infinity, F(4x4,3x3)'s at 0, 1, -1, 2, -2 and infinity (Lavin and Gray, 2016).
     */
    static double[][] weightTransform(int tile) {
        if (tile == 2) {
            return new double[][] {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        }
        return new double[][] {{1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
                {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
