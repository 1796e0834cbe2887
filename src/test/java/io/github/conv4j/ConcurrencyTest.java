package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Eight threads share each engine's plans: every result is bit-identical to a single-threaded run.
 *
 * <p>Inputs are small integers, so every sum is exact whatever order an engine adds in: a lone call may split
 * among workers while eight concurrent calls get one thread each, and the kernels they reach may add in another
 * order (OpenBLAS's on AMD Zen 5 with the Haswell core did, by an ulp). Only a race can change a bit.
 */
class ConcurrencyTest {
    private static final int THREADS = 8;
    private static final int ROUNDS = 25;

    private static final List<ConvSpec> SPECS = List.of(
            ConvSpec.builder().input(2, 12, 10, 3).kernel(3, 3, 16).stride(2).build(),
            ConvSpec.builder().input(1, 14, 14, 32).kernel(3, 3, 32).padding(Padding.SAME).bias(true).relu(true)
                    .build(),
            ConvSpec.builder().layout(Layout.NCHW).input(2, 9, 11, 12).kernel(3, 3, 12).groups(12).dilation(2)
                    .padding(Padding.SAME_LOWER).build(),
            ConvSpec.builder().dtype(DType.FLOAT64).input(1, 8, 8, 6).kernel(1, 1, 10).groups(2).bias(true).build());

    @TestFactory
    List<DynamicTest> sharedPlansGiveIdenticalResults() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Engines.available()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> shared(e)));
        }
        return tests;
    }

    private static void shared(ConvEngine engine) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (Arena arena = Arena.ofShared()) {
            for (ConvSpec spec : SPECS) {
                if (engine.declines(spec).isPresent()) {
                    continue;
                }
                SplittableRandom rnd = new SplittableRandom(spec.hashCode());
                Tensor x = Tensors.smallIntegers(arena, spec.dtype(), rnd, spec.inputShape());
                Tensor w = Tensors.smallIntegers(arena, spec.dtype(), rnd, spec.weightShape());
                Tensor b = spec.hasBias() ? Tensors.smallIntegers(arena, spec.dtype(), rnd, spec.oc()) : null;
                try (ConvPlan plan = Conv2d.plan(engine.name(), spec, w, b)) {
                    Tensor single = Tensor.allocate(arena, spec.dtype(), spec.outputShape());
                    plan.forward(x, single);
                    byte[] expected = single.data().toArray(ValueLayout.JAVA_BYTE);
                    CyclicBarrier start = new CyclicBarrier(THREADS);
                    List<Future<?>> futures = new ArrayList<>();
                    for (int t = 0; t < THREADS; t++) {
                        futures.add(pool.submit(() -> {
                            try (Arena own = Arena.ofConfined()) {
                                Tensor y = Tensor.allocate(own, spec.dtype(), spec.outputShape());
                                start.await();
                                for (int r = 0; r < ROUNDS; r++) {
                                    Tensors.poison(y);
                                    plan.forward(x, y);
                                    assertArrayEquals(expected, y.data().toArray(ValueLayout.JAVA_BYTE),
                                            engine.name() + " round " + r + " on " + Thread.currentThread().getName()
                                                    + " differs from the single-threaded result for " + spec);
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        f.get();
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
