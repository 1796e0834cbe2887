package io.github.conv4j.engine.onednn;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;

/**
 * oneDNN's convolution primitive through the bytedeco {@code dnnl} preset (oneDNN 3.11, OpenMP runtime).
 *
 * <p>A plan creates the primitive once, with {@code format_tag::any} weights so oneDNN picks its blocked layout,
 * reorders the weights into it once, and {@code forward} hands the caller's buffers to the primitive without
 * copying them (Java-heap segments excepted: they have no address, so they are staged through native memory).
 * {@link io.github.conv4j.Settings#threads()} is applied through OpenMP on the calling thread.
 */
public final class OneDnnEngine implements ConvEngine {
    /** This engine's name. */
    public static final String NAME = "onednn";

    static final String F64_REASON = "float64: oneDNN runs f64 convolution on GPU engines only; on the CPU engine"
            + " primitive creation returns dnnl_unimplemented";

    /** What oneDNN reports about itself here: version, threading runtime, instruction set of its kernels. */
    public record Info(String version, String runtime, String isa) {
        @Override
        public String toString() {
            return "oneDNN " + version + " (" + runtime + "), isa " + isa;
        }
    }

    /** Loads the natives on first use and remembers the outcome, failure included. */
    private static final class Loaded {
        static final OneDnnRuntime RUNTIME;
        static final Availability AVAILABILITY;

        static {
            OneDnnRuntime runtime = null;
            Availability availability;
            try {
                runtime = OneDnnRuntime.load();
                availability = Availability.yes(info(runtime).toString());
            } catch (Throwable t) {
                // probe() must not throw, whatever loading raises: missing jars, a missing .so, a refused
                // native access, an engine that cannot be created
                availability = Availability.no("oneDNN cannot load: " + describe(t)
                        + "; fix: put org.bytedeco:dnnl:3.11-1.5.13 and org.bytedeco:opencl:3.0-1.5.13 with their"
                        + " platform classifier jars (e.g. linux-x86_64) on the class path and run java with"
                        + " --enable-native-access=ALL-UNNAMED");
            }
            RUNTIME = runtime;
            AVAILABILITY = availability;
        }
    }

    private static String describe(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (!b.isEmpty()) {
                b.append(", caused by ");
            }
            b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return b.toString();
    }

    private static Info info(OneDnnRuntime r) {
        return new Info(r.version(), r.runtime(), r.isa());
    }

    /** Version, runtime and ISA of the loaded oneDNN, or empty when it cannot load (see {@link #probe()}). */
    public static Optional<Info> info() {
        return Loaded.RUNTIME == null ? Optional.empty() : Optional.of(info(Loaded.RUNTIME));
    }

    /** The loaded runtime. */
    static OneDnnRuntime runtime() {
        OneDnnRuntime r = Loaded.RUNTIME;
        if (r == null) {
            throw new IllegalStateException("engine " + NAME + " is unavailable: " + Loaded.AVAILABILITY.reason());
        }
        return r;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability probe() {
        return Loaded.AVAILABILITY;
    }

    @Override
    public Map<String, String> properties() {
        return info().map(i -> Map.of("onednn_version", i.version(), "onednn_runtime", i.runtime(),
                "onednn_isa", i.isa())).orElse(Map.of());
    }

    @Override
    public Optional<String> declines(ConvSpec spec) {
        if (spec.dtype() == DType.FLOAT64) {
            return Optional.of(F64_REASON);
        }
        // Both rules below come from conv4j's differential fuzzing of oneDNN 3.11 (brg_conv_fwd kernels); the
        // specs they decline are degenerate geometry that real networks do not use, and auto sends them to
        // the next engine.
        if (spec.hasBias() || spec.relu()) {
            // a SIGSEGV (null dereference in brgemm_convolution_fwd_t::perform_outwork) that kills the JVM, when
            // bias or ReLU meets an axis on which every output reads padding only; e.g. NHWC x=[1,5,2,5]
            // w=[2,1,5,3] stride 2,4 dilation 1,3 pads 0,0,2,3 with bias. Specs where only some rows or columns
            // are blind (pads as large as the kernel) ran correctly in the same search.
            boolean rows = allBlind(spec.ih(), spec.oh(), spec.sh(), spec.dh(), spec.kh(), spec.padTop());
            boolean cols = allBlind(spec.iw(), spec.ow(), spec.sw(), spec.dw(), spec.kw(), spec.padLeft());
            if (rows || cols) {
                return Optional.of((spec.hasBias() ? "bias" : "relu") + " where every output " + (rows ? "row" : "column")
                        + " reads only padding: oneDNN 3.11 can crash on such specs (SIGSEGV in"
                        + " brgemm_convolution_fwd_t::perform_outwork)");
            }
        }
        // wrong results (not an error) when an axis has one output and a stride above 1, with a batch above 1;
        // e.g. NCHW x=[2,1,2,2] w=[2,1,5,5] stride 1,4 dilation 2,1 pads 4,4,2,1
        if (spec.oh() == 1 && spec.sh() > 1 || spec.ow() == 1 && spec.sw() > 1) {
            return Optional.of("one output " + (spec.oh() == 1 && spec.sh() > 1 ? "row with stride sh=" + spec.sh()
                    : "column with stride sw=" + spec.sw()) + ": oneDNN 3.11 computes wrong results for such specs");
        }
        return Optional.empty();
    }

    /** Whether every output position along one axis has all its kernel taps in the padding. */
    static boolean allBlind(int in, int out, int stride, int dilation, int k, int padBefore) {
        for (long o = 0; o < out; o++) {
            long first = o * stride - padBefore;
            if (first >= 0 && first < in) {
                return false;
            }
            for (long t = 1; t < k; t++) {
                long p = first + t * dilation;
                if (p >= 0 && p < in) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * @throws OneDnnException if oneDNN cannot create or run the primitive or the weight reorder
     */
    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias) {
        return new OneDnnKernel(runtime(), spec, weights, bias);
    }
}
