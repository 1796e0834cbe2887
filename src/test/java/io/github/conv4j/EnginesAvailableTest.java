package io.github.conv4j;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.Engines;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every engine the project ships loads on linux-x86_64, the platform whose presets the build bundles: a broken
 * OpenBLAS, oneDNN or Vector API load fails here with the probe's reason instead of passing as a skipped engine.
 */
class EnginesAvailableTest {

    @Test
    void everyEngineIsAvailableWherePresetsAreBundled() {
        for (ConvEngine e : Conv2d.engines()) {
            System.out.println("engine " + e.name() + (e.probe().available() ? " available: " : " unavailable: ")
                    + e.probe().reason());
        }
        List<String> missing = Engines.unavailable();
        assumeTrue(Engines.bundledPlatform() || missing.isEmpty(),
                () -> Engines.offPlatform() + ", so engines may be missing: " + String.join("; ", missing));
        Engines.assertAllOnBundledPlatform();
    }
}
