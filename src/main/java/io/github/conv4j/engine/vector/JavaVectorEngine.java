package io.github.conv4j.engine.vector;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.engine.StridedSplit;
import io.github.conv4j.engine.VectorApi;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * The pure-Java SIMD engine: a direct register-blocked kernel that reads patches where they lie in the input,
 * a register-blocked GEMM over packed patch rows for long reductions, and a vectorised loop for depthwise ones,
 * written with the incubating Vector API ({@code jdk.incubator.vector}).
 *
 * <p>This class never touches {@code jdk.incubator.vector} itself, so it loads, and {@link #probe()} answers,
 * in a JVM started without {@code --add-modules jdk.incubator.vector}. Every vector class is reached through
 * {@link VectorConv}, which is only loaded once the probe has seen the module in the boot layer.
 */
public final class JavaVectorEngine implements ConvEngine {
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** Computed once: the module lookup and the class loading behind it do not change in a running JVM. */
    private static final class Probe {
        // a lambda, not a method reference: VectorConv must not even be resolved before the module check
        static final Availability RESULT = VectorApi.probe(() -> VectorConv.preferredBitSize());
    }

    @Override
    public String name() {
        return "java-vector";
    }

    @Override
    public Availability probe() {
        return Probe.RESULT;
    }

    @Override
    public Optional<String> declines(ConvSpec spec) {
        // the dtypes it computes, named so that a new one does not compile until this engine decides on it
        Optional<String> dtype = switch (spec.dtype()) {
            case FLOAT32, FLOAT64 -> Optional.empty();    // FloatConv, DoubleConv
            case INT8, UINT8, INT32 -> Optional.of(spec.dtype() + ": this engine computes float32 and float64"
                    + " only; quantized convolutions run on onednn or naive");
            // BFloat16Conv: FloatConv on widened copies, so float32's limits
            case BFLOAT16 -> declines(spec.toBuilder().dtype(DType.FLOAT32).build());
        };
        if (dtype.isPresent() || spec.dtype() == DType.BFLOAT16) {
            return dtype;
        }
        Optional<String> split = StridedSplit.declines(spec);
        if (split.isPresent()) {
            return split;
        }
        // Scratch and packed weights live in Java arrays; size them with the widest species any CPU offers.
        long lanes = VectorApi.MAX_VECTOR_BYTES / spec.dtype().byteSize();
        long k = (long) spec.kh() * spec.kw() * spec.icPerGroup();
        long packedWeights = spec.isDepthwise()
                ? (long) spec.kh() * spec.kw() * (spec.oc() + lanes)
                : spec.groups() * k * (spec.ocPerGroup() + 2 * lanes);
        // a tile holds at most 512 patch rows and their sums
        long tile = 512 * (k + spec.ocPerGroup() + 2 * lanes);
        long image = (long) spec.ih() * spec.iw() * spec.ic();
        long outImage = (long) spec.oh() * spec.ow() * spec.oc();
        long stagedRows = (long) spec.kh() * spec.iw() * (spec.ic() + lanes);

        long directRows = ((long) directJobRows(spec) - 1) * spec.sh() + (long) (spec.kh() - 1) * spec.dh() + 1;
        long directWidth = (long) (spec.ow() - 1) * spec.sw() + (long) (spec.kw() - 1) * spec.dw() + 1;
        long directStage = direct(spec) ? directRows * directWidth * spec.ic() : 0;
        long depthwiseRows = Math.min((long) (spec.kh() - 1) * spec.dh() + 1, spec.ih()) * directWidth * spec.oc();
        long largest = Math.max(Math.max(Math.max(packedWeights, tile), directStage),
                Math.max(Math.max(image, outImage), Math.max(stagedRows, depthwiseRows)));
        // work is split into int-numbered jobs: output rows, or tiles of at least 96 output pixels
        long jobs = Math.max((long) spec.mb() * spec.oh(), (long) spec.mb() * spec.oh() * spec.ow() / 96);
        if (jobs > MAX_ARRAY) {
            return Optional.of("batch too large for one call: " + jobs + " jobs of output rows or tiles");
        }
        if (largest > MAX_ARRAY) {
            return Optional.of("scratch or packed weights exceed a Java array: " + largest + " elements (image "
                    + image + ", output image " + outImage + ", packed weights " + packedWeights + ")");
        }
        return Optional.empty();
    }

    /**
     * Whether the direct kernel computes {@code spec}: each output pixel's taps summed straight from staged input
     * rows, with no patch matrix, bias in the first sums and no sums kept in memory between reduction chunks. It
     * needs each weight panel, {@code k = kh*kw*icg} rows of four vectors, to stay in cache, so it takes
     * reductions up to 1152 and leaves longer ones to the packed GEMM, which chunks them. Thread CPU time, median
     * us, one thread, AMD EPYC (lscpu model name; AVX-512, 16 float lanes), direct against GEMM in alternating
     * runs: R1 (k = 576) 9650-9722 against 12443-15935, R2 (1x1, k = 64) 7531-7853 against 9074-9240, R3
     * (k = 1152) 9110-9239 against 10114-10253, R4 (k = 2304) 10578-10608 against 10101-12818, R5 (k = 4608)
     * 11647-12029 against 9961-11375. And by compare, median us: S2 (k = 27) 261 to 57, R6 (k = 147) 19984 to
     * about 11000. CPUs with 16 vector registers (AVX2) spill the 24 sums of the kernel; not measured.
     */
    static boolean direct(ConvSpec spec) {
        return !spec.isDepthwise() && (long) spec.kh() * spec.kw() * spec.icPerGroup() <= 1152;
    }

    /** Direct: output rows per job, about 512 output pixels; a choice, not measured against other sizes. */
    static int directJobRows(ConvSpec spec) {
        return Math.clamp((512L + spec.ow() - 1) / spec.ow(), 1, spec.oh());
    }

    /** Direct: columns of one staged, zero-padded input row, as many as the output columns read. */
    static int directWidth(ConvSpec spec) {
        return (spec.ow() - 1) * spec.sw() + (spec.kw() - 1) * spec.dw() + 1;
    }

    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        if (!probe().available()) {
            throw new UnsupportedOperationException("engine java-vector is unavailable: " + probe().reason());
        }
        return VectorConv.plan(spec, weights, bias);
    }
}
