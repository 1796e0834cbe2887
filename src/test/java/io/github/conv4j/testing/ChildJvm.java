package io.github.conv4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A JVM that a test starts and waits for: stdout and stderr are each read on a thread of their own as the child
 * writes them, so a full pipe cannot stall it; and a child that misses its deadline is killed with everything it
 * started, and the test fails with the deadline and what the child printed, instead of hanging until the build's
 * fork limit.
 */
public final class ChildJvm {
    /** How long to wait for a killed child to be gone and for its output to be read to the end. */
    private static final Duration AFTERMATH = Duration.ofSeconds(10);

    private ChildJvm() {
    }

    /** What a child that finished in time left behind. */
    public record Result(int exitCode, String stdout, String stderr, Duration elapsed) {

        /** Both streams, labelled, for a failure message. */
        public String output() {
            return "stdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /** The {@code java} launcher of this JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * This JVM's flags that the natives and the Vector API need ({@code --enable-native-access},
     * {@code --add-modules} in either of its forms), to hand on to a child.
     */
    public static List<String> nativeFlags() {
        List<String> flags = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < flags.size(); i++) {
            String f = flags.get(i);
            if (f.startsWith("--enable-native-access") || f.startsWith("--add-modules=")) {
                kept.add(f);
            } else if (f.equals("--add-modules") && i + 1 < flags.size()) {
                kept.add(f);
                kept.add(flags.get(++i));
            }
        }
        return kept;
    }

    /** {@code java FLAGS -cp CLASS_PATH MAIN ARGS}, with this JVM's launcher. */
    public static List<String> command(List<String> flags, String classPath, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", classPath, main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Runs {@code command} with an empty stdin and returns its exit code and output once it ends; fails the
     * calling test if it has not ended within {@code timeout}, after killing it and its descendants.
     */
    public static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        return run(command, java.util.Map.of(), timeout);
    }

    /** {@link #run(List, Duration)} with {@code environment} added to this JVM's environment. */
    public static Result run(List<String> command, java.util.Map<String, String> environment, Duration timeout)
            throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process p = builder.start();
        try {
            p.getOutputStream().close();
            Drain out = new Drain(p.getInputStream(), "stdout"), err = new Drain(p.getErrorStream(), "stderr");
            boolean finished = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            if (!finished) {
                kill(p);
            }
            String stdout = out.text(), stderr = err.text();
            if (!finished) {
                fail("child JVM did not finish within " + seconds(timeout) + " s and was killed with its"
                        + " descendants: " + shown(command) + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
            }
            return new Result(p.exitValue(), stdout, stderr, elapsed);
        } finally {
            // whatever went wrong here (an interrupt, a failed read), no child outlives the test
            if (p.isAlive()) {
                kill(p);
            }
        }
    }

    /** The command as one line, with the class path (long, and the same for every child) as its entry count. */
    private static String shown(List<String> command) {
        List<String> shown = new ArrayList<>(command);
        int cp = shown.indexOf("-cp");
        if (cp >= 0 && cp + 1 < shown.size()) {
            shown.set(cp + 1, "(" + shown.get(cp + 1).split(File.pathSeparator).length + " entries)");
        }
        return String.join(" ", shown);
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }

    private static void kill(Process p) throws InterruptedException {
        // listed first: once the child is dead its descendants are orphans and no longer listed as such
        List<ProcessHandle> descendants = p.descendants().toList();
        p.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        p.waitFor(AFTERMATH.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One stream of the child, read to its end on a daemon thread. */
    private static final class Drain {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final Thread thread;
        private final String name;
        private volatile IOException failure;

        Drain(InputStream in, String name) {
            this.name = name;
            thread = Thread.ofPlatform().daemon().name("child " + name).start(() -> {
                try (in) {
                    in.transferTo(bytes);
                } catch (IOException e) {
                    failure = e;
                }
            });
        }

        /**
         * What the child wrote, once the stream has ended (or {@link #AFTERMATH} has passed); a failed read is
         * told at the end rather than thrown, so that whatever was read still reaches the failure message.
         */
        String text() throws InterruptedException {
            thread.join(AFTERMATH);
            String text = bytes.toString(StandardCharsets.UTF_8);
            return failure == null ? text : text + "\n[reading the child's " + name + " failed: " + failure + "]";
        }
    }
}
