package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.ChildJvm;
import java.io.File;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * With the bytedeco jars gone from the class path (a real absence, in a forked JVM), {@code auto} falls back
 * to a pure-Java engine with one warning that says how to fix it, and forcing a native engine fails with the
 * reason.
 */
class MissingNativesTest {
    private static final List<String> NATIVE = List.of("onednn", "im2col-jni", "im2col-ffm");
    /** The child took 0.3 s on a 2-core machine running other builds; the margin is for a slow JVM start. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void autoFallsBackAndForcedNativeEnginesSayWhy() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> !p.contains("bytedeco"))
                .collect(Collectors.joining(File.pathSeparator));
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(ChildJvm.nativeFlags(), classPath, FallbackMain.class),
                TIMEOUT);
        String out = r.stdout(), err = r.stderr();
        assertEquals(0, r.exitCode(), r.output());

        List<String> lines = out.lines().toList();
        String auto = lines.stream().filter(l -> l.startsWith("auto ")).findFirst().orElseThrow();
        assertTrue(auto.equals("auto naive [12.0, 16.0, 24.0, 28.0]")
                || auto.equals("auto java-vector [12.0, 16.0, 24.0, 28.0]"), auto + "\n" + out + err);
        for (String name : NATIVE) {
            String engine = lines.stream().filter(l -> l.startsWith("engine " + name + " ")).findFirst().orElse(null);
            if (engine == null) {
                continue;   // not registered in this build
            }
            assertTrue(engine.startsWith("engine " + name + " unavailable: "), engine);
            String forced = lines.stream().filter(l -> l.startsWith("forced " + name + " ")).findFirst().orElseThrow();
            assertTrue(forced.startsWith("forced " + name + " UnsupportedOperationException: engine " + name
                    + " is unavailable: "), forced);
            String whyNot = lines.stream().filter(l -> l.startsWith("whynot " + name + " ")).findFirst().orElseThrow();
            assertEquals("whynot " + name + " " + forced.substring(forced.indexOf(": ") + 2), whyNot);
            // at most one warning per engine auto skipped, however often it selects; oneDNN, first in auto's
            // order, is always skipped and always named, with the fix
            long warnings = err.lines().filter(l -> l.contains("engine " + name + " is unavailable, auto falls back"))
                    .count();
            assertTrue(warnings <= 1, err);
            if (name.equals("onednn")) {
                assertEquals(1, warnings, err);
                assertTrue(err.contains("fix: put org.bytedeco:dnnl"), err);
            }
        }
    }
}
