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
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code conv4j compare}: for each shape and engine, time {@code forward} on a prepared plan and check its
 * output against {@code naive}; print a table, and optionally write JSON and a chart. Exit 1 when an engine's
 * output is wrong.
 *
 * <p>{@code naive} on a large shape would take minutes, so it runs on one batch element and its time is
 * scaled by the batch size (marked {@code ~}, {@code "estimated": true}). The reference is naive on what it
 * runs on: the whole batch, or batch element 0 on such a shape, where the other batch elements are only
 * checked to be finite. Each engine's checked output is written into memory filled with NaN just before, so
 * an element the engine does not write fails instead of showing what the previous engine left there.
 */
final class CompareCommand {
    /** The default run: the notebook's two shapes, one ResNet layer and the depthwise layer. */
    static final List<String> DEFAULT_SHAPES = List.of("S1", "S2", "R4", "D1");
    /** naive runs on one batch element above this many FLOPs. */
    private static final double NAIVE_FULL_BATCH_FLOPS = 2e8;

    private CompareCommand() {
    }

    /** Runs the comparison; returns the exit status, 1 when an engine's output is wrong. */
    static int run(List<String> args, PrintStream out, PrintStream err) throws IOException {
        Flags f = new Flags("compare", args, Set.of("--shapes", "--engines", "--threads", "--dtype", "--json",
                "--chart", "--layout", "--merge", "--seconds", "--accuracy", "--plan", "--wisdom"), Set.of());
        if (!f.positional().isEmpty()) {
            throw new UsageException("unexpected argument for compare: " + f.positional().get(0));
        }
        List<String> shapes = f.has("--shapes") ? split(f.get("--shapes")) : DEFAULT_SHAPES;
        if (shapes.equals(List.of("all"))) {
            shapes = Shapes.names();
        }
        DType dtype = DType.parse(f.get("--dtype", "float32"));
        Layout layout = Layout.parse(f.get("--layout", "NHWC"));
        Accuracy accuracy = Accuracy.parse(f.get("--accuracy", "exact"));
        PlanMode plan = PlanMode.parse(f.get("--plan", "estimate"));
        if (dtype == DType.INT32) {
            throw new UsageException("--dtype int32 is a bias type: compare takes float32, float64, bfloat16, int8 or uint8");
        }
        for (String s : shapes) {
            spec(s, dtype, layout);   // an unknown shape fails before anything runs
        }
        List<String> engines = engines(f.get("--engines", "all"));
        f.applyThreads();
        double seconds = seconds(f.get("--seconds", "1"));
        Path json = f.has("--json") ? Path.of(f.get("--json")) : null;
        Path chart = f.has("--chart") ? Path.of(f.get("--chart")) : null;
        List<Path> merge = f.has("--merge") ? split(f.get("--merge")).stream().map(Path::of).toList() : List.of();
        List<Measurement> peers = new ArrayList<>();
        for (Path p : merge) {
            peers.addAll(Report.readResults(p));
        }
        if (chart != null) {
            Chart.checkPath(chart);   // fail before the run, not after it
        }
        List<String> notes = new ArrayList<>(), wrong = new ArrayList<>();
        if (f.has("--wisdom")) {
            Path file = Path.of(f.get("--wisdom"));
            Wisdom.Imported w = Wisdom.importFrom(file);
            notes.add("wisdom " + file + ": " + w.used() + " entries used, " + w.stale() + " stale and " + w.foreign()
                    + " foreign ignored");
        }

        int threads = Settings.threads();
        List<Measurement> results = new ArrayList<>();
        Progress progress = new Progress(err, shapes.size() * engines.size());
        for (String name : shapes) {
            ConvSpec spec = spec(name, dtype, layout).toBuilder().accuracy(accuracy).build();
            results.addAll(compare(name, spec, engines, threads, seconds, plan, progress, notes, wrong));
        }
        progress.finish();

        printTable(out, results, notes, dtype, layout, accuracy, plan, threads, seconds);
        Report report = Report.of(threads, accuracy, plan, results);
        if (json != null) {
            report.write(json);
            out.println("wrote " + json);
        }
        if (chart != null) {
            List<Measurement> all = new ArrayList<>(results);
            all.addAll(peers);
            Chart.write(chart, all, "conv4j compare, " + dtype + " " + layout + ", " + threads + " thread(s), "
                    + report.cpu());
            out.println("wrote " + chart);
        }
        // last, so a wrong result still leaves its table, JSON and chart to look at
        for (String w : wrong) {
            err.println("error: " + w);
        }
        return wrong.isEmpty() ? 0 : 1;
    }

    /** Shape {@code name} in {@code dtype}; int8 and uint8 are quantized as {@link BenchInputs#quantize} says. */
    private static ConvSpec spec(String name, DType dtype, Layout layout) {
        return dtype.isQuantized() ? BenchInputs.quantize(Shapes.spec(name, DType.FLOAT32, layout), dtype)
                : Shapes.spec(name, dtype, layout);
    }

    private static List<String> split(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static double seconds(String text) {
        try {
            double s = Double.parseDouble(text);
            if (s > 0 && s <= 600) {
                return s;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("--seconds must be a number in (0, 600]: " + text);
    }

    /** The engines to time, in conv4j's order; {@code all} means every engine found, then {@code auto}. */
    private static List<String> engines(String list) {
        List<String> out = new ArrayList<>();
        if (list.equals("all")) {
            Conv2d.engines().forEach(e -> out.add(e.name()));
            out.add(Conv2d.AUTO);
            return out;
        }
        for (String name : split(list)) {
            if (!name.equals(Conv2d.AUTO)) {
                Conv2d.engine(name);   // an unknown name fails before anything runs
            }
            out.add(name);
        }
        return out;
    }

    /**
     * Times and checks each engine on one shape; adds a line to {@code notes} for each engine skipped and to
     * {@code wrong} for each whose output is wrong.
     */
    private static List<Measurement> compare(String name, ConvSpec spec, List<String> engines, int threads,
            double seconds, PlanMode mode, Progress progress, List<String> notes, List<String> wrong) {
        List<Measurement> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            BenchInputs in = new BenchInputs(arena, spec, name.hashCode());
            Tensor x = in.x, w = in.w, y = in.y;
            ConvSpec one = in.firstImageSpec();
            Tensor x0 = in.firstImage();
            boolean large = spec.mb() > 1 && spec.flops() > NAIVE_FULL_BATCH_FLOPS;
            Tensor ref = large ? in.naiveFirstImage(arena) : in.naive(arena);

            double naiveUs = Double.NaN;
            for (String engine : engines) {
                progress.step(name + " " + engine);
                Optional<String> no = Conv2d.whyNot(engine, spec);
                if (no.isPresent()) {
                    notes.add(name + ": " + no.get());
                    continue;
                }
                boolean slice = engine.equals(Conv2d.NAIVE) && large;
                ConvSpec timed = slice ? one : spec;
                Tensor tx = slice ? x0 : x;
                Tensor ty = slice ? new Tensor(y.data(), spec.outputDType(), one.outputShape()) : y;
                long p0 = System.nanoTime();
                Measurement m;
                try (ConvPlan plan = Conv2d.plan(engine, timed, w, null, mode)) {
                    if (engine.equals(Conv2d.AUTO)) {
                        notes.add(name + " auto: uses " + plan.engine() + " (" + plan.howPlanned() + timings(plan)
                                + ")");
                    }
                    double planUs = (System.nanoTime() - p0) / 1e3;
                    long budget = (long) (seconds * 1e9);
                    poison(y);   // no engine's runs start on the previous engine's output
                    Timer.Result t = Timer.time(() -> plan.forward(tx, ty), budget / 4, budget, slice ? 1 : 5);
                    double scale = slice ? spec.mb() : 1;
                    double medianUs = t.medianNs() / 1e3 * scale, minUs = t.minNs() / 1e3 * scale;
                    // the checked output is one more call's, on fresh poison: an element that this call skips
                    // is NaN, not what an earlier call (or engine) wrote there
                    poison(y);
                    plan.forward(tx, ty);
                    Check c = Check.of(spec, ty, ref);
                    if (c.ok() && spec.isQuantized()) {
                        // every byte is a valid int8: all-one bits (-1) cannot show an unwritten output, so check a
                        // second call on another fill, which an unwritten element cannot match as well
                        y.data().fill((byte) 0x5a);
                        plan.forward(tx, ty);
                        c = Check.of(spec, ty, ref);
                    }
                    if (!c.ok()) {
                        wrong.add(name + " " + engine + ": " + c.problem());
                    }
                    m = new Measurement(name, engine, spec.dtype().toString(), threads, medianUs, minUs,
                            spec.flops() / (medianUs * 1e3), Double.NaN, c.maxAbsErr(), planUs, slice, c.ok(),
                            plan.implementation());
                }
                if (engine.equals(Conv2d.NAIVE)) {
                    naiveUs = m.medianUs();
                }
                out.add(m);
            }
            for (int i = 0; i < out.size(); i++) {
                out.set(i, out.get(i).withSpeedup(naiveUs));
            }
        }
        return out;
    }

    /**
     * A measured plan's timings, {@code : onednn min 9.52 median 9.71 ms (12 runs), ...} (only the median for one
     * from wisdom), or nothing.
     */
    private static String timings(ConvPlan plan) {
        StringBuilder b = new StringBuilder();
        for (ConvPlan.Timing t : plan.measurements()) {
            b.append(b.isEmpty() ? ": " : ", ").append(Double.isNaN(t.minMicros())
                    ? String.format("%s median %.3g ms (%d runs)", t.label(), t.medianMicros() / 1e3, t.runs())
                    : String.format("%s min %.3g median %.3g ms (%d runs)", t.label(), t.minMicros() / 1e3,
                            t.medianMicros() / 1e3, t.runs()));
        }
        return b.toString();
    }

    /**
     * Fills {@code t}'s memory with NaN: all-one bits are a NaN in float32 and in float64 alike (and -1 in int8,
     * which the check of a quantized output makes up for).
     */
    private static void poison(Tensor t) {
        t.data().fill((byte) 0xff);
    }

    /**
     * An output checked against naive's: every element {@code ref} covers (the first {@code ref.elementCount()}
     * of the output) within {@link ConvSpec#tolerance}, every element after those finite.
     *
     * @param maxAbsErr largest |y - ref| over the elements {@code ref} covers; NaN when one of them is NaN
     * @param problem what is wrong, empty when nothing is
     */
    private record Check(double maxAbsErr, String problem) {
        boolean ok() {
            return problem.isEmpty();
        }

        static Check of(ConvSpec spec, Tensor y, Tensor ref) {
            double max = 0, worstRatio = -1, worstErr = 0, worstTol = 0;
            long outside = 0, worstAt = -1;
            for (long i = 0; i < ref.elementCount(); i++) {
                double want = ref.getDouble(i), err = Math.abs(y.getDouble(i) - want), tol = spec.tolerance(want);
                max = Math.max(max, err);   // Math.max keeps a NaN
                if (!(err <= tol)) {   // NaN fails
                    outside++;
                    double ratio = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / tol;
                    if (ratio > worstRatio) {
                        worstRatio = ratio;
                        worstAt = i;
                        worstErr = err;
                        worstTol = tol;
                    }
                }
            }
            long notFinite = 0;
            for (long i = ref.elementCount(); i < y.elementCount(); i++) {
                if (!Double.isFinite(y.getDouble(i))) {
                    notFinite++;
                }
            }
            List<String> problems = new ArrayList<>();
            if (outside > 0) {
                problems.add(String.format("%d of %d outputs differ from naive by more than the tolerance, worst at "
                        + "flat index %d: %s", outside, ref.elementCount(), worstAt, Double.isNaN(worstErr)
                        ? "NaN (unwritten outputs stay NaN)" : String.format("|err| %.2e > %.2e", worstErr, worstTol)));
            }
            if (notFinite > 0) {
                problems.add(String.format("%d outputs of batch elements 1..%d are NaN or infinite (unwritten outputs "
                        + "stay NaN)", notFinite, spec.mb() - 1));
            }
            return new Check(max, String.join("; ", problems));
        }
    }

    private static void printTable(PrintStream out, List<Measurement> results, List<String> notes, DType dtype,
            Layout layout, Accuracy accuracy, PlanMode plan, int threads, double seconds) {
        out.printf("conv4j compare: %s %s, accuracy %s%s, %d thread(s), forward on a prepared plan (median of ~%s s of"
                + " runs)%n", dtype, layout, accuracy, plan == PlanMode.MEASURE ? ", auto planned by measure" : "", threads,
                BigDecimal.valueOf(seconds).stripTrailingZeros().toPlainString());
        if (dtype.isQuantized()) {
            out.println(dtype + " activations, int8 weights (scales per output channel), int8 output: max |err| in"
                    + " output units, at most 1 passes");
        }
        out.printf("%-5s %-12s %12s %12s %9s %9s %10s %10s %5s%n", "shape", "engine", "median us", "min us",
                "GFLOP/s", "vs naive", "max |err|", "plan us", "check");
        String last = "";
        for (Measurement m : results) {
            if (!m.shape().equals(last) && !last.isEmpty()) {
                out.println();
            }
            last = m.shape();
            out.printf("%-5s %-12s %12s %12s %9.2f %9s %10.2e %10.0f %5s%n", m.shape(), m.engine(),
                    (m.estimated() ? "~" : "") + fmt(m.medianUs()), (m.estimated() ? "~" : "") + fmt(m.minUs()),
                    m.gflops(), Double.isFinite(m.speedupVsNaive()) ? String.format("%.1fx", m.speedupVsNaive()) : "-",
                    m.maxAbsErr(), m.planUs(), m.ok() ? "ok" : "FAIL");
        }
        if (results.stream().anyMatch(Measurement::estimated)) {
            out.println("~ naive timed on one batch element and scaled by the batch size");
        }
        for (String n : notes) {
            out.println("note: " + n);
        }
    }

    private static String fmt(double us) {
        return us >= 100 ? String.format("%.0f", us) : String.format("%.2f", us);
    }
}
