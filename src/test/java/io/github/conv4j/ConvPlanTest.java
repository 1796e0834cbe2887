package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The facade's border: tensors and segments that do not fit the spec, lifecycle, and engine names. */
class ConvPlanTest {
    private static final ConvSpec SPEC = ConvSpec.builder().input(1, 4, 4, 2).kernel(3, 3, 3).build();

    private static ConvPlan plan(Arena arena) {
        return Conv2d.plan(Conv2d.NAIVE, SPEC, Tensor.allocate(arena, DType.FLOAT32, SPEC.weightShape()), null);
    }

    @Test
    void undersizedOutputSegment() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            MemorySegment x = arena.allocate(SPEC.inputElements() * 4, 64);
            MemorySegment y = arena.allocate(SPEC.outputElements() * 4 - 4, 64);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> p.forward(x, y));
            assertEquals("y segment too small: 44 bytes < 48 needed for float32 [1, 2, 2, 3]", e.getMessage());
        }
    }

    @Test
    void undersizedInputSegment() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> p.forward(arena.allocate(8), arena.allocate(SPEC.outputElements() * 4)));
            assertEquals("x segment too small: 8 bytes < 128 needed for float32 [1, 4, 4, 2]", e.getMessage());
        }
    }

    @Test
    void undersizedArrays() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> p.forward(new float[32], new float[11]));
            assertEquals("y segment too small: 44 bytes < 48 needed for float32 [1, 2, 2, 3]", e.getMessage());
        }
    }

    @Test
    void aBatchOutsideThePlansIsRefusedNamingBoth() {
        ConvSpec spec = SPEC.toBuilder().input(3, 4, 4, 2).build();
        try (Arena arena = Arena.ofConfined();
                ConvPlan p = Conv2d.plan(Conv2d.NAIVE, spec, Tensor.allocate(arena, DType.FLOAT32, spec.weightShape()),
                        null)) {
            MemorySegment x = arena.allocate(spec.inputElements() * 4), y = arena.allocate(spec.outputElements() * 4);
            for (int batch : new int[] {0, -1, 4}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.forward(x, y, batch));
                assertEquals("batch " + batch + " is outside 1..3 (the plan's mb): make the plan for the largest batch",
                        e.getMessage());
            }
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                    () -> p.forward(Tensor.allocate(arena, DType.FLOAT32, 4, 4, 4, 2),
                            Tensor.allocate(arena, DType.FLOAT32, 4, 2, 2, 3)));
            assertEquals("x shape differs from spec: x [4, 4, 4, 2], spec wants NHWC [3, 4, 4, 2]"
                    + " (a leading dimension from 1 to 3)", big.getMessage());
            IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                    () -> p.forward(Tensor.allocate(arena, DType.FLOAT32, 2, 4, 4, 2),
                            Tensor.allocate(arena, DType.FLOAT32, 1, 2, 2, 3)));
            assertEquals("y shape differs from spec: y [1, 2, 2, 3], spec wants NHWC [2, 2, 2, 3]", mixed.getMessage());
            // a short batch needs only its images: x and y sized for 2 of 3 are enough, and 1 byte less is not
            MemorySegment x2 = arena.allocate(spec.inputElements() / 3 * 2 * 4);
            MemorySegment y2 = arena.allocate(spec.outputElements() / 3 * 2 * 4);
            p.forward(x2, y2, 2);
            IndexOutOfBoundsException small = assertThrows(IndexOutOfBoundsException.class,
                    () -> p.forward(x2, y2.asSlice(1), 2));
            assertEquals("y segment too small: 95 bytes < 96 needed for float32 [2, 2, 2, 3]", small.getMessage());
        }
    }

    @Test
    void readOnlyOutput() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            MemorySegment y = arena.allocate(SPEC.outputElements() * 4).asReadOnly();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.forward(arena.allocate(SPEC.inputElements() * 4), y));
            assertEquals("y segment is read-only", e.getMessage());
        }
    }

    @Test
    void dtypeMismatch() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            Tensor x = Tensor.allocate(arena, DType.FLOAT64, SPEC.inputShape());
            Tensor y = Tensor.allocate(arena, DType.FLOAT32, SPEC.outputShape());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.forward(x, y));
            assertEquals("dtype differs: x is float64, spec is float32", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> p.forward(new double[32], new double[12]));
            assertEquals("dtype differs: arrays are float64, spec is float32", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Conv2d.plan(Conv2d.NAIVE, SPEC,
                    Tensor.allocate(arena, DType.FLOAT64, SPEC.weightShape()), null));
            assertEquals("dtype differs: weights is float64, spec is float32", e.getMessage());
        }
    }

    @Test
    void tensorShapeMismatch() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            Tensor x = Tensor.allocate(arena, DType.FLOAT32, 1, 2, 4, 4);
            Tensor y = Tensor.allocate(arena, DType.FLOAT32, SPEC.outputShape());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.forward(x, y));
            assertEquals("x shape differs from spec: x [1, 2, 4, 4], spec wants NHWC [1, 4, 4, 2]", e.getMessage());
        }
    }

    @Test
    void weightsAndBiasMustMatchTheSpec() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, DType.FLOAT32, 3, 3, 2, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Conv2d.plan(Conv2d.NAIVE, SPEC, w, null));
            assertEquals("weights shape differs from spec: weights [3, 3, 2, 4], spec wants HWIO [3, 3, 2, 3]",
                    e.getMessage());
            Tensor good = Tensor.allocate(arena, DType.FLOAT32, SPEC.weightShape());
            e = assertThrows(IllegalArgumentException.class, () -> Conv2d.plan(Conv2d.NAIVE, SPEC, good,
                    Tensor.allocate(arena, DType.FLOAT32, 3)));
            assertEquals("bias given but spec has no bias: bias [3]", e.getMessage());
            ConvSpec withBias = SPEC.toBuilder().bias(true).build();
            e = assertThrows(IllegalArgumentException.class, () -> Conv2d.plan(Conv2d.NAIVE, withBias, good, null));
            assertEquals("bias is missing: spec has bias, none given", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Conv2d.plan(Conv2d.NAIVE, withBias, good,
                    Tensor.allocate(arena, DType.FLOAT32, 4)));
            assertEquals("bias shape differs from spec: bias [4], spec wants [3]", e.getMessage());
        }
    }

    @Test
    void overlappingInputAndOutput() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            MemorySegment both = arena.allocate(256, 64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.forward(both, both.asSlice(64)));
            assertTrue(e.getMessage().startsWith("x and y overlap: x at 0x"), e.getMessage());
        }
    }

    @Test
    void misalignedSegment() {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            MemorySegment x = arena.allocate(SPEC.inputElements() * 4 + 8, 64).asSlice(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.forward(x, arena.allocate(SPEC.outputElements() * 4, 64)));
            assertTrue(e.getMessage().startsWith("x segment is not aligned to 4 bytes (float32): address 0x"),
                    e.getMessage());
            MemorySegment bytes = MemorySegment.ofArray(new byte[200]).asSlice(1);
            e = assertThrows(IllegalArgumentException.class, () -> p.forward(bytes, arena.allocate(48, 64)));
            assertTrue(e.getMessage().startsWith("x segment is not aligned to 4 bytes"), e.getMessage());
        }
    }

    @Test
    void closedArena() {
        ConvPlan p;
        MemorySegment x;
        try (Arena arena = Arena.ofConfined()) {
            p = plan(arena);
            x = arena.allocate(SPEC.inputElements() * 4);
        }
        try (Arena other = Arena.ofConfined()) {
            MemorySegment y = other.allocate(SPEC.outputElements() * 4);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forward(x, y));
            assertEquals("x segment is not alive: its arena is closed", e.getMessage());
        }
        p.close();
    }

    @Test
    void segmentOfAnotherThread() throws Exception {
        try (Arena arena = Arena.ofConfined(); ConvPlan p = plan(arena)) {
            MemorySegment x = arena.allocate(SPEC.inputElements() * 4);
            MemorySegment y = arena.allocate(SPEC.outputElements() * 4);
            Throwable t = CompletableFuture.runAsync(() -> p.forward(x, y))
                    .handle((v, err) -> err.getCause()).get();
            assertEquals(IllegalStateException.class, t.getClass());
            assertTrue(t.getMessage().startsWith("x segment is confined to another thread"), t.getMessage());
        }
    }

    @Test
    void closeIsIdempotentAndForwardAfterCloseFails() {
        try (Arena arena = Arena.ofConfined()) {
            ConvPlan p = plan(arena);
            p.close();
            p.close();
            assertTrue(p.isClosed());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> p.forward(new float[32], new float[12]));
            assertTrue(e.getMessage().startsWith("plan is closed: naive ConvSpec[NHWC float32"), e.getMessage());
        }
    }

    @Test
    void unknownEngine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2d.engine("fast"));
        assertTrue(e.getMessage().startsWith("unknown engine: fast (engines: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("auto)"), e.getMessage());
    }

    @Test
    void whyNotAcceptsWhatPlansAndRejectsUnknownNames() {
        assertEquals(Optional.empty(), Conv2d.whyNot(Conv2d.NAIVE, SPEC));
        assertEquals(Optional.empty(), Conv2d.whyNot(Conv2d.AUTO, SPEC));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2d.whyNot("fast", SPEC));
        assertTrue(e.getMessage().startsWith("unknown engine: fast (engines: "), e.getMessage());
    }

    @Test
    void tensorSmallerThanItsShape() {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> Tensor.of(new float[5], 2, 3));
        assertEquals("segment too small for tensor: 20 bytes < 24 needed for float32 [2, 3]", e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> Tensor.of(new float[5], 0, 3));
        assertEquals("dimensions must be >= 1: shape [0, 3]", e2.getMessage());
    }

    @Test
    void arrayConveniencesUseAuto() {
        ConvSpec s = ConvSpec.builder().input(1, 2, 2, 1).kernel(2, 2, 1).bias(true).build();
        assertArrayEquals(new float[] {11}, Conv2d.conv2d(s, new float[] {1, 2, 3, 4}, new float[] {1, 1, 1, 1},
                new float[] {1}));
        ConvSpec d = s.toBuilder().dtype(DType.FLOAT64).build();
        assertArrayEquals(new double[] {30}, Conv2d.conv2d(d, new double[] {1, 2, 3, 4}, new double[] {1, 2, 3, 4},
                new double[] {0}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Conv2d.conv2d(s, new float[3], new float[4], new float[1]));
        assertEquals("x length differs from spec: x length=3, spec wants 4", e.getMessage());
    }

    @Test
    void threadsSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.setThreads(-1));
        assertEquals("threads must be >= 0 (0 = all processors): threads=-1", e.getMessage());
        assertTrue(Settings.threads() >= 1);
    }
}
