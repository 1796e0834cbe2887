package io.github.conv4j.cli;

import io.github.conv4j.Conv2d;
import io.github.conv4j.Settings;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code conv4j info}: what this JVM and machine offer conv4j. */
final class InfoCommand {
    private InfoCommand() {
    }

    static void run(List<String> args, PrintStream out) {
        Flags f = new Flags("info", args, Set.of("--threads"), Set.of());
        f.applyThreads();
        out.printf("conv4j %s%n", version());
        out.printf("jdk:      %s %s (%s)%n", System.getProperty("java.vm.vendor"), Runtime.version(),
                System.getProperty("java.home"));
        out.printf("cpu:      %s, %d processors, %s %s%n", cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"));
        out.printf("threads:  %d (conv4j.threads; 0 = all processors)%n", Settings.threads());
        out.printf("env:      OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s OMP_NUM_THREADS=%s%n",
                env("OPENBLAS_CORETYPE"), env("OPENBLAS_L2_SIZE"), env("OMP_NUM_THREADS"));
        List<String> order = Settings.engineOrder();
        out.printf("auto:     tries %s%s%n", String.join(", ", order), order.contains(Conv2d.NAIVE) ? "" : ", then naive");
        out.println("engines:");
        for (ConvEngine e : Conv2d.engines()) {
            Availability a = e.probe();
            out.printf("  %-12s %-11s %s%n", e.name(), a.available() ? "available" : "unavailable", a.reason());
        }
    }

    /** The library's version from its jar's manifest, or "(development build)" when it runs from classes. */
    static String version() {
        // the library's package, not this one: the command line may be built apart from the library it runs
        String v = Conv2d.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }

    static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "(unset)" : v;
    }

    /** The CPU model from {@code /proc/cpuinfo}, or the architecture where there is none. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
