package io.github.conv4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.ConvEngine;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;

/**
 * The engines a cross-engine test runs. On linux-x86_64, the platform the build bundles native presets for
 * (pom.xml's {@code javacpp.platform}), every engine must load, so an unavailable one fails the test with its
 * probe's reason: a broken OpenBLAS or oneDNN load must not pass as a skip. Elsewhere a test of one engine that
 * cannot run is skipped, saying why, and the cross-engine tests leave it out ({@code EnginesAvailableTest} then
 * skips with the list).
 */
public final class Engines {
    /** The platform whose presets pom.xml puts on the class path. */
    public static final String BUNDLED = "linux-x86_64";

    /** Every engine the project ships; on {@link #BUNDLED} each must be registered and available. */
    public static final List<String> SHIPPED = List.of(Conv2d.NAIVE, "im2col-jni", "im2col-ffm", "onednn",
            "java-vector", "winograd");

    private Engines() {
    }

    /** True when every engine must be available here: Linux on x86-64, the platform the build bundles presets for. */
    public static boolean bundledPlatform() {
        // keyed on the platform, not on the preset jars: with a jar missing its resources are gone too, and a
        // check on them would excuse exactly the failure it is meant to catch
        String arch = System.getProperty("os.arch", "");
        return System.getProperty("os.name", "").equals("Linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** Why an unavailable engine is allowed here, for skip messages. */
    public static String offPlatform() {
        return "native presets are bundled only for " + BUNDLED + ", and this is " + System.getProperty("os.name")
                + " on " + System.getProperty("os.arch");
    }

    /**
     * Every shipped or registered engine that is missing or unavailable, each with its probe's reason; empty when
     * all of them can run.
     */
    public static List<String> unavailable() {
        Set<String> names = new LinkedHashSet<>(SHIPPED);
        Conv2d.engines().forEach(e -> names.add(e.name()));
        List<String> out = new ArrayList<>();
        for (String name : names) {
            ConvEngine e = registered(name);
            if (e == null) {
                out.add("engine " + name + " is not registered (its class failed to load; see the warning"
                        + " logged at start-up)");
            } else if (!e.probe().available()) {
                out.add("engine " + name + " is unavailable: " + e.probe().reason());
            }
        }
        return out;
    }

    /**
     * Fails the calling test when an engine is missing or unavailable on {@link #BUNDLED}, naming each with its
     * probe's reason; does nothing elsewhere.
     */
    public static void assertAllOnBundledPlatform() {
        List<String> missing = unavailable();
        if (bundledPlatform() && !missing.isEmpty()) {
            fail("on " + BUNDLED + ", the platform the build bundles native presets for, every engine must be"
                    + " available:\n  " + String.join("\n  ", missing));
        }
    }

    /**
     * The engine named {@code name}, when it can run; otherwise fails the calling test on {@link #BUNDLED} and
     * skips it elsewhere, with the probe's reason either way.
     */
    public static ConvEngine require(String name) {
        ConvEngine e = registered(name);
        String why = e == null ? "engine " + name + " is not registered"
                : "engine " + name + " is unavailable: " + e.probe().reason();
        if (e == null || !e.probe().available()) {
            if (bundledPlatform()) {
                fail(why + " (on " + BUNDLED + ", the platform the build bundles native presets for, every engine"
                        + " must be available)");
            }
            Assumptions.abort(why + "; allowed because " + offPlatform());
        }
        return e;
    }

    /** Every available engine but naive (the reference); on {@link #BUNDLED}, fails unless that is all of them. */
    public static List<ConvEngine> availableButNaive() {
        return available().stream().filter(e -> !e.name().equals(Conv2d.NAIVE)).toList();
    }

    /** Every available engine, naive included; on {@link #BUNDLED}, fails unless that is all of them. */
    public static List<ConvEngine> available() {
        assertAllOnBundledPlatform();
        return Conv2d.engines().stream().filter(e -> e.probe().available()).toList();
    }

    private static ConvEngine registered(String name) {
        return Conv2d.engines().stream().filter(e -> e.name().equals(name)).findFirst().orElse(null);
    }
}
