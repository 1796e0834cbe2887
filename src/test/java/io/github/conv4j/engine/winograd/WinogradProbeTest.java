package io.github.conv4j.engine.winograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.testing.ChildJvm;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** winograd's probe: available here, and in a JVM without the module unavailable with the fix (the guard chain itself: VectorApiTest). */
class WinogradProbeTest {
    private static final String FIX = "start the JVM with --add-modules jdk.incubator.vector";
    /** A slow JVM start on a busy 2-core machine; the child itself takes well under a second. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

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
