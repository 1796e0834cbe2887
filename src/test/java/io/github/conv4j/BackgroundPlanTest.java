package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.conv4j.testing.ChildJvm;
import io.github.conv4j.testing.Engines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code auto}'s first plans in a fresh JVM (each case in its own child JVM, since a JVM loads natives once): made
 * in the background while oneDNN loads, small calls computed meanwhile and right, large calls waiting for the
 * plan, a plan closed while it is made, and the property that turns it off.
 */
class BackgroundPlanTest {
    private static ChildJvm.Result run(String mode, String... flags) throws Exception {
        Engines.assertAllOnBundledPlatform();
        List<String> jvm = new ArrayList<>(ChildJvm.nativeFlags());
        jvm.addAll(List.of(flags));
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(jvm, System.getProperty("java.class.path"),
                BackgroundPlanMain.class, mode), Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.output());
        return r;
    }

    /** What {@link BackgroundPlanMain} prints when its first forward finds the plan still being made or not. */
    private static List<String> expected(boolean planning, boolean planningAfterForward) {
        return List.of("planning " + planning, "planning after forward " + planningAfterForward,
                "equal to naive true", "engine onednn", "planning after engine false",
                "second planning false engine onednn");
    }

    @Test
    void aSmallFirstCallDoesNotWaitForTheNativesAndIsRight() throws Exception {
        ChildJvm.Result r = run("small");
        assertEquals(expected(true, true), r.stdout().lines().toList(), r.output());
    }

    @Test
    void aLargeFirstCallWaitsForThePlan() throws Exception {
        ChildJvm.Result r = run("large");
        assertEquals(expected(true, false), r.stdout().lines().toList(), r.output());
    }

    @Test
    void aPlanClosedWhileMadeLetsTheJvmExitCleanly() throws Exception {
        ChildJvm.Result r = run("close");
        assertEquals(List.of("planning true", "closed"), r.stdout().lines().toList(), r.output());
        String err = r.stderr().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules"))
                .reduce("", (a, b) -> a + b + "\n");
        assertEquals("", err, r.output());
    }

    @Test
    void thePropertyPlansOnTheCallersThread() throws Exception {
        ChildJvm.Result r = run("small", "-D" + BackgroundPlan.PROPERTY + "=false");
        assertEquals(expected(false, false), r.stdout().lines().toList(), r.output());
    }
}
