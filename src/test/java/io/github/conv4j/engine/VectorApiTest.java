package io.github.conv4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.Availability;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The Vector API probe the pure-Java SIMD engines share: each failed guard says what is wrong and how to fix it,
 * and nothing throws.
 */
class VectorApiTest {
    private static final String HINT = "start the JVM with --add-modules jdk.incubator.vector";

    @Test
    void missingModuleIsUnavailableWithTheFixHintAndNeverTouchesTheVectorApi() {
        AtomicBoolean asked = new AtomicBoolean();
        Availability a = VectorApi.probe(name -> Optional.empty(), () -> {
            asked.set(true);
            return 512;
        });
        assertFalse(a.available());
        assertEquals("jdk.incubator.vector is not in the boot layer: " + HINT, a.reason());
        assertFalse(asked.get(), "the vector size must not be asked for when the module is missing");
    }

    @Test
    void failingModuleLookupIsUnavailableWithTheFixHint() {
        Availability a = VectorApi.probe(name -> {
            throw new SecurityException("denied");
        }, () -> 512);
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("module lookup failed for jdk.incubator.vector: "), a.reason());
        assertTrue(a.reason().endsWith(HINT), a.reason());
    }

    @Test
    void vectorApiThatFailsToLoadIsUnavailableWithTheFixHint() {
        Availability a = VectorApi.probe(name -> Optional.of(Object.class.getModule()), () -> {
            throw new NoClassDefFoundError("jdk/incubator/vector/VectorShape");
        });
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("vector API failed to load: java.lang.NoClassDefFoundError"), a.reason());
        assertTrue(a.reason().endsWith(HINT), a.reason());
    }

    @Test
    void vectorsNarrowerThan128BitsAreUnavailable() {
        Availability a = VectorApi.probe(name -> Optional.of(Object.class.getModule()), () -> 64);
        assertFalse(a.available());
        assertEquals("preferred vector size is 64 bits, under 128: no usable SIMD here", a.reason());
    }
}
