package io.github.conv4j;

import java.lang.foreign.Arena;

/**
 * Run by {@link WisdomTest} in a fresh JVM: plans {@link #SPEC} through auto and prints the engine and how it was
 * chosen, then the start-up file's summary; exits 3 after printing the exception if planning throws.
 */
public final class WisdomMain {
    static final ConvSpec SPEC = ConvSpec.builder().input(1, 6, 6, 2).kernel(3, 3, 2).padding(Padding.SAME).build();

    private WisdomMain() {
    }

    public static void main(String[] args) {
        try (Arena arena = Arena.ofConfined();
                ConvPlan p = Conv2d.plan(Conv2d.AUTO, SPEC, Tensor.allocate(arena, DType.FLOAT32, SPEC.weightShape()),
                        null)) {
            System.out.println("engine " + p.engine() + ", " + p.howPlanned());
            System.out.println(Wisdom.startupSummary());
        } catch (RuntimeException e) {
            System.out.println(e);
            System.exit(3);
        }
    }
}
