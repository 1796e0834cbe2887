package io.github.conv4j;

import io.github.conv4j.engine.Workers;
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
    /** Timed rounds at most, so a budget far beyond a tiny spec's needs ends. */
    private static final int MAX_RUNS = 1000;
    /**
     * Candidates within this factor of the fastest are close: past the budget they still get {@link #CLOSE_RUNS}
     * timed runs each.
     */
    private static final double CLOSE = 1.2;
    private static final int CLOSE_RUNS = 3;
    /**
     * Timed runs every candidate gets unless it is three times the fastest after one: under load one run can take
     * twice the next (a sleeping 20 ms test engine measured 50), and a single run would then decide.
     */
    private static final int MIN_RUNS = 2;
    /** Untimed warm-up of a candidate whose first forward took less than this, for about this long. */
    private static final long WARM_NS = 2_000_000;
    private static final int MAX_WARM = 5000;
    /**
     * Where the fastest forward is shorter than {@link #TRUSTED_RUN_NS}, each candidate runs, after the first round,
     * in bursts of back-to-back forwards: at least two, then more while the burst is under this long (up to
     * {@link #MAX_BURST}). A single short forward run right after another engine's measures thread wake-ups and cold
     * caches (oneDNN at two threads took 1.8 ms on S2, whose forward takes 0.04); a burst's later runs show the
     * engine's own speed.
     */
    private static final double BURST_NS = 1e6;
    private static final int MAX_BURST = 64;
    /**
     * Where the fastest forward takes at least this long, one run apiece is enough to drop a candidate far slower
     * than the fastest; shorter ones are timed in bursts, and only dropped after two.
     */
    private static final double TRUSTED_RUN_NS = 1e6;
    /**
     * The longest a forward may be stalled by its machine rather than its engine: at two threads on two cores, a
     * thread of the call descheduled for a time slice stalls a microsecond forward for milliseconds, now and then
     * several in a row. A candidate is dropped early only if it is slower than the fastest by more than this, as
     * well as by a factor.
     */
    private static final double STALL_NS = 10e6;
    /**
     * How long timing waits, at most, for the rest of the process to go quiet ({@link Idle}) before its first
     * round; never past the budget.
     */
    private static final long QUIET_NS = 50_000_000;

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
                return measure(spec, w, b, threads, candidates).plan();    // its failure is its caller's; try ourselves
            }
            Optional<ConvPlan> same = planEntry(spec, w, b, threads, candidates, e,
                    "measure: chosen by a plan of the same spec measuring at the same time");
            return same.orElseGet(() -> measure(spec, w, b, threads, candidates).plan());
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
            Measured m = measure(spec, w, b, threads, candidates);
            ConvPlan.Timing best = m.winner();
            if (best == null) {
                // naive after every timed engine failed: nothing worth remembering
                mine.completeExceptionally(new IllegalStateException("no engine measured for " + spec));
                return m.plan();
            }
            Wisdom.Entry e = new Wisdom.Entry(spec.toString(), threads, best.engine(), best.variant(),
                    best.medianMicros(), best.runs(), Wisdom.cpuModel(), Wisdom.versions(),
                    Wisdom.engineVersion(best.engine()));
            Wisdom.put(e);
            mine.complete(e);
            return m.plan();
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
        // an engine that is gone or declines now, or lost the variant: measure again
        return planEntry(spec, w, b, threads, engines.stream()
                .filter(c -> c.probe().available() && c.declines(spec).isEmpty()).toList(), hit.get(),
                "measure: from wisdom");
    }

    /**
     * A plan on {@code e}'s engine and variant, reported as {@code how}; empty when that engine is not among
     * {@code engines} or no longer has that variant.
     */
    private static Optional<ConvPlan> planEntry(ConvSpec spec, MemorySegment w, MemorySegment b, int threads,
            List<ConvEngine> engines, Wisdom.Entry e, String how) {
        Optional<ConvEngine> engine = engines.stream().filter(c -> c.name().equals(e.engine())).findFirst();
        if (engine.isEmpty()) {
            return Optional.empty();
        }
        Candidate c = new Candidate(engine.get(), e.variant());
        if (!e.variant().isEmpty() && !engine.get().variants(spec).contains(e.variant())) {
            return Optional.empty();
        }
        ConvPlan p = new ConvPlan(spec, e.engine(), c.plan(spec, w, b, threads));
        p.report(how, List.of(new ConvPlan.Timing(e.engine(), e.variant(), e.medianMicros(), Double.NaN,
                e.runs())));
        return Optional.of(p);
    }

    /** An engine, and one of its variants or none: one thing to time. */
    private record Candidate(ConvEngine engine, String variant) {
        ConvKernel plan(ConvSpec spec, MemorySegment w, MemorySegment b, int threads) {
            return variant.isEmpty() ? engine.plan(spec, w, b, threads) : engine.plan(spec, w, b, threads, variant);
        }

        String label() {
            return variant.isEmpty() ? engine.name() : engine.name() + " " + variant;
        }
    }

    /** Each engine's variants worth timing ({@link ConvEngine#variants}), or the engine alone. */
    private static List<Candidate> expand(ConvSpec spec, List<ConvEngine> engines) {
        List<Candidate> out = new ArrayList<>();
        for (ConvEngine e : engines) {
            List<String> variants;
            try {
                variants = e.variants(spec);
            } catch (RuntimeException failed) {
                LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning times engine " + e.name()
                        + " without variants, since listing them failed for " + spec + ": " + failed);
                variants = List.of();
            }
            if (variants.isEmpty()) {
                out.add(new Candidate(e, ""));
            }
            for (String v : variants) {
                out.add(new Candidate(e, v));
            }
        }
        return out;
    }

    /** A candidate planned and checked, and its timed runs so far. */
    private static final class Trial {
        final Candidate candidate;
        final ConvKernel kernel;
        double[] runs = new double[8];
        int n;
        double min = Double.POSITIVE_INFINITY;

        Trial(Candidate candidate, ConvKernel kernel) {
            this.candidate = candidate;
            this.kernel = kernel;
        }

        void add(double ns) {
            if (n == runs.length) {
                runs = Arrays.copyOf(runs, 2 * n);
            }
            runs[n++] = ns;
            min = Math.min(min, ns);
        }

        ConvPlan.Timing timing() {
            return new ConvPlan.Timing(candidate.engine().name(), candidate.variant(),
                    median(Arrays.copyOf(runs, n)) / 1e3, min / 1e3, n);
        }
    }

    /** The plan measuring made, and the winner's timing (null when every candidate failed and naive stands in). */
    private record Measured(ConvPlan plan, ConvPlan.Timing winner) {
    }

    /**
     * Times the candidates and returns a plan on the fastest, its report naming every timing.
     *
     * <p>First each candidate is planned, run once untimed (first-call work) and its output checked, and run untimed
     * for about {@link #WARM_NS} more when its forward is shorter than that. Timing waits, up to {@link #QUIET_NS},
     * for the rest of the process to go quiet ({@link Idle}). Then the
     * survivors are timed in rounds, a forward or a burst of them each per round, so that a disturbance lasting a while (a
     * collection, another process) spreads over all of them rather than landing on one. Rounds go on while the
     * next is expected to end within the budget, which counts from the start, plan-making and checks included;
     * there are always {@link #MIN_RUNS}, and candidates within {@link #CLOSE} of the fastest get
     * {@link #CLOSE_RUNS} whatever the budget. The first round runs each candidate once, later ones in bursts where
     * forwards are short (see {@link #BURST_NS}). A candidate stops being timed when it will not win and timing it
     * would spend the budget the close ones need. Where a forward takes {@link #TRUSTED_RUN_NS} or more, that is after
     * the first or second round when its fastest run is more than three times the best's and slower by more than
     * {@link #STALL_NS}, and after later rounds at 1.5 times. Where forwards are shorter, no candidate is dropped
     * before it has had two bursts: after them at three times, from the fourth round at 1.5 times. The fastest run
     * decides, and the rounds end early when one candidate is left.
     */
    private static Measured measure(ConvSpec spec, MemorySegment w, MemorySegment b, int threads,
            List<ConvEngine> engines) {
        long start = System.nanoTime();
        long budget = (long) (Settings.planBudgetSeconds() * 1e9);
        List<Trial> trials = new ArrayList<>();
        List<Trial> live = new ArrayList<>();
        Trial best = null;
        Buffers buffers = Buffers.take(spec);
        try {
            // the engines get global views, as they make of a caller's confined segments (Workers.share): timing
            // them on another kind of segment would first throw away code compiled for that kind
            MemorySegment x = Workers.globalView(buffers.x), y = Workers.globalView(buffers.y);
            Samples samples = new Samples(spec, x, w, b);
            MemorySegment reference = null;
            String referenceName = null;
            for (Candidate c : expand(spec, engines)) {
                ConvKernel k;
                try {
                    k = c.plan(spec, w, b, threads);
                } catch (RuntimeException failed) {
                    LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips " + c.label()
                            + ", which failed to plan " + spec + ": " + failed);
                    continue;
                }
                boolean keep = false;
                try {
                    y.fill((byte) 0xff);    // NaN in both dtypes: an element the engine skips stays NaN
                    long first = System.nanoTime();
                    k.forward(x, y, spec.mb(), threads);    // unmeasured: first-call work, and the output checked
                    first = System.nanoTime() - first;
                    Optional<String> off = samples.check(y);
                    if (off.isPresent()) {
                        LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips " + c.label()
                                + ", whose output differs from the direct sum for " + spec + ": " + off.get());
                        continue;
                    }
                    if (reference == null) {
                        reference = buffers.reference.copyFrom(y);
                        referenceName = c.label();
                    } else {
                        Optional<String> wrong = differs(spec, y, reference);
                        if (wrong.isPresent()) {
                            LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips " + c.label()
                                    + ", whose output differs from " + referenceName + "'s for " + spec + ": "
                                    + wrong.get());
                            continue;
                        }
                    }
                    if (first < WARM_NS) {
                        // a fresh kernel's first few hundred short calls ran 10-50x slower than its later ones
                        // (java-vector on S1: 10 us against 0.7; the im2col engines alike), so a short forward is
                        // run, untimed, for about WARM_NS before timing starts
                        long w0 = System.nanoTime();
                        for (int q = 0; q < MAX_WARM && System.nanoTime() - w0 < WARM_NS; q++) {
                            k.forward(x, y, spec.mb(), threads);
                        }
                    }
                    Trial t = new Trial(c, k);
                    trials.add(t);
                    live.add(t);
                    keep = true;
                } catch (RuntimeException failed) {
                    LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips " + c.label()
                            + ", which failed on " + spec + ": " + failed);
                } finally {
                    if (!keep) {
                        k.close();
                    }
                }
            }
            boolean bursts = false;
            // the JIT compiling what planning ran for the first time, or the last candidate's worker threads, would
            // otherwise take a core from the first rounds
            Idle.await(Math.min(QUIET_NS, budget - (System.nanoTime() - start)), threads);
            for (int round = 0; round < MAX_RUNS && !live.isEmpty() && (round < MIN_RUNS || live.size() > 1);
                    round++) {
                if (round >= MIN_RUNS) {
                    double next = 0;
                    for (Trial t : live) {
                        next += bursts ? Math.max(2 * t.min, BURST_NS) : t.min;
                    }
                    if (System.nanoTime() - start + next > budget) {
                        if (round >= CLOSE_RUNS) {
                            break;
                        }
                        // out of budget: only the close ones run on, to CLOSE_RUNS rounds, where one run apiece
                        // would decide by noise (two-thread runs of a fresh pure-Java plan measured 2x slow)
                        double fastest = live.stream().mapToDouble(t -> t.min).min().orElseThrow();
                        live.removeIf(t -> t.min > CLOSE * fastest);
                        if (live.size() < 2) {
                            break;
                        }
                    }
                }
                for (var it = live.iterator(); it.hasNext(); ) {
                    Trial t = it.next();
                    try {
                        long b0 = System.nanoTime();
                        for (int r = 0; r < (bursts ? MAX_BURST : 1); r++) {
                            long s = System.nanoTime();
                            t.kernel.forward(x, y, spec.mb(), threads);
                            long e = System.nanoTime();
                            t.add(e - s);
                            if (r >= 1 && e - b0 >= BURST_NS) {
                                break;
                            }
                        }
                    } catch (RuntimeException failed) {
                        LOG.log(System.Logger.Level.WARNING, "conv4j: measured planning skips "
                                + t.candidate.label() + ", which failed on " + spec + ": " + failed);
                        it.remove();
                        trials.remove(t);
                        t.kernel.close();
                    }
                }
                double fastest = Double.POSITIVE_INFINITY;
                for (Trial t : live) {
                    fastest = Math.min(fastest, t.min);
                }
                // long forwards: after one or two runs apiece, those slower than 3x the fastest and by more than
                // a stall; after three or more, more than 1.5x. Short forwards, timed in bursts: none before two
                // bursts, then more than 3x, and 1.5x from the fourth round
                double bar;
                if (fastest >= TRUSTED_RUN_NS) {
                    bar = round < 2 ? Math.max(3 * fastest, fastest + STALL_NS) : 1.5 * fastest;
                } else {
                    bar = round < 2 ? Double.POSITIVE_INFINITY : round < 4 ? 3 * fastest : 1.5 * fastest;
                }
                live.removeIf(t -> t.min > bar);    // it keeps its timings for the report
                bursts = fastest < TRUSTED_RUN_NS;
            }
            for (Trial t : trials) {
                if (best == null || t.min < best.min) {
                    best = t;
                }
            }
        } finally {
            java.lang.ref.Reference.reachabilityFence(buffers);    // its memory stays while the global views are used
            Buffers.give(buffers);
            for (Trial t : trials) {
                if (t != best) {
                    t.kernel.close();
                }
            }
        }
        List<ConvPlan.Timing> timings = trials.stream().map(Trial::timing).toList();
        if (best == null) {
            // every candidate failed or computed wrong: the reference, if it takes the spec, rather than nothing
            ConvEngine naive = Conv2d.engine(Conv2d.NAIVE);
            if (engines.contains(naive) || naive.declines(spec).isPresent()) {
                throw new UnsupportedOperationException("measured planning found no engine that computes " + spec
                        + " (every candidate failed; see the log)");
            }
            ConvPlan p = new ConvPlan(spec, naive.name(), naive.plan(spec, w, b, threads));
            p.report("measure: every engine timed failed or computed wrong (see the log); naive", timings);
            return new Measured(p, null);
        }
        ConvPlan p = new ConvPlan(spec, best.candidate.engine().name(), best.kernel);
        p.report(String.format("measure: timed %d candidate(s) in %.0f ms", timings.size(),
                (System.nanoTime() - start) / 1e6), timings);
        return new Measured(p, best.timing());
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
                        sum += dot(spec, x, ix.input(pn, iy, ixx, (long) g * spec.icPerGroup()), ix.inC,
                                w, ix.weight(ky, kx, 0, po), ix.wI, spec.icPerGroup());
                    }
                }
                want[i] = spec.relu() ? Math.max(0, sum) : sum;
            }
        }

        /**
         * The sum over {@code n} channels of {@code x[xi + c * xs] * w[wi + c * ws]}, in double; the loop is plain so
         * that it compiles early, since a plan runs it once.
         */
        private static double dot(ConvSpec spec, MemorySegment x, long xi, long xs, MemorySegment w, long wi, long ws,
                int n) {
            double sum = 0;
            switch (spec.dtype()) {
                case FLOAT32 -> {
                    for (int c = 0; c < n; c++, xi += xs, wi += ws) {
                        sum += (double) x.getAtIndex(ValueLayout.JAVA_FLOAT, xi) * w.getAtIndex(ValueLayout.JAVA_FLOAT, wi);
                    }
                }
                case FLOAT64 -> {
                    for (int c = 0; c < n; c++, xi += xs, wi += ws) {
                        sum += x.getAtIndex(ValueLayout.JAVA_DOUBLE, xi) * w.getAtIndex(ValueLayout.JAVA_DOUBLE, wi);
                    }
                }
                case BFLOAT16 -> {
                    for (int c = 0; c < n; c++, xi += xs, wi += ws) {
                        sum += (double) BFloat16.toFloat(x.getAtIndex(ValueLayout.JAVA_SHORT, xi))
                                * BFloat16.toFloat(w.getAtIndex(ValueLayout.JAVA_SHORT, wi));
                    }
                }
                case INT8, UINT8, INT32 -> throw new IllegalStateException("quantized specs are not measured");
            }
            return sum;
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

    /**
     * The synthetic input, the output and the reference output of one measurement, kept for the next. Fresh memory
     * costs a page fault per 4 KiB on first touch, tens of milliseconds for R1's 6 MB in a virtual machine, and the
     * input is {@link Pattern}'s values repeated, a function of the index alone, so a kept input serves any spec of
     * its dtype that fits. One set is kept at a time, up to {@link #KEEP_BYTES}; a measurement reuses each of its
     * segments that is large enough and makes the others, each in an automatic arena of its own, so a segment
     * dropped is freed by the collector.
     */
    private static final class Buffers {
        private static final long KEEP_BYTES = 64L << 20;
        private static final java.util.concurrent.atomic.AtomicReference<Buffers> KEPT =
                new java.util.concurrent.atomic.AtomicReference<>();
        final DType dtype;
        final MemorySegment x, y, reference;
        /** The set these slices are of (itself for a whole set). */
        private final Buffers whole;

        private Buffers(DType dtype, MemorySegment x, MemorySegment y, MemorySegment reference) {
            this.dtype = dtype;
            this.whole = this;
            this.x = x;
            this.y = y;
            this.reference = reference;
        }

        /** {@code bytes} of fresh memory, in an automatic arena of its own so that it is freed on its own. */
        private static MemorySegment fresh(long bytes) {
            return Arena.ofAuto().allocate(bytes, 64);
        }

        /** A fresh input of {@code bytes} holding {@link Pattern}'s values repeated. */
        private static MemorySegment input(DType dtype, long bytes) {
            MemorySegment x = fresh(bytes);
            long n = bytes / dtype.byteSize();
            for (long at = 0; at < n; at += Pattern.LENGTH) {
                int len = (int) Math.min(Pattern.LENGTH, n - at);
                switch (dtype) {
                    case FLOAT32 -> MemorySegment.copy(Pattern.FLOATS, 0, x, ValueLayout.JAVA_FLOAT, at * 4, len);
                    case FLOAT64 -> MemorySegment.copy(Pattern.DOUBLES, 0, x, ValueLayout.JAVA_DOUBLE, at * 8, len);
                    case BFLOAT16 -> MemorySegment.copy(Pattern.BFLOAT16S, 0, x, ValueLayout.JAVA_SHORT, at * 2, len);
                    // Conv2d does not measure quantized specs: its samples are float sums
                    case INT8, UINT8, INT32 -> throw new IllegalStateException("quantized specs are not measured");
                }
            }
            return x;
        }

        /**
         * Segments holding {@code spec}'s input (filled) and output, sliced to their sizes. Each kept segment that is
         * large enough (the input, also of the same dtype) serves again, and only the others are made fresh: D1
         * after R6 needs a larger input but not larger outputs.
         */
        static Buffers take(ConvSpec spec) {
            DType dtype = spec.dtype();
            long in = spec.inputElements() * dtype.byteSize();
            long out = spec.outputElements() * dtype.byteSize();
            Buffers b = KEPT.getAndSet(null);
            MemorySegment x = b != null && b.dtype == dtype && b.x.byteSize() >= in ? b.x : input(dtype, in);
            MemorySegment y = b != null && b.y.byteSize() >= out ? b.y : fresh(out);
            MemorySegment reference = b != null && b.reference.byteSize() >= out ? b.reference : fresh(out);
            return new Buffers(new Buffers(dtype, x, y, reference), in, out);
        }

        /** Keeps {@code b}'s memory for the next measurement if it is small enough. */
        static void give(Buffers b) {
            Buffers whole = b.whole;
            if (whole.x.byteSize() + whole.y.byteSize() + whole.reference.byteSize() <= KEEP_BYTES) {
                KEPT.set(whole);
            }
        }

        private Buffers(Buffers whole, long inBytes, long outBytes) {
            this.dtype = whole.dtype;
            this.whole = whole;
            x = whole.x.asSlice(0, inBytes);
            y = whole.y.asSlice(0, outBytes);
            reference = whole.reference.asSlice(0, outBytes);
        }
    }

    /**
     * The synthetic input's values, made once per JVM. Their period is prime so that it lines up with no tensor
     * dimension: an engine reading the wrong element almost always reads a different value, and the checks see it.
     */
    private static final class Pattern {
        static final int LENGTH = 65_521;
        static final float[] FLOATS = new float[LENGTH];
        static final double[] DOUBLES = new double[LENGTH];
        static final short[] BFLOAT16S = new short[LENGTH];

        static {
            SplittableRandom rnd = new SplittableRandom(2026);
            for (int i = 0; i < LENGTH; i++) {
                FLOATS[i] = (float) rnd.nextDouble(-1, 1);
                DOUBLES[i] = FLOATS[i];
                BFLOAT16S[i] = BFloat16.fromFloat(FLOATS[i]);
            }
        }
    }

    /**
     * Where {@code y} is farther from {@code ref} than two tolerances (each output may be one tolerance from the
     * exact value), or NaN; empty when it is not.
     */
    private static Optional<String> differs(ConvSpec spec, MemorySegment y, MemorySegment ref) {
        // in chunks copied to arrays: a loop over arrays runs fast from its first call, and a plan runs this once
        // per engine, where reading the segments element by element took 60 ms on R1's output. The tolerance is
        // level * (1 + |reference|) (ConvSpec.tolerance): its level is taken once, not per element
        long n = spec.outputElements();
        int chunk = (int) Math.min(n, 16_384);
        double[] got = new double[chunk], want = new double[chunk];
        Object raw = spec.dtype() == DType.BFLOAT16 ? new short[chunk] : new float[chunk];
        double twice = 2 * spec.tolerance(0);
        for (long at = 0; at < n; at += chunk) {
            int len = (int) Math.min(chunk, n - at);
            read(spec, y, at, got, len, raw);
            read(spec, ref, at, want, len, raw);
            for (int i = 0; i < len; i++) {
                if (!(Math.abs(got[i] - want[i]) <= twice * (1 + Math.abs(want[i])))) {
                    return Optional.of("at flat index " + (at + i) + ": " + got[i] + " against " + want[i]);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Elements {@code at .. at + len - 1} of {@code m} into {@code out}, widened to double; {@code raw} is scratch
     * for the narrower types, at least {@code len} long, so that a full comparison allocates nothing per chunk.
     */
    private static void read(ConvSpec spec, MemorySegment m, long at, double[] out, int len, Object raw) {
        switch (spec.dtype()) {
            case FLOAT32 -> {
                float[] f = (float[]) raw;
                MemorySegment.copy(m, ValueLayout.JAVA_FLOAT, at * 4, f, 0, len);
                for (int i = 0; i < len; i++) {
                    out[i] = f[i];
                }
            }
            case FLOAT64 -> MemorySegment.copy(m, ValueLayout.JAVA_DOUBLE, at * 8, out, 0, len);
            case BFLOAT16 -> {
                short[] h = (short[]) raw;
                MemorySegment.copy(m, ValueLayout.JAVA_SHORT, at * 2, h, 0, len);
                for (int i = 0; i < len; i++) {
                    out[i] = BFloat16.toFloat(h[i]);
                }
            }
            case INT8, UINT8, INT32 -> throw new IllegalStateException("quantized specs are not measured");
        }
    }

    private static double get(ConvSpec spec, MemorySegment m, long i) {
        return switch (spec.dtype()) {
            case FLOAT32 -> m.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case FLOAT64 -> m.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
            case BFLOAT16 -> BFloat16.toFloat(m.getAtIndex(ValueLayout.JAVA_SHORT, i));
            // Conv2d does not measure quantized specs: its samples are float sums
            case INT8, UINT8, INT32 -> throw new IllegalStateException("quantized specs are not measured: " + spec);
        };
    }

    private static double median(double[] v) {
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
