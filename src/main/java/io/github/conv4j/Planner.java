package io.github.conv4j;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link PlanMode#MEASURE}: times the candidate engines on the caller's weights and a synthetic input and plans
 * on the fastest, remembering the choice in {@link Wisdom}. Two threads measuring the same spec and budget at once
 * measure it once: the second waits for the first's choice and plans on that engine.
 */
final class Planner {
    private static final System.Logger LOG = System.getLogger("io.github.conv4j");
    /** Measurements under way, by wisdom key. */
    private static final Map<String, CompletableFuture<Wisdom.Entry>> IN_FLIGHT = new ConcurrentHashMap<>();
    /** Timed runs per engine at most, so a budget far beyond a tiny spec's needs ends. */
    private static final int MAX_RUNS = 1000;

    private Planner() {
    }

    /**
     * A measured plan of {@code spec} among {@code engines} (those available that accept the spec; naive only when
     * no other does), for {@code threads} threads.
     *
     * @param useWisdom whether a {@link Wisdom} entry may stand in for timing (false: time again, and replace it)
     * @throws UnsupportedOperationException if no candidate accepts the spec, or every one failed
     */
    static ConvPlan plan(ConvSpec spec, MemorySegment w, MemorySegment b, int threads, List<ConvEngine> engines,
            boolean useWisdom) {
        if (useWisdom) {
            // before the candidates: a hit asks only its own engine whether it accepts the spec
            Optional<ConvPlan> known = fromWisdom(spec, w, b, threads, engines);
            if (known.isPresent()) {
                return known.get();
            }
        }
        List<ConvEngine> candidates = candidates(spec, engines);
        String key = Wisdom.key(spec.toString(), threads);
        CompletableFuture<Wisdom.Entry> mine = new CompletableFuture<>();
        CompletableFuture<Wisdom.Entry> other = IN_FLIGHT.putIfAbsent(key, mine);
        if (other != null) {
            Wisdom.Entry e;
            try {
                e = other.join();
            } catch (CompletionException failed) {
                return measure(spec, w, b, threads, candidates);    // its failure is its caller's; try ourselves
            }
            Optional<ConvEngine> winner = candidates.stream().filter(c -> c.name().equals(e.engine())).findFirst();
            if (winner.isEmpty()) {
                return measure(spec, w, b, threads, candidates);
            }
            ConvPlan p = new ConvPlan(spec, e.engine(), winner.get().plan(spec, w, b, threads));
            p.report("measure: chosen by a plan of the same spec measuring at the same time", List.of(
                    new ConvPlan.Timing(e.engine(), e.medianMicros(), e.runs())));
            return p;
        }
        try {
            if (useWisdom) {
                // a plan that measured this spec may have finished between the lookup above and putIfAbsent
                Optional<ConvPlan> known = fromWisdom(spec, w, b, threads, engines);
                if (known.isPresent()) {
                    mine.complete(Wisdom.lookup(spec, threads).orElseThrow());
                    return known.get();
                }
            }
            ConvPlan p = measure(spec, w, b, threads, candidates);
            Optional<ConvPlan.Timing> best = p.measurements().stream().filter(t -> t.engine().equals(p.engine()))
                    .findFirst();
            if (best.isEmpty()) {
                // naive after every timed engine failed: nothing worth remembering
                mine.completeExceptionally(new IllegalStateException("no engine measured for " + spec));
                return p;
            }
            Wisdom.Entry e = new Wisdom.Entry(spec.toString(), threads, p.engine(), best.get().medianMicros(),
                    best.get().runs(), Wisdom.cpuModel(), Wisdom.versions(), Wisdom.engineVersion(p.engine()));
            Wisdom.put(e);
            mine.complete(e);
            return p;
        } catch (RuntimeException | Error t) {
            mine.completeExceptionally(t);
            throw t;
        } finally {
            IN_FLIGHT.remove(key, mine);
        }
    }

    /** The available engines that accept {@code spec}, in the given order; naive only if no other does. */
    static List<ConvEngine> candidates(ConvSpec spec, List<ConvEngine> engines) {
        List<ConvEngine> out = new ArrayList<>();
        ConvEngine naive = null;
        StringBuilder reasons = new StringBuilder();
        for (ConvEngine e : engines) {
            if (!e.probe().available()) {
                reasons.append("; ").append(e.name()).append(" is unavailable: ").append(e.probe().reason());
                continue;
            }
            Optional<String> no = e.declines(spec);
            if (no.isPresent()) {
                reasons.append("; ").append(e.name()).append(": ").append(no.get());
                continue;
            }
            if (e.name().equals(Conv2d.NAIVE)) {
                naive = e;
            } else {
                out.add(e);
            }
        }
        if (out.isEmpty() && naive != null) {
            out.add(naive);
        }
        if (out.isEmpty()) {
            throw new UnsupportedOperationException("no engine accepts " + spec + reasons);
        }
        return out;
    }

    private static Optional<ConvPlan> fromWisdom(ConvSpec spec, MemorySegment w, MemorySegment b, int threads,
            List<ConvEngine> engines) {
        Optional<Wisdom.Entry> hit = Wisdom.lookup(spec, threads);
        if (hit.isEmpty()) {
            return Optional.empty();
        }
        Wisdom.Entry e = hit.get();
        Optional<ConvEngine> engine = engines.stream().filter(c -> c.name().equals(e.engine()))
                .filter(c -> c.probe().available() && c.declines(spec).isEmpty()).findFirst();
        if (engine.isEmpty()) {
            return Optional.empty();    // that engine is gone or declines now: measure again
        }
        ConvPlan p = new ConvPlan(spec, e.engine(), engine.get().plan(spec, w, b, threads));
        p.report("measure: from wisdom", List.of(new ConvPlan.Timing(e.engine(), e.medianMicros(), e.runs())));
        return Optional.of(p);
    }

    /** Times each candidate and returns a plan on the fastest, its report naming every timing. */
    private static ConvPlan measure(ConvSpec spec, MemorySegment w, MemorySegment b, int threads,
            List<ConvEngine> candidates) {
        long start = System.nanoTime();
        long budget = (long) (Settings.planBudgetSeconds() * 1e9);
        List<ConvPlan.Timing> timings = new ArrayList<>();
        ConvKernel best = null;
        String bestName = null;
        double bestNs = Double.POSITIVE_INFINITY;
        try (Arena arena = Arena.ofConfined()) {
            long outBytes = spec.outputElements() * spec.dtype().byteSize();
            MemorySegment x = synthetic(arena, spec);
            MemorySegment y = arena.allocate(outBytes, 64);
            Samples samples = new Samples(spec, x, w, b);
            MemorySegment reference = null;
            String referenceName = null;
            for (int i = 0; i < candidates.size(); i++) {
                ConvEngine e = candidates.get(i);
                long share = Math.max(0, (budget - (System.nanoTime() - start)) / (candidates.size() - i));
                ConvKernel k;
                try {
                    k = e.plan(spec, w, b, threads);
                } catch (RuntimeException failed) {
                    LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips engine " + e.name()
                            + ", which failed to plan " + spec + ": " + failed);
                    continue;
                }
                boolean keep = false;
                try {
                    long t0 = System.nanoTime();
                    y.fill((byte) 0xff);    // NaN in both dtypes: an element the engine skips stays NaN
                    k.forward(x, y, spec.mb(), threads);    // unmeasured: first-call work, and the output checked
                    Optional<String> off = samples.check(y);
                    if (off.isPresent()) {
                        LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips engine " + e.name()
                                + ", whose output differs from the direct sum for " + spec + ": " + off.get());
                        continue;
                    }
                    if (reference == null) {
                        reference = arena.allocate(outBytes, 64).copyFrom(y);
                        referenceName = e.name();
                    } else {
                        Optional<String> wrong = differs(spec, y, reference);
                        if (wrong.isPresent()) {
                            LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips engine " + e.name()
                                    + ", whose output differs from " + referenceName + "'s for " + spec + ": "
                                    + wrong.get());
                            continue;
                        }
                    }
                    double[] runs = new double[16];
                    int n = 0;
                    long spent = System.nanoTime() - t0;
                    // three timed runs unless they would outlast the whole budget (one at least), more while the
                    // engine's share lasts: a single run, all the last engines got when the first ones overspent,
                    // measured winograd on R1 at 7.9 and 17.4 ms where its runs take 3.2 and 7.9
                    while (n < 1 || n < MAX_RUNS && (spent < share || n < 3 && spent < budget)) {
                        long s = System.nanoTime();
                        k.forward(x, y, spec.mb(), threads);
                        long t = System.nanoTime() - s;
                        if (n == runs.length) {
                            runs = Arrays.copyOf(runs, 2 * n);
                        }
                        runs[n++] = t;
                        spent = System.nanoTime() - t0;
                    }
                    double median = median(Arrays.copyOf(runs, n));
                    timings.add(new ConvPlan.Timing(e.name(), median / 1e3, n));
                    if (median < bestNs) {
                        ConvKernel beaten = best;
                        best = k;
                        if (beaten != null) {
                            beaten.close();
                        }
                        bestName = e.name();
                        bestNs = median;
                        keep = true;
                    }
                } catch (RuntimeException failed) {
                    LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips engine " + e.name()
                            + ", which failed on " + spec + ": " + failed);
                } finally {
                    if (!keep) {
                        k.close();
                    }
                }
            }
        } catch (RuntimeException | Error failed) {
            if (best != null) {
                best.close();
            }
            throw failed;
        }
        if (best == null) {
            // every candidate failed or computed wrong: the reference, if it takes the spec, rather than nothing
            ConvEngine naive = Conv2d.engine(Conv2d.NAIVE);
            if (candidates.contains(naive) || naive.declines(spec).isPresent()) {
                throw new UnsupportedOperationException("measured planning found no engine that computes " + spec
                        + " (every candidate failed; see the log)");
            }
            ConvPlan p = new ConvPlan(spec, naive.name(), naive.plan(spec, w, b, threads));
            p.report("measure: every engine timed failed or computed wrong (see the log); naive", timings);
            return p;
        }
        ConvPlan p = new ConvPlan(spec, bestName, best);
        p.report(String.format("measure: timed %d engine(s) in %.0f ms", timings.size(),
                (System.nanoTime() - start) / 1e6), timings);
        return p;
    }

    /**
     * Outputs at a few hundred positions spread over the whole output, each summed directly in double from the
     * definition: a check of every candidate, the first one's included, that costs microseconds where running
     * naive on even one image of a large spec would take most of the budget.
     */
    private static final class Samples {
        private static final int COUNT = 256;
        private final ConvSpec spec;
        private final long[] at;
        private final double[] want;

        Samples(ConvSpec spec, MemorySegment x, MemorySegment w, MemorySegment b) {
            this.spec = spec;
            io.github.conv4j.engine.TensorIndex ix = new io.github.conv4j.engine.TensorIndex(spec);
            long n = spec.outputElements();
            int count = (int) Math.min(COUNT, n);
            at = new long[count];
            want = new double[count];
            SplittableRandom rnd = new SplittableRandom(n);
            for (int i = 0; i < count; i++) {
                // the first and last outputs, then spread at random
                long flat = i == 0 ? 0 : i == 1 ? n - 1 : rnd.nextLong(n);
                long ow = spec.ow(), oh = spec.oh(), oc = spec.oc();
                long pn, py, px, po;
                if (spec.layout() == Layout.NHWC) {
                    po = flat % oc;
                    px = flat / oc % ow;
                    py = flat / oc / ow % oh;
                    pn = flat / oc / ow / oh;
                } else {
                    px = flat % ow;
                    py = flat / ow % oh;
                    po = flat / ow / oh % oc;
                    pn = flat / ow / oh / oc;
                }
                at[i] = ix.output(pn, py, px, po);
                int g = (int) (po / spec.ocPerGroup());
                double sum = b == null ? 0 : get(spec, b, po);
                for (int ky = 0; ky < spec.kh(); ky++) {
                    long iy = py * spec.sh() + (long) ky * spec.dh() - spec.padTop();
                    for (int kx = 0; kx < spec.kw() && iy >= 0 && iy < spec.ih(); kx++) {
                        long ixx = px * spec.sw() + (long) kx * spec.dw() - spec.padLeft();
                        if (ixx < 0 || ixx >= spec.iw()) {
                            continue;
                        }
                        for (int c = 0; c < spec.icPerGroup(); c++) {
                            sum += get(spec, x, ix.input(pn, iy, ixx, (long) g * spec.icPerGroup() + c))
                                    * get(spec, w, ix.weight(ky, kx, c, po));
                        }
                    }
                }
                want[i] = spec.relu() ? Math.max(0, sum) : sum;
            }
        }

        /** Where {@code y} is farther than the tolerance from a sampled direct sum, or NaN; empty when nowhere. */
        Optional<String> check(MemorySegment y) {
            for (int i = 0; i < at.length; i++) {
                double got = get(spec, y, at[i]);
                if (!(Math.abs(got - want[i]) <= spec.tolerance(want[i]))) {
                    return Optional.of("at element " + at[i] + ": " + got + " against " + want[i]);
                }
            }
            return Optional.empty();
        }
    }

    /** Uniform values in [-1, 1), the same for every engine and every run. */
    private static MemorySegment synthetic(Arena arena, ConvSpec spec) {
        long n = spec.inputElements();
        MemorySegment x = arena.allocate(n * spec.dtype().byteSize(), 64);
        SplittableRandom rnd = new SplittableRandom(spec.hashCode());
        for (long i = 0; i < n; i++) {
            double v = rnd.nextDouble(-1, 1);
            switch (spec.dtype()) {
                case FLOAT32 -> x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
                case FLOAT64 -> x.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
                case BFLOAT16 -> x.setAtIndex(ValueLayout.JAVA_SHORT, i, BFloat16.fromDouble(v));
            }
        }
        return x;
    }

    /**
     * Where {@code y} is farther from {@code ref} than two tolerances (each output may be one tolerance from the
     * exact value), or NaN; empty when it is not.
     */
    private static Optional<String> differs(ConvSpec spec, MemorySegment y, MemorySegment ref) {
        long n = spec.outputElements();
        for (long i = 0; i < n; i++) {
            double got = get(spec, y, i), want = get(spec, ref, i);
            if (!(Math.abs(got - want) <= 2 * spec.tolerance(want))) {
                return Optional.of("at flat index " + i + ": " + got + " against " + want);
            }
        }
        return Optional.empty();
    }

    private static double get(ConvSpec spec, MemorySegment m, long i) {
        return switch (spec.dtype()) {
            case FLOAT32 -> m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case FLOAT64 -> m.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            case BFLOAT16 -> BFloat16.toFloat(m.getAtIndex(ValueLayout.JAVA_SHORT, i));
        };
    }

    private static double median(double[] v) {
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
