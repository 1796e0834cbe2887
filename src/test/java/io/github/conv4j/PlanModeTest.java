package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The plan mode's names, and the settings for it and the budget, with their errors. */
class PlanModeTest {
    @Test
    void parsesEitherNameInAnyCaseAndNamesTheChoicesOtherwise() {
        assertEquals(PlanMode.ESTIMATE, PlanMode.parse("estimate"));
        assertEquals(PlanMode.MEASURE, PlanMode.parse(" Measure "));
        assertEquals("measure", PlanMode.MEASURE.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PlanMode.parse("fastest"));
        assertEquals("unknown plan mode: fastest (estimate or measure)", e.getMessage());
    }

    @Test
    void settingsRefuseABudgetOutsideItsRangeAndANullMode() {
        double budget = Settings.planBudgetSeconds();
        PlanMode mode = Settings.planMode();
        try {
            for (double bad : new double[] {-0.1, 3600.5, Double.NaN}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Settings.setPlanBudgetSeconds(bad));
                assertEquals("plan budget must be in [0, 3600] seconds: " + bad, e.getMessage());
            }
            assertEquals(budget, Settings.planBudgetSeconds(), "unchanged by refused values");
            Settings.setPlanBudgetSeconds(0);
            assertEquals(0, Settings.planBudgetSeconds());
            NullPointerException npe = assertThrows(NullPointerException.class, () -> Settings.setPlanMode(null));
            assertEquals("mode", npe.getMessage());
            Settings.setPlanMode(PlanMode.MEASURE);
            assertEquals(PlanMode.MEASURE, Settings.planMode());
        } finally {
            Settings.setPlanBudgetSeconds(budget);
            Settings.setPlanMode(mode);
        }
    }
}
