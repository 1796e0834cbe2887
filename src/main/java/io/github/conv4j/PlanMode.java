package io.github.conv4j;

import java.util.Locale;

/**
 * How {@code auto} chooses an engine for a spec ({@link Conv2d#plan(String, ConvSpec, Tensor, Tensor, PlanMode)},
 * or {@value Settings#PLAN} for every plan).
 */
public enum PlanMode {
    /**
     * The default: no timing. A {@link Wisdom} entry for the spec and thread budget if there is one, else the first
     * engine in {@link Settings#engineOrder()} that accepts the spec.
     */
    ESTIMATE("estimate"),
    /**
     * Times every engine found that is available and accepts the spec (at its accuracy level), listed in
     * {@link Settings#engineOrder()} or not, on the caller's weights and a synthetic input, for about
     * {@link Settings#planBudgetSeconds()}; checks each one's output at a few hundred positions against sums
     * computed directly from the definition, and against the first one's everywhere; and plans on the fastest. The
     * choice goes into {@link Wisdom}, and a spec already there is not timed again.
     */
    MEASURE("measure");

    private final String label;

    PlanMode(String label) {
        this.label = label;
    }

    /** The name the command line and properties use: {@code estimate} or {@code measure}. */
    @Override
    public String toString() {
        return label;
    }

    /**
     * Parses {@code estimate} or {@code measure}, any case.
     *
     * @throws IllegalArgumentException for any other name
     */
    public static PlanMode parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "estimate" -> ESTIMATE;
            case "measure" -> MEASURE;
            default -> throw new IllegalArgumentException("unknown plan mode: " + name + " (estimate or measure)");
        };
    }
}
