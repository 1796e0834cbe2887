package io.github.conv4j.spi;

import io.github.conv4j.ConvSpec;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One way of computing convolutions. Engines are found with {@link java.util.ServiceLoader}; the facade
 * ({@code Conv2d}) selects among them and validates everything a caller hands in before an engine sees it.
 *
 * <p>Implementations must be thread-safe and cheap to construct: loading native code belongs in
 * {@link #probe()}, which is called lazily and should cache its answer.
 */
public interface ConvEngine {

    /** The engine's name, as used by the CLI, tests and benchmarks (for example {@code naive}). */
    String name();

    /** Whether the engine can run in this JVM, and why not; never throws. */
    Availability probe();

    /**
     * Facts about the native side for reports, for example {@code openblas_core} or {@code onednn_version};
     * empty for pure-Java engines and unavailable ones. Never throws.
     */
    default Map<String, String> properties() {
        return Map.of();
    }

    /**
     * Why this engine cannot compute {@code spec}, or empty when it can. Only asked of available engines.
     *
     * <p>Accepting a spec promises its {@link io.github.conv4j.ConvSpec#accuracy() accuracy level}: an engine
     * whose results can exceed that level's {@link io.github.conv4j.ConvSpec#tolerance(double) tolerance} declines
     * it, and one that may compute faster at a looser level reads the level here and in {@code plan}.
     */
    Optional<String> declines(ConvSpec spec);

    /**
     * Prepares {@code spec}: repacks the weights, creates native primitives, sizes scratch space. The engine
     * copies what it needs, so the caller may free {@code weights} and {@code bias} afterwards.
     *
     * @param spec a spec this engine does not decline
     * @param weights {@code spec.weightElements()} elements in the spec's weight order, validated
     * @param bias {@code spec.oc()} elements, or null when the spec has no bias
     * @param threads the budget a call computing alone would get now (see {@link ConvKernel#forward}); an
     *     engine that fixes a thread count when it prepares (oneDNN's primitives) prepares for this many, others
     *     ignore it
     */
    ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads);

    /**
     * The ways of computing {@code spec} worth timing against each other, each a short label, the one
     * {@link #plan(ConvSpec, MemorySegment, MemorySegment, int)} uses first; empty (the default) when there is one
     * way. Measured planning times each (for example Winograd's tile sizes at a level that allows the larger).
     * Only asked of available engines, for specs they do not decline; never throws.
     */
    default List<String> variants(ConvSpec spec) {
        return List.of();
    }

    /**
     * Prepares {@code spec} as {@code variant}, one of {@link #variants(ConvSpec)}; otherwise as
     * {@link #plan(ConvSpec, MemorySegment, MemorySegment, int)}.
     *
     * @throws IllegalArgumentException if {@code variant} is not one of {@code variants(spec)}
     */
    default ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads, String variant) {
        throw new IllegalArgumentException("engine " + name() + " has no variant " + variant + " for " + spec
                + "; its variants: " + variants(spec));
    }
}
