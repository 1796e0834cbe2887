package io.github.conv4j.cli;

import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Quantization;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.Wisdom;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** {@code conv4j info}: what this JVM and machine offer conv4j. */
final class InfoCommand {
    private InfoCommand() {
    }

    static void run(List<String> args, PrintStream out) throws IOException {
        Flags f = new Flags("info", args, Set.of("--threads", "--wisdom"), Set.of());
        f.applyThreads();
        String imported = "";
        if (f.has("--wisdom")) {
            Wisdom.Imported w = Wisdom.importFrom(Path.of(f.get("--wisdom")));
            imported = "--wisdom " + f.get("--wisdom") + ": " + w.used() + " entries used, " + w.stale() + " stale and "
                    + w.foreign() + " foreign ignored";
        }
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
        out.printf("int8:     %s%n", int8());
        out.printf("plan:     %s (conv4j.plan), budget %.2f s per spec (conv4j.plan.budget)%n", Settings.planMode(),
                Settings.planBudgetSeconds());
        List<Wisdom.Entry> wisdom = Wisdom.entries();
        out.printf("wisdom:   %d entries%n", wisdom.size());
        for (String line : List.of(Wisdom.startupSummary(), imported)) {
            if (!line.isEmpty()) {
                out.println("  " + line);
            }
        }
        for (Wisdom.Entry e : wisdom) {
            out.printf("  %s, %d thread(s): %s, %.1f us (%d runs)%n", e.spec(), e.threads(), e.engine(),
                    e.medianMicros(), e.runs());
        }
    }

    /**
     * What computes a small int8 convolution (uint8 8x8x8 input, 3x3 kernel to 8 channels, int8 output): the oneDNN
     * implementation, or why onednn does not and naive does.
     */
    static String int8() {
        ConvSpec spec = ConvSpec.builder().dtype(DType.UINT8).input(1, 8, 8, 8).kernel(3, 3, 8)
                .quantization(Quantization.perTensor(0.02f, 128, 0.01f, DType.INT8, 0.1f, 0)).build();
        String what = "uint8 3x3 8->8 channels, int8 out: ";
        Optional<String> no = Conv2d.whyNot("onednn", spec);
        if (no.isPresent()) {
            return what + "naive (" + no.get() + ")";
        }
        try (Arena arena = Arena.ofConfined();
                ConvPlan plan = Conv2d.plan("onednn", spec, Tensor.allocate(arena, DType.INT8, spec.weightShape()),
                        null)) {
            return what + "onednn " + plan.implementation();
        } catch (RuntimeException e) {
            return what + "onednn fails to plan it: " + e.getMessage();
        }
    }

    /** The library's version from its jar's manifest, or "(development build)" when it runs from classes. */
    static String version() {
        // the library's, not this jar's: the command line may be built apart from the library it runs
        return Wisdom.version();
    }

    static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "(unset)" : v;
    }

    /** The CPU model from {@code /proc/cpuinfo}, or the architecture and processors where there is none. */
    static String cpuModel() {
        return Wisdom.cpuModel();
    }
}
