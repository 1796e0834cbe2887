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
     * Tiles (rows of each of the 16 GEMMs) per register block of the micro-kernel: 6 rows by 2 vectors are 12
     * accumulators, which with two weight vectors and a broadcast fit the 16 vector registers of AVX2 as well as
     * AVX-512's 32. A choice, not measured against other heights.
     */
    static final int ROWS = 6;
    /**
     * Bytes a block's transformed inputs and products may take, {@code 16 * T * (icg + ocg)} elements: meant to
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

    static ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        return switch (spec.dtype()) {
            case FLOAT32 -> new FloatWinograd(spec, weights, bias);
            case FLOAT64 -> new DoubleWinograd(spec, weights, bias);
        };
    }

    /**
     * Tiles per block for {@code icp} and {@code ocp} padded channels of {@code bytes} each: as many whole
     * register blocks as fit {@link #BLOCK_BYTES}, at least one, at most {@link #MAX_TILES} and no more than
     * {@code tiles} rounded up to a register block.
     */
    static int tilesPerBlock(int icp, int ocp, int bytes, long tiles) {
        long perTile = 16L * (icp + ocp) * bytes;
        long t = Math.clamp(BLOCK_BYTES / perTile, ROWS, MAX_TILES) / ROWS * ROWS;
        return (int) Math.min(t, (tiles + ROWS - 1) / ROWS * ROWS);
    }

    static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }
}
