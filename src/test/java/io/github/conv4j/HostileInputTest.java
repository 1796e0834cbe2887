package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.conv4j.spi.ConvEngine;
import io.github.conv4j.testing.Engines;
import io.github.conv4j.testing.RandomSpecs;
import io.github.conv4j.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile specs and buffers: each is the documented exception with a message that names the problem, never a
 * crash, and no engine writes outside {@code y} (guard bytes around it stay intact).
 */
class HostileInputTest {
    private static final byte GUARD = 0x5A;
    private static final long GUARD_BYTES = 4096;

    @Test
    void randomInvalidSpecsAreIllegalArgumentsOnly() {
        SplittableRandom rnd = new SplittableRandom(42);
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            ConvSpec.Builder b = ConvSpec.builder()
                    .layout(rnd.nextBoolean() ? Layout.NHWC : Layout.NCHW)
                    .dtype(rnd.nextBoolean() ? DType.FLOAT32 : DType.FLOAT64)
                    .input(wild(rnd), wild(rnd), wild(rnd), wild(rnd)).kernel(wild(rnd), wild(rnd), wild(rnd))
                    .stride(wild(rnd), wild(rnd)).dilation(wild(rnd), wild(rnd)).groups(wild(rnd))
                    .bias(rnd.nextBoolean()).relu(rnd.nextBoolean());
            try {
                if (rnd.nextBoolean()) {
                    b.padding(Padding.explicit(wild(rnd), wild(rnd), wild(rnd), wild(rnd)));
                } else {
                    b.padding(rnd.nextBoolean() ? Padding.SAME : Padding.SAME_LOWER);
                }
                ConvSpec s = b.build();
                assertTrue(s.oh() >= 1 && s.ow() >= 1 && s.outputElements() > 0, s.toString());
            } catch (IllegalArgumentException e) {
                rejected++;
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                assertEquals(e.getMessage().toLowerCase(java.util.Locale.ROOT).charAt(0), e.getMessage().charAt(0),
                        "messages start lowercase: " + e.getMessage());
            }
        }
        assertTrue(rejected > 10_000, "most wild specs are invalid: " + rejected);
    }

    /** Mostly small, sometimes zero, negative or huge. */
    private static int wild(SplittableRandom rnd) {
        return switch (rnd.nextInt(8)) {
            case 0 -> 0;
            case 1 -> -rnd.nextInt(1, Integer.MAX_VALUE);
            case 2 -> rnd.nextInt(1, Integer.MAX_VALUE);
            case 3 -> Integer.MAX_VALUE;
            default -> rnd.nextInt(1, 9);
        };
    }

    @TestFactory
    List<DynamicTest> noEngineWritesOutsideTheOutput() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Engines.available()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> guarded(e)));
        }
        return tests;
    }

    private static void guarded(ConvEngine engine) {
        int ran = 0, bf16 = 0;
        for (long seed = 0; seed < 120; seed++) {
            ConvSpec spec = RandomSpecs.next(seed % 40 + 777, 16, 5);
            if (seed >= 40 && seed < 80) {
                // the same specs as 3x3, stride 1, undilated: the only ones an engine like winograd accepts
                spec = spec.toBuilder().kernel(3, 3, spec.oc()).stride(1).dilation(1).padding(Padding.SAME).build();
            }
            if (seed >= 80) {
                // the same specs in bfloat16, for the engines that take it
                spec = spec.toBuilder().dtype(DType.BFLOAT16).build();
            }
            if (engine.declines(spec).isPresent()) {
                continue;
            }
            ran++;
            bf16 += spec.dtype() == DType.BFLOAT16 ? 1 : 0;
            SplittableRandom rnd = new SplittableRandom(seed);
            try (Arena arena = Arena.ofConfined()) {
                long bytes = spec.outputElements() * spec.dtype().byteSize();
                MemorySegment all = arena.allocate(bytes + 2 * GUARD_BYTES, 64);
                all.fill(GUARD);
                Tensor y = new Tensor(all.asSlice(GUARD_BYTES, bytes), spec.dtype(), spec.outputShape());
                Tensor x = Tensors.uniform(arena, spec.dtype(), rnd, spec.inputShape());
                Tensor readOnlyX = new Tensor(x.data().asReadOnly(), x.dtype(), x.shape());
                Tensor w = Tensors.uniform(arena, spec.dtype(), rnd, spec.weightShape());
                Tensor b = spec.hasBias() ? Tensors.uniform(arena, spec.dtype(), rnd, spec.oc()) : null;
                Conv2d.forward(engine.name(), spec, readOnlyX, w, b, y);
                for (long i = 0; i < GUARD_BYTES; i++) {
                    if (all.get(ValueLayout.JAVA_BYTE, i) != GUARD
                            || all.get(ValueLayout.JAVA_BYTE, GUARD_BYTES + bytes + i) != GUARD) {
                        fail(engine.name() + " wrote outside y, seed " + (seed % 40 + 777) + " " + spec);
                    }
                }
            }
        }
        assertTrue(ran >= 20, engine.name() + " ran only " + ran + " of 120 guarded specs");
        ConvSpec plain = ConvSpec.builder().dtype(DType.BFLOAT16).input(1, 8, 8, 16).kernel(3, 3, 16).build();
        if (engine.declines(plain).isEmpty()) {
            assertTrue(bf16 >= 10, engine.name() + " takes bfloat16 but ran only " + bf16 + " of 40 such specs");
        }
    }

    @TestFactory
    List<DynamicTest> everyEngineGetsTheSameBorderChecks() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ConvEngine e : Engines.available()) {
            tests.add(DynamicTest.dynamicTest(e.name(), () -> borderChecks(e.name())));
        }
        return tests;
    }

    private static void borderChecks(String engine) {
        ConvSpec spec = ConvSpec.builder().input(2, 6, 5, 4).kernel(3, 3, 8).padding(Padding.SAME).build();
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, DType.FLOAT32, spec.weightShape());
            ConvPlan plan = Conv2d.plan(engine, spec, w, null);
            long in = spec.inputElements() * 4, out = spec.outputElements() * 4;
            MemorySegment x = arena.allocate(in, 64), y = arena.allocate(out, 64);
            assertThrows(IndexOutOfBoundsException.class, () -> plan.forward(x, y.asSlice(4)));
            assertThrows(IndexOutOfBoundsException.class, () -> plan.forward(x.asSlice(0, in - 4), y));
            assertThrows(IllegalArgumentException.class, () -> plan.forward(x, y.asReadOnly()));
            assertThrows(IllegalArgumentException.class, () -> plan.forward(
                    arena.allocate(in + 8, 64).asSlice(2), y));
            MemorySegment shared = arena.allocate(in + out, 64);
            assertThrows(IllegalArgumentException.class, () -> plan.forward(shared, shared.asSlice(in - 64)));
            Arena closed = Arena.ofConfined();
            MemorySegment gone = closed.allocate(out, 64);
            closed.close();
            assertThrows(IllegalStateException.class, () -> plan.forward(x, gone));
            plan.forward(x, y);
            plan.close();
            plan.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> plan.forward(x, y));
            assertTrue(e.getMessage().startsWith("plan is closed: " + engine), e.getMessage());
        }
    }
}
