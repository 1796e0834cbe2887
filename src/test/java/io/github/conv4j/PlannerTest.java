package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.spi.Availability;
import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.spi.ConvKernel;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Golden;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PlanMode#MEASURE}: it computes right on the golden cases, never picks a slowed engine or one whose output
 * is wrong, measures a spec once when two threads plan it together, and {@link PlanMode#ESTIMATE} follows wisdom.
 */
class PlannerTest {
    private double budgetBefore;

    @BeforeEach
    void shortBudgetAndNoWisdom() {
        budgetBefore = Settings.planBudgetSeconds();
        Settings.setPlanBudgetSeconds(0.02);
        Wisdom.clear();
    }

    @AfterEach
    void restore() {
        Settings.setPlanBudgetSeconds(budgetBefore);
        Wisdom.clear();
    }

    @Test
    void measuredPlansComputeTheGoldenCasesAndPickTheFastestTimed() {
        Engines.assertAllOnBundledPlatform();
        int cases = 0;
        for (Golden.Case c : Golden.cases()) {
            if (cases++ % 3 != 0) {
                continue;    // a third of them: each measures every engine
            }
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = c.load("x.npy", arena), w = c.load("w.npy", arena), want = c.load("y.npy", arena);
                ConvSpec spec = c.spec(Layout.NHWC, x, w);
                Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                Tensors.poison(y);
                try (ConvPlan plan = Conv2d.plan(Conv2d.AUTO, spec, w, null, PlanMode.MEASURE)) {
                    plan.forward(x, y);
                    List<ConvPlan.Timing> timed = plan.measurements();
                    assertTrue(plan.howPlanned().startsWith("measure: timed "), plan.howPlanned());
                    assertFalse(timed.isEmpty(), c.name());
                    ConvPlan.Timing fastest = timed.stream()
                            .min((a, b) -> Double.compare(a.minMicros(), b.minMicros())).orElseThrow();
                    assertEquals(fastest.engine(), plan.engine(), c.name() + " " + timed);
                    assertTrue(timed.stream().allMatch(t -> t.runs() >= 1 && t.minMicros() > 0
                            && t.medianMicros() >= t.minMicros()), timed::toString);
                    assertTrue(Wisdom.lookup(spec, ThreadBudget.alone(spec)).isPresent(), c.name());
                }
                for (long i = 0; i < want.elementCount(); i++) {
                    double ref = want.getDouble(i);
                    if (!(Math.abs(y.getDouble(i) - ref) <= spec.tolerance(ref))) {
                        fail(c.name() + " at " + i + ": got " + y.getDouble(i) + ", want " + ref);
                    }
                }
                // planned again: wisdom, no timing
                try (ConvPlan again = Conv2d.plan(Conv2d.AUTO, spec, w, null, PlanMode.MEASURE)) {
                    assertEquals("measure: from wisdom", again.howPlanned());
                }
            }
        }
    }

    @Test
    void aSlowedEngineIsNeverChosenNorOneThatComputesWrongEvenWhenTimedFirst() {
        ConvEngine fast = Conv2d.engine("java-vector");
        // 20 ms a call, against tens of microseconds once compiled: the JIT's compiling during the measurement,
        // which slows pure-Java engines for their first calls in a JVM, is warmed out of it below
        ConvEngine slow = new Wrapped("slowed", fast, 20, false, null);
        ConvEngine wrong = new Wrapped("wrong", fast, 0, true, null);
        for (ConvSpec spec : specs()) {
            try (Arena arena = Arena.ofConfined()) {
                Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(1), spec.weightShape());
                warm(arena, spec, w);
                // a budget for a dozen of the slowed engine's runs: it gets five, since no candidate of a short
                // spec is dropped before its second burst, and after that it is hundreds of times slower
                Settings.setPlanBudgetSeconds(0.3);
                for (List<ConvEngine> order : List.of(List.of(slow, fast, wrong), List.of(wrong, fast, slow))) {
                    Wisdom.clear();
                    try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, order, true)) {
                        List<String> timed = p.measurements().stream().map(ConvPlan.Timing::engine).toList();
                        // first or not, the wrong one fails the check against sampled direct sums
                        assertEquals("java-vector", p.engine(), spec + " " + p.measurements());
                        assertTrue(timed.contains("slowed") && !timed.contains("wrong"), timed.toString());
                        // one run, then two bursts of two (java-vector's forward is short), then no more
                        assertEquals(5, p.measurements().get(timed.indexOf("slowed")).runs(),
                                p.measurements()::toString);
                    }
                }
            }
        }
    }

    /**
     * Past the budget, every candidate gets two runs (one that is 1.5x the fastest after them stops there), and those
     * within 1.2x of the fastest three.
     */
    @Test
    void outOfBudgetOnlyTheCloseCandidatesRunOnToThreeRuns() {
        ConvEngine base = Conv2d.engine("java-vector");
        // sleeps of 20, 21 and 32 ms over java-vector's microseconds (once compiled): 1.05x and 1.6x the fastest
        List<ConvEngine> order = List.of(new Wrapped("twenty", base, 20, false, null),
                new Wrapped("twenty-one", base, 21, false, null), new Wrapped("thirty-two", base, 32, false, null));
        ConvSpec spec = specs().get(0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(7), spec.weightShape());
            warm(arena, spec, w);
            Settings.setPlanBudgetSeconds(0.001);
            try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, order, false)) {
                assertEquals(List.of(3, 3, 2), p.measurements().stream().map(ConvPlan.Timing::runs).toList(),
                        p.measurements()::toString);
                assertEquals("twenty", p.engine(), p.measurements().toString());
            }
        }
    }

    /**
     * A short forward right after another engine's pays for waking its threads; timed in bursts, the engine's own
     * speed shows. The test engine sleeps 2 ms whenever the forward before it was another kernel's, and is as fast
     * as java-vector otherwise.
     */
    @Test
    void shortForwardsAreTimedInBurstsSoAWakeUpAfterAnotherEngineDoesNotDecide() {
        ConvEngine base = Conv2d.engine("java-vector");
        ConvEngine waking = new Waking("waking", base, 2), other = new Waking("other", base, 0);
        ConvSpec spec = specs().get(0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(8), spec.weightShape());
            warm(arena, spec, w);
            Settings.setPlanBudgetSeconds(0.05);
            try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, List.of(waking, other), false)) {
                ConvPlan.Timing t = p.measurements().get(0);
                assertEquals("waking", t.engine());
                assertTrue(t.minMicros() < 1000, p.measurements()::toString);
            }
        }
    }

    /**
     * A forward stalled for a time slice (a thread of the call descheduled) must not cost the fastest candidate its
     * place: here its timed runs of the first round and of its first burst each stall 5 ms, three runs in a row,
     * and a rival is twice as slow as it is otherwise. Dropped after its first burst (as planning did), the rival
     * would have won.
     */
    @Test
    void shortForwardsStalledForABurstAreNotDroppedBeforeTheirSecond() {
        try (ConvPlan p = stalledAgainstRival(9, 0, 5, 3, 0, 2)) {
            assertEquals("stalled", p.engine(), p.measurements()::toString);
        }
    }

    /**
     * The same for long forwards, dropped after one run: a 2 ms candidate whose first timed run stalls 8 ms stays,
     * against a 3 ms rival, since it is slower by less than a stall.
     */
    @Test
    void aLongForwardStalledOnceIsNotDroppedAfterOneRun() {
        try (ConvPlan p = stalledAgainstRival(10, 2, 8, 1, 3, 1)) {
            assertEquals("stalled", p.engine(), p.measurements()::toString);
            assertTrue(p.measurements().get(0).runs() >= 2, p.measurements()::toString);
        }
    }

    /**
     * A measured plan of the first test spec between a {@link Stalled} candidate, planned first, and a
     * {@link Counted} rival, with a budget of 0.2 s.
     */
    private static ConvPlan stalledAgainstRival(long seed, int sleepMs, int stallMs, int stalls, int rivalSleepMs,
            int rivalRepeat) {
        ConvEngine base = Conv2d.engine("java-vector");
        AtomicInteger rivalCalls = new AtomicInteger();
        ConvEngine stalled = new Stalled("stalled", base, sleepMs, stallMs, stalls, rivalCalls);
        ConvEngine rival = new Counted("rival", base, rivalSleepMs, rivalRepeat, rivalCalls);
        ConvSpec spec = specs().get(0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(seed), spec.weightShape());
            warm(arena, spec, w);
            Settings.setPlanBudgetSeconds(0.2);
            // the plan's kernels hold their own copies of the weights: the plan outlives the arena
            return Planner.plan(spec, w.data(), null, 1, List.of(stalled, rival), false);
        }
    }

    /**
     * A test engine on another's kernels: each forward sleeps {@code sleepMs} and runs the base kernel
     * {@code repeat} times, and counts itself in {@code calls}.
     */
    private record Counted(String name, ConvEngine base, int sleepMs, int repeat, AtomicInteger calls)
            implements OnBase {
        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            return around(base.plan(spec, weights, bias, threads), "", (self, k, x, y, batch, budget) -> {
                calls.incrementAndGet();
                Wrapped.sleep(sleepMs);
                for (int i = 0; i < repeat; i++) {
                    k.forward(x, y, batch, budget);
                }
            });
        }
    }

    /**
     * A test engine on another's kernels that sleeps {@code sleepMs} a forward, and {@code stallMs} more in each of
     * its first {@code stalls} forwards once {@code rivalCalls} shows the rival has run: planned first, those are
     * its first timed runs (its own first call and warm-up come before the rival's).
     */
    private record Stalled(String name, ConvEngine base, int sleepMs, int stallMs, int stalls,
            AtomicInteger rivalCalls) implements OnBase {
        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            AtomicInteger stalled = new AtomicInteger();
            return around(base.plan(spec, weights, bias, threads), "", (self, k, x, y, batch, budget) -> {
                if (rivalCalls.get() > 0 && stalled.getAndIncrement() < stalls) {
                    Wrapped.sleep(stallMs);
                }
                Wrapped.sleep(sleepMs);
                k.forward(x, y, batch, budget);
            });
        }
    }

    /** What a test kernel does in place of a forward, given itself and the base engine's kernel {@code k}. */
    private interface Forward {
        void run(ConvKernel self, ConvKernel k, MemorySegment x, MemorySegment y, int batch, int budget);
    }

    /** A test kernel on {@code k}: {@code body} is its forward, closing it closes {@code k}. */
    private static ConvKernel around(ConvKernel k, String implementation, Forward body) {
        return new ConvKernel() {
            @Override
            public void forward(MemorySegment x, MemorySegment y, int batch, int budget) {
                body.run(this, k, x, y, batch, budget);
            }

            @Override
            public String implementation() {
                return implementation;
            }

            @Override
            public void close() {
                k.close();
            }
        };
    }

    /** A test engine on another engine's kernels: available, and accepting, as that engine is. */
    private interface OnBase extends ConvEngine {
        ConvEngine base();

        @Override
        default Availability probe() {
            return base().probe();
        }

        @Override
        default Optional<String> declines(ConvSpec spec) {
            return base().declines(spec);
        }
    }

    /** The kernel of a {@link Waking} test engine that ran last. */
    private static final java.util.concurrent.atomic.AtomicReference<Object> LAST =
            new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * A test engine on another's kernels that sleeps {@code wakeMs} before a forward whenever the forward before it
     * (of any Waking engine) was another kernel's, like threads that went to sleep while another engine ran.
     */
    private record Waking(String name, ConvEngine base, int wakeMs) implements OnBase {
        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            return around(base.plan(spec, weights, bias, threads), "", (self, k, x, y, batch, budget) -> {
                if (LAST.getAndSet(self) != self) {
                    Wrapped.sleep(wakeMs);
                }
                k.forward(x, y, batch, budget);
            });
        }
    }

    @Test
    void eachVariantIsTimedAndTheFasterOneIsPlannedAndRemembered() {
        ConvEngine twoWays = new TwoWays(Conv2d.engine("java-vector"));
        ConvSpec spec = specs().get(1);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(5), spec.weightShape());
            warm(arena, spec, w);    // compiled, so that the quick variant's runs are well under 20 ms
            Settings.setPlanBudgetSeconds(0.1);
            try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, List.of(twoWays), true)) {
                assertEquals(List.of("two-ways slowed", "two-ways quick"),
                        p.measurements().stream().map(ConvPlan.Timing::label).toList());
                assertEquals("quick", p.implementation(), p.measurements().toString());
            }
            Wisdom.Entry e = Wisdom.lookup(spec, 1).orElseThrow();
            assertEquals("quick", e.variant());
            try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, List.of(twoWays), true)) {
                assertEquals("measure: from wisdom", p.howPlanned());
                assertEquals("quick", p.implementation());
            }
            // a remembered variant the engine no longer offers is measured again, not trusted
            Wisdom.put(new Wisdom.Entry(spec.toString(), 1, "two-ways", "retired", 1, 3, Wisdom.cpuModel(),
                    Wisdom.versions(), Wisdom.engineVersion("two-ways")));
            try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, List.of(twoWays), true)) {
                assertTrue(p.howPlanned().startsWith("measure: timed 2 candidate(s)"), p.howPlanned());
                assertEquals("quick", p.implementation());
            }
        }
    }

    @Test
    void whenEveryTimedEngineComputesWrongThePlanFallsBackToNaive() {
        ConvEngine wrong = new Wrapped("wrong", Conv2d.engine("java-vector"), 0, true, null);
        ConvSpec spec = specs().get(0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(4), spec.weightShape());
            try (ConvPlan p = Planner.plan(spec, w.data(), null, 1, List.of(wrong), true)) {
                assertEquals("naive", p.engine());
                assertTrue(p.howPlanned().contains("naive"), p.howPlanned());
            }
            assertTrue(Wisdom.lookup(spec, 1).isEmpty(), "nothing measured, nothing remembered");
        }
    }

    @Test
    void twoThreadsPlanningOneSpecMeasureItOnce() throws Exception {
        ConvEngine base = Conv2d.engine("java-vector");
        AtomicInteger plans = new AtomicInteger();
        // the first plan takes 300 ms, so the second thread arrives while the first measures
        ConvEngine counted = new Wrapped("counted", base, 0, false, plans);
        ConvSpec spec = specs().get(0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(2), spec.weightShape()).data();
            List<Future<ConvPlan>> both = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                both.add(pool.submit(() -> Planner.plan(spec, w, null, 1, List.of(counted), true)));
                Thread.sleep(50);
            }
            List<String> how = new ArrayList<>();
            for (Future<ConvPlan> f : both) {
                try (ConvPlan p = f.get()) {
                    how.add(p.howPlanned());
                    assertEquals("counted", p.engine());
                }
            }
            assertEquals(1, how.stream().filter(h -> h.startsWith("measure: timed")).count(), how.toString());
            assertTrue(how.contains("measure: chosen by a plan of the same spec measuring at the same time"),
                    how.toString());
            assertEquals(2, plans.get(), "one plan measured, one planned on its choice");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void estimateFollowsWisdom() {
        Engines.assertAllOnBundledPlatform();
        ConvSpec spec = specs().get(1);
        int threads = ThreadBudget.alone(spec);
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(3), spec.weightShape());
            String usual;
            try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, spec, w, null, PlanMode.ESTIMATE)) {
                usual = p.engine();
                // in a JVM whose natives auto's first engine has not loaded yet, the plan is made in the background
                assertTrue(p.howPlanned().startsWith("estimate: auto's engine order"), p.howPlanned());
            }
            String other = usual.equals("java-vector") ? "im2col-ffm" : "java-vector";
            Wisdom.put(new Wisdom.Entry(spec.toString(), threads, other, 1, 3, Wisdom.cpuModel(), Wisdom.versions(),
                    Wisdom.engineVersion(other)));
            try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, spec, w, null, PlanMode.ESTIMATE)) {
                assertEquals(other, p.engine());
                assertEquals("estimate: wisdom", p.howPlanned());
            }
            // an entry for another thread budget does not apply
            Wisdom.clear();
            Wisdom.put(new Wisdom.Entry(spec.toString(), threads + 1, other, 1, 3, Wisdom.cpuModel(),
                    Wisdom.versions(), Wisdom.engineVersion(other)));
            try (ConvPlan p = Conv2d.plan(Conv2d.AUTO, spec, w, null, PlanMode.ESTIMATE)) {
                assertEquals(usual, p.engine());
            }
        }
    }

    /** Runs java-vector on {@code spec} until it is compiled, so that the test engines wrapping it time their sleeps. */
    private static void warm(Arena arena, ConvSpec spec, Tensor w) {
        Tensor x = Tensors.uniform(arena, spec.dtype(), new SplittableRandom(2), spec.inputShape());
        Tensor y = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
        try (ConvPlan warm = Conv2d.plan("java-vector", spec, w, null)) {
            for (int i = 0; i < 2000; i++) {
                warm.forward(x, y);
            }
        }
    }

    private static List<ConvSpec> specs() {
        return List.of(
                ConvSpec.builder().input(2, 12, 11, 8).kernel(3, 3, 16).padding(Padding.SAME).build(),
                ConvSpec.builder().input(1, 20, 20, 16).kernel(3, 3, 32).padding(Padding.SAME).bias(false).build(),
                ConvSpec.builder().layout(Layout.NCHW).dtype(DType.FLOAT64).input(2, 9, 10, 6).kernel(1, 1, 12)
                        .build());
    }

    /**
     * A test engine with two variants on another's kernels: {@code slowed}, its default, sleeps 20 ms a forward;
     * {@code quick} does not. Each kernel's implementation names its variant.
     */
    private record TwoWays(ConvEngine base) implements OnBase {
        @Override
        public String name() {
            return "two-ways";
        }

        @Override
        public List<String> variants(ConvSpec spec) {
            return List.of("slowed", "quick");
        }

        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            return plan(spec, weights, bias, threads, "slowed");
        }

        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads,
                String variant) {
            if (!variants(spec).contains(variant)) {
                throw new IllegalArgumentException("no variant " + variant);
            }
            return new Wrapped(variant, base, variant.equals("slowed") ? 20 : 0, false, null)
                    .plan(spec, weights, bias, threads);
        }
    }

    /**
     * A test engine on another's kernels: each forward first sleeps {@code sleepMs}; {@code zeros} replaces the
     * output with zeros (wrong, and fast); {@code plans}, when given, counts plans and makes the first take 300 ms.
     */
    private record Wrapped(String name, ConvEngine base, int sleepMs, boolean zeros, AtomicInteger plans)
            implements OnBase {
        @Override
        public ConvKernel plan(ConvSpec spec, MemorySegment weights, MemorySegment bias, int threads) {
            if (plans != null && plans.incrementAndGet() == 1) {
                sleep(300);
            }
            return around(base.plan(spec, weights, bias, threads), name, (self, k, x, y, batch, budget) -> {
                sleep(sleepMs);
                if (zeros) {
                    y.fill((byte) 0);
                } else {
                    k.forward(x, y, batch, budget);
                }
            });
        }

        private static void sleep(int ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
