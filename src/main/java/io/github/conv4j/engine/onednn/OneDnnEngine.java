package io.github.conv4j.engine.onednn;

import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Padding;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.Optional;

/**
 * oneDNN's convolution primitive through the bytedeco {@code dnnl} preset (oneDNN 3.11, OpenMP runtime).
 *
 * <p>A plan creates the primitive once, with {@code format_tag::any} weights so oneDNN picks its blocked layout,
 * reorders the weights into it once, and {@code forward} hands the caller's buffers to the primitive without
 * copying them (Java-heap segments excepted: they have no address, so they are staged through native memory).
 * Each call's thread budget is applied through OpenMP on the calling thread and a primitive made for that count.
 *
 * <p>Reduced precision: at {@link io.github.conv4j.Accuracy#BF16} the primitive's floating-point math mode is
 * bf16, so oneDNN may round float32 inputs and weights to bfloat16 inside it (accumulating in float32) while the
 * tensors stay float32. bfloat16 tensors ({@link io.github.conv4j.DType#BFLOAT16}) are handed to oneDNN as
 * bf16 memory for src, weights, bias and dst: products of bfloat16 values are exact in float32, the sums are
 * float32, and the output is rounded to bfloat16 once.
 */
public final class OneDnnEngine implements ConvEngine {
    /** This engine's name. */
    public static final String NAME = "onednn";

    static final String F64_REASON = "float64: oneDNN runs f64 convolution on GPU engines only; on the CPU engine"
            + " primitive creation returns dnnl_unimplemented";

    static final String WEIGHT_ZERO_POINT_REASON = "nonzero weight zero points: oneDNN 3.11's CPU convolution"
            + " accepts zero points for src and dst only (primitive creation returns dnnl_unimplemented)";
    static final String BFLOAT16_UNFUSED_REASON = "bfloat16 where an output column sees only padding right of the"
            + " input: oneDNN 3.11's brg_conv_fwd can crash there (issue 5942) when it post-processes the output,"
            + " which it does for every bfloat16 output, bias and relu or not";

    /**
     * Whether oneDNN makes bf16 convolutions on this CPU, found once by making a small one: oneDNN 3.11 has them
     * only from avx512_core (emulated there, native with avx512_bf16) or avx2_vnni_2, and refuses bf16 memory
     * below that ({@code ONEDNN_MAX_CPU_ISA=AVX2} shows it). Empty when it does, or when oneDNN is unavailable
     * ({@link #probe()} says why then).
     */
    private static final class Bf16Support {
        static final Optional<String> REASON = find();

        private static Optional<String> find() {
            OneDnnRuntime r = Loaded.RUNTIME;
            if (r == null) {
                return Optional.empty();
            }
            ConvSpec spec = ConvSpec.builder().dtype(DType.BFLOAT16).input(1, 4, 4, 16).kernel(3, 3, 16)
                    .padding(Padding.SAME).bias(true).build();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment w = arena.allocate(spec.weightElements() * 2, 64);
                MemorySegment b = arena.allocate(spec.oc() * 2L, 64);
                new OneDnnKernel(r, spec, w, b, 1).close();
                return Optional.empty();
            } catch (OneDnnException e) {
                return Optional.of("bfloat16: oneDNN " + r.version() + " makes no bf16 convolution on this CPU"
                        + " (effective ISA " + r.isa() + "; it needs avx512_core or avx2_vnni_2): primitive creation"
                        + " returns " + OneDnnRuntime.statusName(e.status()));
            }
        }
    }

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
        // oneDNN 3.11's known failures on valid float32 specs (a SIGSEGV and wrong results) are not declined:
        // the plan steers around them (Workarounds), so auto keeps the fastest engine for them too
        return switch (spec.dtype()) {
            case FLOAT32 -> Optional.empty();
            case FLOAT64 -> Optional.of(F64_REASON);
            case INT8, UINT8 -> declinesQuantized(spec);
            case INT32 -> Optional.of("int32 is a bias type, not an activation type");
            // 3.11's crash geometry: the workaround (bias and ReLU after the primitive) does not help a bf16 output,
            // which oneDNN post-processes with or without them, and would round the output twice anyway
            case BFLOAT16 -> Bf16Support.REASON.isPresent() ? Bf16Support.REASON
                    : Workarounds.blindColumnPastInput(spec) ? Optional.of(BFLOAT16_UNFUSED_REASON) : Optional.empty();
        };
    }

    /** Why the int8 kernel cannot take {@code spec}: what oneDNN 3.11 cannot express or would crash on. */
    static Optional<String> declinesQuantized(ConvSpec spec) {
        if (spec.quantization().hasWeightZeroPoints()) {
            return Optional.of(WEIGHT_ZERO_POINT_REASON);
        }
        if (Workarounds.blindColumnPastInput(spec)) {
            // the crash is in the output post-processing, which an int8 primitive does whether or not it has bias
            // or ReLU (it requantises), so the float workaround of moving them out of the primitive cannot help
            return Optional.of(spec.dtype() + " where an output column sees only padding right of the input:"
                    + " oneDNN 3.11's brg_conv_fwd can crash there (issue 5942) when it post-processes the output,"
                    + " which it does for every quantized output");
        }
        return Optional.empty();
    }

    /**
     * {@inheritDoc}
     *
     * @throws OneDnnException if oneDNN cannot create or run the primitive or the weight reorder
     */
    @Override
    public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
        return spec.isQuantized() ? new OneDnnInt8Kernel(runtime(), spec, weights, bias, threads)
                : new OneDnnKernel(runtime(), spec, weights, bias, threads);
    }
}
