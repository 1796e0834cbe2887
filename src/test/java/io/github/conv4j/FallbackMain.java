package io.github.conv4j;

/**
 * Run in a JVM whose class path lacks the native jars (by {@link MissingNativesTest}): prints each engine's
 * availability, what {@code auto} chooses and computes, what forcing each engine gives, and what
 * {@link Conv2d#whyNot} says of each.
 */
public final class FallbackMain {
    private FallbackMain() {
    }

    public static void main(String[] args) {
        for (var e : Conv2d.engines()) {
            System.out.println("engine " + e.name() + " " + (e.probe().available() ? "available" : "unavailable")
                    + ": " + e.probe().reason());
        }
        ConvSpec spec = ConvSpec.builder().input(1, 3, 3, 1).kernel(2, 2, 1).build();
        for (int i = 0; i < 3; i++) {   // auto warns once per engine, however often it selects
            try (ConvPlan plan = Conv2d.plan(spec, Tensor.of(new float[] {1, 1, 1, 1}, spec.weightShape()), null)) {
                float[] y = new float[4];
                plan.forward(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, y);
                System.out.println("auto " + plan.engine() + " " + java.util.Arrays.toString(y));
            }
        }
        for (var e : Conv2d.engines()) {
            try {
                Conv2d.plan(e.name(), spec, Tensor.of(new float[4], spec.weightShape()), null).close();
                System.out.println("forced " + e.name() + " ok");
            } catch (RuntimeException ex) {
                System.out.println("forced " + e.name() + " " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            }
            System.out.println("whynot " + e.name() + " " + Conv2d.whyNot(e.name(), spec).orElse("-"));
        }
    }
}
