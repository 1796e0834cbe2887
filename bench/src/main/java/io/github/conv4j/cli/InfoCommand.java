package io.github.conv4j.cli;

import io.github.conv4j.Accuracy;
import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Quantization;
import io.github.conv4j.Padding;
import io.github.conv4j.Tensor;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.Wisdom;
import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
        reducedPrecision(out);
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

    /** The CPU flags that reduced-precision kernels use, in the order printed. */
    static final List<String> PRECISION_FLAGS = List.of("avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16",
            "amx_int8", "amx_tile");

    /** A small representative 3x3 convolution, float32 at EXACT; each line below varies it. */
    private static final ConvSpec PROBE = ConvSpec.builder().input(1, 8, 8, 32).kernel(3, 3, 32)
            .padding(Padding.SAME).build();

    /** What each line of the section plans on onednn: a label and the spec. */
    private record PrecisionLine(String label, ConvSpec spec) {
    }

    /** One line per precision; a new one (int8, say) is one more entry. */
    static List<PrecisionLine> precisionLines() {
        return List.of(new PrecisionLine("float32 exact", PROBE),
                new PrecisionLine("float32 at bf16", PROBE.toBuilder().accuracy(Accuracy.BF16).build()),
                new PrecisionLine("bfloat16", PROBE.toBuilder().dtype(DType.BFLOAT16).build()),
                new PrecisionLine("uint8 -> int8", PROBE.toBuilder().dtype(DType.UINT8)
                        .quantization(Quantization.perTensor(0.02f, 128, 0.01f, DType.INT8, 0.1f, 0)).build()));
    }

    /**
     * The CPU's reduced-precision flags from {@code /proc/cpuinfo} and the oneDNN implementation each precision
     * gets for {@link #PROBE}: one small plan per line, made and closed at once (a few ms), and never a failure of
     * {@code info} when oneDNN is unavailable or refuses.
     */
    static void reducedPrecision(PrintStream out) {
        Set<String> flags = cpuFlags();
        StringBuilder b = new StringBuilder();
        for (String flag : PRECISION_FLAGS) {
            b.append(b.isEmpty() ? "" : ", ").append(flag).append(' ')
                    .append(flags == null ? "unknown" : flags.contains(flag) ? "yes" : "no");
        }
        out.println("reduced precision:");
        out.printf("  cpu:    %s%n", b);
        ConvEngine onednn = Conv2d.engine("onednn");
        if (!onednn.probe().available()) {
            out.printf("  onednn: unavailable%n");
            return;
        }
        out.printf("  onednn, NHWC 1x8x8x32, 3x3 to %d channels:%n", PROBE.oc());
        for (PrecisionLine line : precisionLines()) {
            out.printf("    %-16s %s%n", line.label() + ":", implementation(onednn, line.spec()));
        }
    }

    private static String implementation(ConvEngine onednn, ConvSpec spec) {
        Optional<String> no = onednn.declines(spec);
        if (no.isPresent()) {
            return "declined: " + no.get();
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, spec.weightDType(), spec.weightShape());
            try (ConvPlan plan = Conv2d.plan(onednn.name(), spec, w, null)) {
                return plan.implementation();
            }
        } catch (RuntimeException e) {
            return "failed: " + e.getMessage();
        }
    }

    /** The flags of the first processor in {@code /proc/cpuinfo}; null when it cannot be read. */
    static Set<String> cpuFlags() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                    .map(f -> Set.copyOf(Arrays.asList(f))).orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
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
