package io.github.conv4j.engine.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.spi.Availability;
import io.github.conv4j.testing.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The probe's guard chain: each failed guard says what is wrong and how to fix it, and nothing throws. */
class JavaVectorProbeTest {
    private static final String HINT = "start the JVM with --add-modules jdk.incubator.vector";
    /** The child took 0.3 s on a 2-core machine running other builds; the margin is for a slow JVM start. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void missingModuleIsUnavailableWithTheFixHintAndNeverTouchesTheVectorApi() {
        AtomicBoolean asked = new AtomicBoolean();
        Availability a = JavaVectorEngine.probe(name -> Optional.empty(), () -> {
            asked.set(true);
            return 512;
        });
        assertFalse(a.available());
        assertEquals("jdk.incubator.vector is not in the boot layer: " + HINT, a.reason());
        assertFalse(asked.get(), "the vector size must not be asked for when the module is missing");
    }

    @Test
    void failingModuleLookupIsUnavailableWithTheFixHint() {
        Availability a = JavaVectorEngine.probe(name -> {
            throw new SecurityException("denied");
        }, () -> 512);
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("module lookup failed for jdk.incubator.vector: "), a.reason());
        assertTrue(a.reason().endsWith(HINT), a.reason());
    }

    @Test
    void vectorApiThatFailsToLoadIsUnavailableWithTheFixHint() {
        Availability a = JavaVectorEngine.probe(name -> Optional.of(Object.class.getModule()), () -> {
            throw new NoClassDefFoundError("jdk/incubator/vector/VectorShape");
        });
        assertFalse(a.available());
        assertTrue(a.reason().startsWith("vector API failed to load: java.lang.NoClassDefFoundError"), a.reason());
        assertTrue(a.reason().endsWith(HINT), a.reason());
    }

    @Test
    void vectorsNarrowerThan128BitsAreUnavailable() {
        Availability a = JavaVectorEngine.probe(name -> Optional.of(Object.class.getModule()), () -> 64);
        assertFalse(a.available());
        assertEquals("preferred vector size is 64 bits, under 128: no usable SIMD here", a.reason());
    }

    @Test
    void availableInThisJvmWhichHasTheModule() {
        Availability a = new JavaVectorEngine().probe();
        assertTrue(a.available(), a.reason());
        assertTrue(a.reason().startsWith("Vector API, "), a.reason());
    }

    /**
     * A JVM started without the flag (and without the native jars): the engine class loads, reports the hint, and
     * auto falls back to naive.
     */
    @Test
    void forkedJvmWithoutTheModuleFallsBackToNaive() throws IOException, InterruptedException {
        // without the native jars too, so auto has nothing but naive left
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("bytedeco")).collect(Collectors.joining(File.pathSeparator));
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(List.of(), classPath, WithoutModule.class), TIMEOUT);
        String out = r.output();
        assertEquals(0, r.exitCode(), out);
        assertTrue(out.contains("probe: false jdk.incubator.vector is not in the boot layer: " + HINT), out);
        assertTrue(out.contains("engine: naive [12.0, 16.0, 24.0, 28.0]"), out);
        assertFalse(out.contains("Using incubator modules"), out);
    }

    /** The forked JVM's main: probes the engine and runs one convolution through auto. */
    static final class WithoutModule {
        public static void main(String[] args) {
            Availability a = new JavaVectorEngine().probe();
            System.out.println("probe: " + a.available() + " " + a.reason());
            io.github.conv4j.ConvSpec spec = io.github.conv4j.ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1)
                    .build();
            float[] y = io.github.conv4j.Conv2d.conv2d(spec, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9},
                    new float[] {1, 1, 1, 1}, null);
            System.out.println("engine: " + io.github.conv4j.Conv2d.select(spec).name() + " "
                    + java.util.Arrays.toString(y));
        }
    }
}
