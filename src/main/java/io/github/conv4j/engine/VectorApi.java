package io.github.conv4j.engine;

import io.github.conv4j.spi.Availability;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * Whether the incubating Vector API ({@code jdk.incubator.vector}) can run the pure-Java SIMD engines here: the
 * one probe they share. It never touches the Vector API itself, so an engine class that calls it loads in a JVM
 * started without the module; the engine's vector classes are loaded only through {@code bitSize}, once the
 * module was found.
 */
public final class VectorApi {
    /** The module the engines need. */
    public static final String MODULE = "jdk.incubator.vector";
    /** The fix, in words any JVM user can act on: the flag itself, whatever launches the JVM. */
    public static final String FIX = "start the JVM with --add-modules " + MODULE;
    /** The widest vector of any Vector API platform (ARM SVE's 2048 bits), for bounding an engine's padding. */
    public static final long MAX_VECTOR_BYTES = 256;

    private VectorApi() {
    }

    /** The probe as the engines run it: the boot layer's module, then {@code bitSize}. */
    public static Availability probe(IntSupplier bitSize) {
        return probe(name -> ModuleLayer.boot().findModule(name), bitSize);
    }

    /**
     * The guard chain behind {@link #probe(IntSupplier)}, with the module lookup injectable for tests.
     * {@code bitSize} (the engine's preferred species' size in bits) is only called once the module was found,
     * because it loads the Vector API.
     */
    public static Availability probe(Function<String, Optional<Module>> findModule, IntSupplier bitSize) {
        Optional<Module> module;
        try {
            module = findModule.apply(MODULE);
        } catch (RuntimeException e) {
            return Availability.no("module lookup failed for " + MODULE + ": " + e + "; " + FIX);
        }
        if (module.isEmpty()) {
            return Availability.no(MODULE + " is not in the boot layer: " + FIX);
        }
        int bits;
        try {
            bits = bitSize.getAsInt();
        } catch (LinkageError | RuntimeException e) {
            return Availability.no("vector API failed to load: " + e + "; " + FIX);
        }
        // Below 128 bits the API falls back to scalar code, expected slower than the plain loops (not measured:
        // no such machine was tried).
        if (bits < 128) {
            return Availability.no("preferred vector size is " + bits + " bits, under 128: no usable SIMD here");
        }
        return Availability.yes("Vector API, " + bits + "-bit preferred species");
    }
}
