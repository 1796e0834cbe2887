package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.conv4j.testing.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Measured planning times a pure-Java engine at the speed it runs at outside planning. In a JVM where java-vector
 * was warm, planning used to time it at 10 to 15 times its speed (10 us against 0.7 on S1): the planner's first
 * heap segment made the JIT throw away every compiled segment access, and its segments were of a kind the
 * compiled kernels had not met. A fresh JVM, since a JVM that has run other tests has loaded those already; the
 * bound is a ratio of two timings from one run, loose enough for a busy machine.
 */
class MeasuredSpeedTest {
    @Test
    void aWarmJavaEngineIsTimedAtItsOwnSpeedInsideMeasuredPlanning() throws Exception {
        Assumptions.assumeTrue(Conv2d.engine("java-vector").probe().available(), () -> "java-vector is unavailable here: "
                + Conv2d.engine("java-vector").probe().reason());
        List<String> jvm = new ArrayList<>(ChildJvm.nativeFlags());
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(jvm, System.getProperty("java.class.path"),
                MeasuredSpeedMain.class), Duration.ofMinutes(2));
        assertEquals(0, r.exitCode(), r.output());
        Matcher m = Pattern.compile("steady ([0-9.]+) measured ([0-9.]+)").matcher(r.stdout());
        assertTrue(m.find(), r.output());
        double steady = Double.parseDouble(m.group(1)), measured = Double.parseDouble(m.group(2));
        System.out.println("java-vector per call, us: " + m.group());
        assertTrue(measured < 4 * steady, "java-vector timed at " + measured + " us inside planning against "
                + steady + " us outside\n" + r.output());
    }
}
