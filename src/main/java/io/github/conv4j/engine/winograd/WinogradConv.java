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
     * Tiles (rows of each GEMM) per register block of the micro-kernel: 6 rows by 2 vectors are 12
     * accumulators, which with two weight vectors and a broadcast fit the 16 vector registers of AVX2 as well as
     * AVX-512's 32. A choice, not measured against other heights.
     */
    static final int ROWS = 6;
    /**
     * Bytes a block's transformed inputs and products may take, {@code planes * T * (icg + ocg)} elements: meant to
     * stay in L2 between the transforms and the GEMMs. A guess, not measured against other sizes.
     */
    static final int BLOCK_BYTES = 1024 * 1024;
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
        if (tile != 2 && tile != 4) {
            throw new IllegalArgumentException("tile is " + tile + ": 2 or 4");
        }
        return switch (spec.dtype()) {
            case FLOAT32 -> new FloatWinograd(spec, weights, bias, tile);
            case FLOAT64 -> new DoubleWinograd(spec, weights, bias, tile);
        };
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

    /**
     * Tiles per block for {@code planes} GEMMs of {@code icp} and {@code ocp} padded channels of {@code bytes}
     * each: as many whole register blocks as fit {@link #BLOCK_BYTES}, at least one, at most {@link #MAX_TILES}
     * and no more than {@code tiles} rounded up to a register block.
     */
    static int tilesPerBlock(int planes, int icp, int ocp, int bytes, long tiles) {
        long perTile = (long) planes * (icp + ocp) * bytes;
        long t = Math.clamp(BLOCK_BYTES / perTile, ROWS, MAX_TILES) / ROWS * ROWS;
        return (int) Math.min(t, (tiles + ROWS - 1) / ROWS * ROWS);
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
