package io.github.conv4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@link Idle}'s waiting, on a made-up clock where the other threads' CPU use per step is given. */
class IdleTest {
    private static final long STEP = 5_000_000;

    /**
     * A clock where each sleep lasts 5 ms and the other threads use {@code busy[i]} of a core in step i, for a call
     * that leaves {@code spare} cores free.
     */
    private static final class Scripted {
        final double[] busy;
        int spare;
        long wall, others;
        int steps;

        Scripted(double... busy) {
            this.busy = busy;
        }

        Scripted spare(int cores) {
            spare = cores;
            return this;
        }

        long await(long maxNs) {
            return Idle.await(maxNs, spare, () -> others, () -> wall, () -> {
                double b = steps < busy.length ? busy[steps] : busy[busy.length - 1];
                steps++;
                wall += STEP;
                others += (long) (b * STEP);
                return true;
            });
        }
    }

    @Test
    void waitsUntilTwoQuietStepsInARow() {
        Scripted s = new Scripted(1.0, 1.0, 0.8, 0.1, 0.9, 0.0, 0.2, 1.0);
        // the quiet step after the third is alone; the sixth and seventh are the first two in a row
        assertEquals(7 * STEP, s.await(1_000_000_000L));
    }

    @Test
    void aBusyProcessIsWaitedForNoLongerThanAsked() {
        Scripted s = new Scripted(1.0);
        assertEquals(10 * STEP, s.await(50_000_000));
    }

    /**
     * A call that leaves a core free does not wait for another thread busy on it (a compiler thread, for a one-thread
     * forward on two cores), but does for more than that core and a quarter.
     */
    @Test
    void aSpareCoreMayBeBusy() {
        assertEquals(2 * STEP, new Scripted(1.0).spare(1).await(50_000_000));
        assertEquals(4 * STEP, new Scripted(2.0, 1.3, 1.1, 0.5).spare(1).await(50_000_000));
        assertEquals(10 * STEP, new Scripted(1.0).await(50_000_000));
    }

    @Test
    void aQuietProcessCostsTwoSteps() {
        assertEquals(2 * STEP, new Scripted(0.0).await(50_000_000));
    }

    @Test
    void noTimeOrNoClockMeansNoWait() {
        assertEquals(0, Idle.await(0, 1));
        assertEquals(0, new Scripted(1.0).await(-1));
        long[] wall = {0};
        // a clock that fails: back at once, after the one step it took to find out
        assertEquals(STEP, Idle.await(50_000_000, 0, () -> -1, () -> wall[0], () -> {
            wall[0] += STEP;
            return true;
        }));
    }

    @Test
    void theRealClocksWorkOnLinuxWithNativeAccess() {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux"),
                "Idle reads Linux's clock_gettime clocks only");
        Assumptions.assumeTrue(Idle.class.getModule().isNativeAccessEnabled(),
                "Idle needs native access for conv4j, which this JVM does not grant");
        assertTrue(Idle.available());
        long waited = Idle.await(1_000_000_000L, Runtime.getRuntime().availableProcessors());
        assertTrue(waited > 0 && waited < 2_000_000_000L, waited + " ns");
    }
}
