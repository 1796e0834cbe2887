package io.github.conv4j.testing;

import io.github.conv4j.Conv2d;
import io.github.conv4j.spi.ConvEngine;
import java.util.List;

/** The engines a cross-engine test runs: every available one, and the reason the others are left out. */
public final class Engines {
    private Engines() {
    }

    /** Every available engine but naive (the reference). */
    public static List<ConvEngine> availableButNaive() {
        return Conv2d.engines().stream()
                .filter(e -> !e.name().equals(Conv2d.NAIVE) && e.probe().available())
                .toList();
    }

    /** Every available engine, naive included. */
    public static List<ConvEngine> available() {
        return Conv2d.engines().stream().filter(e -> e.probe().available()).toList();
    }
}
