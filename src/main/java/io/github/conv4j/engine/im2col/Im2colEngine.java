package io.github.conv4j.engine.im2col;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.Layout;
import io.github.conv4j.engine.StridedSplit;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;

/**
 * The strided split packed into off-heap patch tiles, then OpenBLAS GEMM: everything but the GEMM binding,
 * which the two subclasses ({@code im2col-jni}, {@code im2col-ffm}) choose.
 *
 * <p>The patch workspace of each {@code forward}, and of each Java worker when a forward is split among them,
 * is bounded by the system property {@value #WORKSPACE} (bytes, read when a plan is made; default
 * {@value #DEFAULT_WORKSPACE}), whatever the batch size: a forward on {@code n} threads uses at most {@code n}
 * times the bound. A plan keeps the workspaces it has made for its next calls until it is closed.
 */
public abstract sealed class Im2colEngine implements ConvEngine permits Im2colJniEngine, Im2colFfmEngine {
    /** System property: the most bytes of patch and output scratch a {@code forward}, or one of its workers, uses. */
    public static final String WORKSPACE = "conv4j.im2col.workspace";
    /**
     * The default workspace bound: 8 MiB. Within it a plan takes tiles of about 1 MiB of patches (they stay in L2
     * between packing and the GEMM), or at least 512 rows when patch rows are long (fewer rows leave OpenBLAS
     * repacking the weights for little work). Measured at commit ca3d983, not recorded in bench/results:
     * interleaved in one JVM, 1 thread, GFLOP/s for bounds of 1, 4 and 16 MiB: R1 107, 105, 106; R3 118, 118,
     * 117; R4 91, 102, 99; R5 47, 84, 106. 8 MiB itself was not timed against other bounds: under the tile rule
     * of then it gave the 16 MiB tiles on these shapes; since tiles also count the weights it caps R4 at 819
     * rows ({@code bench/results/im2col-tuning-2026-11-28.md}), where 16 MiB would allow all 1,568.
     */
    public static final long DEFAULT_WORKSPACE = 8L << 20;

    private volatile Availability availability;

    /** The GEMM binding; called only once {@link #probe()} said the engine is available. */
    abstract Gemm gemm();

    /** The binding's name as shown in the plan's implementation string. */
    abstract String binding();

    @Override
    public Availability probe() {
        Availability a = availability;
        if (a == null) {
            try {
                a = OpenBlas.availability();
                if (a.available()) {
                    gemm();    // resolves the binding's own classes now, not in the first forward
                    a = Availability.yes(binding() + ": " + a.reason());
                }
            } catch (LinkageError | RuntimeException e) {
                a = Availability.no(binding() + " binding did not load: " + e + "; fix: put org.bytedeco:openblas"
                        + " and org.bytedeco:javacpp (with linux-x86_64 classifier jars) on the class path");
            }
            availability = a;
        }
        return a;
    }

    @Override
    public Map<String, String> properties() {
        if (!probe().available()) {
            return Map.of();
        }
        return Map.of("openblas_config", OpenBlas.config(), "openblas_core", OpenBlas.corename(),
                "openblas_threads", Integer.toString(OpenBlas.threads()));
    }

    /** Why bfloat16 is declined. */
    static final String BFLOAT16_REASON = "bfloat16: OpenBLAS 0.3.31 offers sbgemm with float32 output only, and"
            + " this engine packs and multiplies float32 or float64; use onednn, java-vector or naive";

    @Override
    public Optional<String> declines(ConvSpec spec) {
        // the dtypes it computes, named so that a new one does not compile until this engine decides on it
        Optional<String> dtype = switch (spec.dtype()) {
            case FLOAT32, FLOAT64 -> Optional.empty();    // cblas_sgemm, cblas_dgemm
            case INT8, UINT8, INT32 -> Optional.of(spec.dtype() + ": this engine computes float32 and float64"
                    + " only; quantized convolutions run on onednn or naive");
            case BFLOAT16 -> Optional.of(BFLOAT16_REASON);
        };
        if (dtype.isPresent()) {
            return dtype;
        }
        Optional<String> split = StridedSplit.declines(spec);
        if (split.isPresent()) {
            return split;
        }
        long k = (long) spec.kh() * spec.kw() * spec.ic();
        if (k > Integer.MAX_VALUE) {
            return Optional.of("patch length overflows BLAS's int: kh*kw*ic = " + spec.kh() + "*" + spec.kw() + "*"
                    + spec.ic() + " = " + k);
        }
        long pixels = (long) spec.oh() * spec.ow();
        if (spec.layout() == Layout.NCHW && pixels > Integer.MAX_VALUE) {
            return Optional.of("output plane overflows BLAS's int leading dimension: oh*ow = " + spec.oh() + "*"
                    + spec.ow() + " = " + pixels);
        }
        return Optional.empty();
    }

    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        return new Im2colKernel(spec, weights, bias, gemm(), binding(), Im2colKernel.Tuning.of(spec, workspaceBound()));
    }

    /**
     * The workspace bound in bytes: {@value #WORKSPACE}, or {@value #DEFAULT_WORKSPACE}.
     *
     * @throws IllegalArgumentException if the property is not a positive integer
     */
    public static long workspaceBound() {
        String v = System.getProperty(WORKSPACE);
        if (v == null) {
            return DEFAULT_WORKSPACE;
        }
        try {
            long bytes = Long.parseLong(v.trim());
            if (bytes > 0) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(WORKSPACE + " must be a positive number of bytes: " + v);
    }
}
