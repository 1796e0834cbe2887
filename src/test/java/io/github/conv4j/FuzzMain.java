package io.github.conv4j;

import io.github.conv4j.testing.AgainstNaive;
import io.github.conv4j.testing.RandomSpecs;

/**
 * Fuzzes one engine against naive in a JVM of its own, so that a native crash ends this process, not the test
 * run: {@code FuzzMain ENGINE THREADS PROFILE FIRST_SEED COUNT}. Run with {@code -Dconv4j.thread.min.flops=0}
 * so that even small specs get all {@code THREADS} (a crash may depend on how the work is split).
 *
 * <p>Prints {@code spec SEED} before each spec (flushed, so the spec a crash hit is known), {@code fail SEED
 * MESSAGE} for a result off naive or an exception, and {@code done RAN DECLINED FAILED} at the end.
 */
public final class FuzzMain {
    private FuzzMain() {
    }

    public static void main(String[] args) {
        String engine = args[0];
        Settings.setThreads(Integer.parseInt(args[1]));
        RandomSpecs.Profile profile = RandomSpecs.Profile.valueOf(args[2]);
        long first = Long.parseLong(args[3]);
        long count = Long.parseLong(args[4]);
        var candidate = Conv2d.engines().stream().filter(e -> e.name().equals(engine)).findFirst().orElseThrow();
        long ran = 0, declined = 0, failed = 0;
        for (long seed = first; seed < first + count; seed++) {
            ConvSpec spec = profile.spec(seed);
            if (candidate.declines(spec).isPresent()) {
                declined++;
                continue;
            }
            System.out.println("spec " + seed);
            System.out.flush();
            ran++;
            try {
                AgainstNaive.check(engine, spec, seed, (seed & 1) == 0);
            } catch (AssertionError e) {
                failed++;
                System.out.println("fail " + seed + " " + e.getMessage().replace('\n', ' '));
            }
        }
        System.out.println("done " + ran + " " + declined + " " + failed);
        System.out.flush();
    }
}
