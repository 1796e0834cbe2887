package io.github.conv4j.engine.winograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.testing.ChildJvm;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The winograd probe: unavailable, saying why and how to fix it, whenever the Vector API cannot be used. */
class WinogradProbeTest {
    private static final String FIX = "start the JVM with --add-modules jdk.incubator.vector";
    /** A slow JVM start on a busy 2-core machine; the child itself takes well under a second. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void missingModuleIsUnavailableAndTheVectorApiIsNotTouched() {
        AtomicBoolean asked = new AtomicBoolean();
        Availability a = WinogradEngine.probe(name -> Optional.empty(), () -> {
            asked.set(true);
            return 256;
        });
        assertFalse(a.available());
        assertEquals("jdk.incubator.vector is not in the boot layer: " + FIX, a.reason());
        assertFalse(asked.get(), "the vector size must not be asked for without the module");
    }

    @Test
    void lookupOrLoadingFailuresAreUnavailableWithTheFix() {
        Availability lookup = WinogradEngine.probe(name -> {
            throw new IllegalStateException("no layer");
        }, () -> 256);
        assertFalse(lookup.available());
        assertTrue(lookup.reason().startsWith("module lookup failed for jdk.incubator.vector: "), lookup.reason());
        assertTrue(lookup.reason().endsWith(FIX), lookup.reason());
        Availability load = WinogradEngine.probe(name -> Optional.of(Object.class.getModule()), () -> {
            throw new NoClassDefFoundError("jdk/incubator/vector/VectorShape");
        });
        assertFalse(load.available());
        assertTrue(load.reason().startsWith("vector API failed to load: java.lang.NoClassDefFoundError"),
                load.reason());
        assertTrue(load.reason().endsWith(FIX), load.reason());
    }

    @Test
    void narrowVectorsAreUnavailable() {
        Availability a = WinogradEngine.probe(name -> Optional.of(Object.class.getModule()), () -> 64);
        assertFalse(a.available());
        assertEquals("preferred vector size is 64 bits, under 128: no usable SIMD here", a.reason());
    }

    @Test
    void availableHere() {
        Availability a = Conv2d.engine("winograd").probe();
        assertTrue(a.available(), a.reason());
        assertTrue(a.reason().startsWith("Vector API, "), a.reason());
    }

    /** A JVM without the module: the engine still loads and reports why it cannot run. */
    @Test
    void forkedJvmWithoutTheModuleReportsTheFix() throws IOException, InterruptedException {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(List.of(), System.getProperty("java.class.path"),
                WithoutModule.class), TIMEOUT);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("winograd: false jdk.incubator.vector is not in the boot layer: " + FIX),
                r.output());
    }

    /** The forked JVM's main. */
    static final class WithoutModule {
        public static void main(String[] args) {
            Availability a = Conv2d.engine("winograd").probe();
            System.out.println("winograd: " + a.available() + " " + a.reason());
        }
    }
}
