package io.github.conv4j.testing;

import io.github.conv4j.FuzzMain;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code FuzzMain} in child JVMs: a crash is a finding (the seed it hit, the exit status), after which the
 * search goes on in a new JVM from the next seed.
 */
public final class ChildFuzz {
    private ChildFuzz() {
    }


    /** A crash: the seed whose spec was running and how the child ended. */
    public record Crash(long seed, int exitStatus, String tail) {
    }

    /** What a run found. */
    public record Result(String engine, int threads, RandomSpecs.Profile profile, long firstSeed, long count, long ran,
            long declined, List<String> failures, List<Crash> crashes) {
        /** One line for logs and result files. */
        public String summary() {
            return String.format("fuzz %s, %d threads, %s specs, seeds %d..%d: %d agree with naive, %d declined,"
                    + " %d wrong, %d crashes", engine, threads, profile.name().toLowerCase(), firstSeed,
                    firstSeed + count - 1, ran - failures.size() - crashes.size(), declined, failures.size(),
                    crashes.size());
        }
    }

    /**
     * Fuzzes {@code engine} on seeds {@code first .. first+count-1} at {@code threads} threads.
     *
     * <p>A child JVM that outlives {@code timeoutSeconds} is killed and fails the calling test with its output.
     */
    public static Result run(String engine, int threads, RandomSpecs.Profile profile, long first, long count,
            long timeoutSeconds) throws Exception {
        long end = first + count, next = first, ran = 0, declined = 0;
        List<String> failures = new ArrayList<>();
        List<Crash> crashes = new ArrayList<>();
        while (next < end) {
            List<String> flags = new ArrayList<>(List.of("-Xmx1g", "-XX:-CreateCoredumpOnCrash",
                    "-XX:ErrorFile=/dev/null", "-Dconv4j.thread.min.flops=0"));
            flags.addAll(ChildJvm.nativeFlags());
            ChildJvm.Result child = ChildJvm.run(ChildJvm.command(flags, System.getProperty("java.class.path"),
                    FuzzMain.class, engine, Integer.toString(threads), profile.name(), Long.toString(next),
                    Long.toString(end - next)), Duration.ofSeconds(timeoutSeconds));
            String out = child.stdout();
            long last = -1, specs = 0;
            boolean done = false;
            for (String line : out.lines().toList()) {
                if (line.startsWith("spec ")) {
                    last = Long.parseLong(line.substring(5).trim());
                    specs++;
                } else if (line.startsWith("fail ")) {
                    failures.add(line.substring(5));
                } else if (line.startsWith("done ")) {
                    done = true;
                }
            }
            ran += specs;
            if (done && child.exitCode() == 0) {
                declined += end - next - specs;
                break;
            }
            if (last < 0) {
                throw new IllegalStateException("fuzz child for " + engine + " exited " + child.exitCode()
                        + " before its first spec:\n" + tail(child.output()));
            }
            // every seed the child passed over without a "spec" line was declined
            declined += last + 1 - next - specs;
            crashes.add(new Crash(last, child.exitCode(), tail(child.output())));
            next = last + 1;
        }
        return new Result(engine, threads, profile, first, count, ran, declined, failures, crashes);
    }

    private static String tail(String out) {
        List<String> lines = out.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }
}
