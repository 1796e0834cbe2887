package io.github.conv4j.engine.winograd;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.engine.VectorApi;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A pure-Java engine for 3x3, stride 1, undilated convolutions by Winograd's minimal filtering: at
 * {@link io.github.conv4j.Accuracy#EXACT} F(2x2,3x3), where each 2x2 block of outputs costs 16 multiplications per
 * channel pair instead of 36; at {@link io.github.conv4j.Accuracy#FAST} F(4x4,3x3), 36 instead of 144, with
 * transforms whose larger coefficients round more. Either pays for input, weight and output transforms. Written
 * with the incubating Vector API ({@code jdk.incubator.vector}).
 *
 * <p>This class never touches {@code jdk.incubator.vector} itself, so it loads, and {@link #probe()} answers, in a
 * JVM started without {@code --add-modules jdk.incubator.vector}. Every vector class is reached through
 * {@link WinogradConv}, which is only loaded once the probe has seen the module in the boot layer.
 */
public final class WinogradEngine implements ConvEngine {
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** Computed once: the module lookup and the class loading behind it do not change in a running JVM. */
    private static final class Probe {
        // a lambda, not a method reference: WinogradConv must not even be resolved before the module check
        static final Availability RESULT = VectorApi.probe(() -> WinogradConv.preferredBitSize());
    }

    @Override
    public String name() {
        return "winograd";
    }

    @Override
    public Availability probe() {
        return Probe.RESULT;
    }

    /** Why bfloat16 is declined. */
    static final String BFLOAT16_REASON = "bfloat16: the Winograd transforms are computed in float32 or float64"
            + " arrays and this engine has no bfloat16 input or output path; use onednn, java-vector or naive";

    @Override
    public Optional<String> declines(ConvSpec spec) {
        return declines(spec, tileFor(spec));
    }

    private static Optional<String> declines(ConvSpec spec, int tile) {
        // the dtypes it computes, named so that a new one does not compile until this engine decides on it
        Optional<String> dtype = switch (spec.dtype()) {
            case FLOAT32, FLOAT64 -> Optional.empty();    // FloatWinograd, DoubleWinograd
            case INT8, UINT8, INT32 -> Optional.of(spec.dtype() + ": this engine computes float32 and float64"
                    + " only; quantized convolutions run on onednn or naive");
            case BFLOAT16 -> Optional.of(BFLOAT16_REASON);
        };
        if (dtype.isPresent()) {
            return dtype;
        }
        String f = "F(" + tile + "x" + tile + ",3x3)";
        if (spec.kh() != 3 || spec.kw() != 3) {
            return Optional.of("kernel is " + spec.kh() + "x" + spec.kw() + ": " + f + " needs a 3x3 kernel");
        }
        if (spec.sh() != 1 || spec.sw() != 1) {
            return Optional.of("stride is " + spec.sh() + "x" + spec.sw() + ": " + f + " needs stride 1");
        }
        if (spec.dh() != 1 || spec.dw() != 1) {
            return Optional.of("dilation is " + spec.dh() + "x" + spec.dw() + ": " + f + " needs dilation 1");
        }
        if (spec.isDepthwise()) {
            // one input channel per group leaves nothing to sum over: the products per tile would be GEMMs of
            // width one, slower than the direct multiplications the direct loops vectorise over channels
            return Optional.of("depthwise (groups = ic = " + spec.groups() + "): " + f + " needs input channels"
                    + " to sum over; use java-vector's depthwise loop");
        }
        // Scratch and transformed weights live in Java arrays; size them with the widest species any CPU offers.
        long lanes = VectorApi.MAX_VECTOR_BYTES / spec.dtype().byteSize();
        long icp = spec.icPerGroup() + lanes, ocp = spec.ocPerGroup() + lanes;
        long planes = (tile + 2L) * (tile + 2);
        long weights = spec.groups() * planes * spec.icPerGroup() * ocp;
        // a block of more than one register block of tiles fits maxBlockBytes (a quarter more when one block takes
        // all tiles); a single register block may exceed it
        long block = Math.max(planes * WinogradConv.ROWS * Math.max(icp, ocp),
                WinogradConv.MAX_BLOCK_BYTES * 5 / 4 / spec.dtype().byteSize());
        long image = (long) spec.ih() * spec.iw() * spec.ic();
        long outImage = (long) spec.oh() * spec.ow() * spec.oc();
        // the zero-padded input rows a band of tiles reads
        long stage = (tile + 2L) * (((long) spec.ow() + tile - 1) / tile * tile + 2) * icp;
        long largest = Math.max(Math.max(Math.max(weights, block), stage), Math.max(image, outImage));
        long tiles = (long) spec.mb() * ((spec.oh() + tile - 1) / tile) * ((spec.ow() + tile - 1) / tile);
        if (tiles > MAX_ARRAY) {
            return Optional.of("batch too large for one call: " + tiles + " output tiles of " + tile + "x" + tile);
        }
        if (largest > MAX_ARRAY) {
            return Optional.of("scratch or transformed weights exceed a Java array: " + largest + " elements (image "
                    + image + ", output image " + outImage + ", transformed weights " + weights + ", staged rows "
                    + stage + ")");
        }
        return Optional.empty();
    }

    /**
     * Outputs per tile side for {@code spec}'s accuracy level: F(2x2,3x3) at EXACT; F(4x4,3x3), whose transforms
     * round more, at FAST, and at BF16, whose bound is larger than FAST's for every reduction length (its added
     * {@code (2u + u^2) sqrt(K)}, u = 2^-8, is about 780 times float32's EXACT {@code 1e-5 sqrt(K)}).
     */
    static int tileFor(ConvSpec spec) {
        return switch (spec.accuracy()) {
            case EXACT -> 2;
            case FAST, BF16 -> 4;
        };
    }

    /**
     * At a level that allows F(4x4,3x3), it and F(2x2,3x3): the larger tile does fewer multiplications, the smaller
     * transforms and streams a third of the weights (U) and wastes less on outputs that are not a multiple of 4, and
     * which wins depends on the layer and the machine. At EXACT there is one way.
     */
    @Override
    public List<String> variants(ConvSpec spec) {
        if (tileFor(spec) == 2) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int tile : new int[] {tileFor(spec), 2}) {
            if (declines(spec, tile).isEmpty()) {
                out.add(label(tile));
            }
        }
        return out.size() > 1 ? List.copyOf(out) : List.of();
    }

    private static String label(int tile) {
        return "F(" + tile + "x" + tile + ",3x3)";
    }

    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        return planTile(spec, weights, bias, tileFor(spec));
    }

    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads, String variant) {
        for (String v : variants(spec)) {
            if (v.equals(variant)) {
                return planTile(spec, weights, bias, v.equals(label(2)) ? 2 : tileFor(spec));
            }
        }
        throw new IllegalArgumentException("engine winograd has no variant " + variant + " for " + spec
                + "; its variants: " + variants(spec));
    }

    private ConvKernel planTile(ConvSpec spec, MemorySegment weights, MemorySegment bias, int tile) {
        if (!probe().available()) {
            throw new UnsupportedOperationException("engine winograd is unavailable: " + probe().reason());
        }
        return WinogradConv.plan(spec, weights, bias, tile);
    }
}
