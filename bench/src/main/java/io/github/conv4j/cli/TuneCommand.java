package io.github.conv4j.cli;

import io.github.conv4j.Accuracy;
import io.github.conv4j.Conv2d;
import io.github.conv4j.ConvPlan;
import io.github.conv4j.ConvSpec;
import io.github.conv4j.DType;
import io.github.conv4j.Layout;
import io.github.conv4j.PlanMode;
import io.github.conv4j.Settings;
import io.github.conv4j.Tensor;
import io.github.conv4j.Wisdom;
import io.github.conv4j.bench.BenchInputs;
import io.github.conv4j.bench.Shapes;
import io.github.conv4j.io.Npy;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * {@code conv4j tune}: measured planning ({@link PlanMode#MEASURE}) of benchmark shapes or golden cases, written as
 * a wisdom file for {@code -Dconv4j.wisdom=FILE} or {@code compare --wisdom FILE}, with a table of what won and by
 * how much. Every spec is measured twice, and only the second pass is kept: the first lets the JIT compile the
 * pure-Java engines, which a cold JVM would time before they are compiled.
 */
final class TuneCommand {
    private record Target(String name, ConvSpec spec, Path weights) {
    }

    private TuneCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
        Flags f = new Flags("tune", args, Set.of("--shapes", "--from-golden", "--threads", "--accuracy", "--dtype",
                "--layout", "--budget", "--out"), Set.of());
        if (!f.positional().isEmpty()) {
            throw new UsageException("unexpected argument for tune: " + f.positional().get(0));
        }
        if (!f.has("--out")) {
            throw new UsageException("tune needs --out FILE, the wisdom file to write");
        }
        if (f.has("--shapes") && f.has("--from-golden")) {
            throw new UsageException("tune takes --shapes or --from-golden, not both");
        }
        Path file = Path.of(f.get("--out"));
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new UsageException("--out: no such directory: " + parent);    // before minutes of measuring
        }
        Accuracy accuracy = Accuracy.parse(f.get("--accuracy", "exact"));
        DType dtype = DType.parse(f.get("--dtype", "float32"));
        Layout layout = Layout.parse(f.get("--layout", "NHWC"));
        List<Target> targets = f.has("--from-golden")
                ? golden(Path.of(f.get("--from-golden")), accuracy, layout)
                : shapes(f.get("--shapes", "all"), dtype, layout, accuracy);
        f.applyThreads();
        if (f.has("--budget")) {
            Settings.setPlanBudgetSeconds(budget(f.get("--budget")));
        }

        Wisdom.clear();    // what this run measures, nothing older
        Progress progress = new Progress(err, 2 * targets.size());
        List<String> rows = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 1) {
                Wisdom.clear();   // the first pass only warmed the JIT
            }
            for (Target t : targets) {
                progress.step((pass == 0 ? "warm-up " : "") + t.name());
                try (Arena arena = Arena.ofConfined()) {
                    Tensor w = t.weights() != null ? Npy.read(t.weights(), arena)
                            : new BenchInputs(arena, t.spec(), t.name().hashCode()).w;
                    if (t.weights() != null && layout == Layout.NCHW) {
                        w = VerifyCommand.permute(w, arena, 3, 2, 0, 1);
                    }
                    try (ConvPlan plan = Conv2d.plan(Conv2d.AUTO, t.spec(), w, null, PlanMode.MEASURE)) {
                        if (pass == 1) {
                            rows.add(row(t.name(), plan));
                        }
                    }
                }
            }
        }
        progress.finish();
        out.printf("conv4j tune: %s %s, accuracy %s, %d thread(s), budget %.2f s per spec%n",
                f.has("--from-golden") ? "dtypes of " + f.get("--from-golden") + "," : dtype.toString(), layout,
                accuracy, Settings.threads(), Settings.planBudgetSeconds());
        out.printf("%-26s %-20s %9s %-20s %9s %7s %5s%n", "spec", "fastest", "min us", "runner-up", "min us",
                "margin", "timed");
        rows.forEach(out::println);
        Wisdom.exportTo(file);
        out.println("wrote " + file + " (" + Wisdom.entries().size() + " entries; CPU " + Wisdom.cpuModel() + ")");
        return 0;
    }

    /** A spec's row: the fastest run of the winner and of the runner-up (what planning compares), and the margin. */
    private static String row(String name, ConvPlan plan) {
        List<ConvPlan.Timing> timed = new ArrayList<>(plan.measurements());
        timed.sort(Comparator.comparingDouble(ConvPlan.Timing::minMicros));
        ConvPlan.Timing first = timed.get(0);
        if (timed.size() == 1) {
            return String.format("%-26s %-20s %9.1f %-20s %9s %7s %5d", name, first.label(), first.minMicros(),
                    "-", "-", "-", 1);
        }
        ConvPlan.Timing second = timed.get(1);
        return String.format("%-26s %-20s %9.1f %-20s %9.1f %6.2fx %5d", name, first.label(),
                first.minMicros(), second.label(), second.minMicros(),
                second.minMicros() / first.minMicros(), timed.size());
    }

    private static List<Target> shapes(String list, DType dtype, Layout layout, Accuracy accuracy) {
        List<String> names = Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        if (names.equals(List.of("all"))) {
            names = Shapes.names();
        }
        List<Target> out = new ArrayList<>();
        for (String n : names) {
            out.add(new Target(n, Shapes.spec(n, dtype, layout).toBuilder().accuracy(accuracy).build(), null));
        }
        return out;
    }

    private static List<Target> golden(Path dir, Accuracy accuracy, Layout layout) throws IOException {
        List<Target> out = new ArrayList<>();
        for (VerifyCommand.Case c : VerifyCommand.cases(dir)) {
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = Npy.read(c.dir().resolve("x.npy"), arena), w = Npy.read(c.dir().resolve("w.npy"), arena);
                out.add(new Target(c.name(), VerifyCommand.spec(c, x, w, accuracy, layout), c.dir().resolve("w.npy")));
            }
        }
        return out;
    }

    private static double budget(String text) {
        try {
            double v = Double.parseDouble(text);
            if (v >= 0 && v <= 60) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new UsageException("--budget must be a number of seconds in [0, 60]: " + text);
    }
}
