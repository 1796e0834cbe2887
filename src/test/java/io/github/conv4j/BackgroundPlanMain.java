package io.github.conv4j;

import java.util.Arrays;

/**
 * The first {@code auto} plans of a fresh JVM, for {@link BackgroundPlanTest}: prints one line per fact.
 * {@code small}: a small call while the natives load; {@code large}: a call above the naive limit at once;
 * {@code close}: a plan closed, and the JVM left, while its background plan is made.
 */
public final class BackgroundPlanMain {
    private BackgroundPlanMain() {
    }

    public static void main(String[] args) {
        String mode = args[0];
        ConvSpec spec = mode.equals("large")
                ? ConvSpec.builder().input(2, 20, 20, 32).kernel(3, 3, 32).padding(Padding.SAME).bias(true).build()
                : ConvSpec.builder().input(1, 8, 8, 3).kernel(3, 3, 4).bias(true).relu(true).build();
        float[] x = values(spec.inputElements(), 7), w = values(spec.weightElements(), 5);
        float[] b = values(spec.oc(), 3);
        Tensor wt = Tensor.of(w, spec.weightShape()), bt = Tensor.of(b, spec.oc());
        ConvPlan plan = Conv2d.plan(spec, wt, bt);
        System.out.println("planning " + plan.planning());
        if (mode.equals("close")) {
            plan.close();
            System.out.println("closed");
            return;
        }
        float[] y = new float[(int) spec.outputElements()];
        plan.forward(x, y);
        System.out.println("planning after forward " + plan.planning());
        float[] want = new float[y.length];
        try (ConvPlan naive = Conv2d.plan(Conv2d.NAIVE, spec, wt, bt)) {
            naive.forward(x, want);
        }
        // small integers: every engine computes them exactly
        System.out.println("equal to naive " + Arrays.equals(want, y));
        System.out.println("engine " + plan.engine());
        System.out.println("planning after engine " + plan.planning());
        plan.close();
        try (ConvPlan second = Conv2d.plan(spec, wt, bt)) {
            System.out.println("second planning " + second.planning() + " engine " + second.engine());
        }
    }

    private static float[] values(long n, int mod) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = i % mod - mod / 2;
        }
        return v;
    }
}
