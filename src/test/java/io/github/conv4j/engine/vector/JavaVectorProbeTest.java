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
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** java-vector's probe: available here, and in a JVM without the module unavailable with the fix (the guard chain itself: VectorApiTest). */
class JavaVectorProbeTest {
    private static final String HINT = "start the JVM with --add-modules jdk.incubator.vector";
    /** The child took 0.3 s on a 2-core machine running other builds; the margin is for a slow JVM start. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

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
