package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.conv4j.testing.ChildJvm;
import io.github.conv4j.testing.Engines;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A dependency prints nothing by default: one convolution through {@code auto}, with the documented JVM flags and
 * every engine available, writes nothing to stdout or stderr (the engine auto chose is logged at DEBUG).
 */
class QuietTest {
    @Test
    void oneConvolutionThroughAutoPrintsNothing() throws Exception {
        Engines.assertAllOnBundledPlatform();
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(ChildJvm.nativeFlags(), System.getProperty("java.class.path"),
                QuietMain.class), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.output());
        // the JVM's own notice about incubator modules is not conv4j's to silence
        String err = r.stderr().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .reduce("", (a, b) -> a + b + "\n");
        assertEquals("", r.stdout() + err, "printed by one convolution through auto");
    }
}
