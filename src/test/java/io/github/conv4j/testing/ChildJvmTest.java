package io.github.conv4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The child-JVM runner's deadline fires, kills what it started, and reports; and it reads both pipes at once. */
class ChildJvmTest {
    private static final String CLASS_PATH = System.getProperty("java.class.path");

    @Test
    void childPastItsDeadlineIsKilledWithItsDescendantsAndTheTestFailsWithItsOutput() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/sleep")), "the child starts /bin/sleep, which this OS lacks");
        Duration timeout = Duration.ofSeconds(5);
        long t0 = System.nanoTime();
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> ChildJvm.run(ChildJvm.command(List.of(), CLASS_PATH, Hang.class), timeout));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        String m = e.getMessage();
        assertTrue(m.startsWith("child JVM did not finish within 5.0 s and was killed with its descendants: "), m);
        assertTrue(m.contains(" -cp (") && m.contains(" entries) " + Hang.class.getName()), m);
        assertTrue(m.contains("\nstderr:\nhanging now\n"), m);
        assertTrue(took.compareTo(timeout.plusSeconds(5)) < 0, "took " + took + ": " + m);
        for (String which : List.of("child", "grandchild")) {
            Matcher pid = Pattern.compile(which + " pid (\\d+)\n").matcher(m);
            assertTrue(pid.find(), m);
            Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(pid.group(1)));
            if (h.isPresent()) {
                // SIGKILL is prompt, but the kernel takes a moment to reap
                h.get().onExit().completeOnTimeout(h.get(), 5, TimeUnit.SECONDS).join();
                assertFalse(h.get().isAlive(), which + " " + pid.group(1) + " still runs");
            }
        }
    }

    /** More than a pipe holds on stderr before stdout gets a byte: a runner reading one stream at a time stalls. */
    @Test
    void bothStreamsAreReadWhileTheChildWrites() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.command(List.of(), CLASS_PATH, Chatter.class),
                Duration.ofSeconds(30));
        assertEquals(3, r.exitCode(), r.stderr().length() + " bytes on stderr");
        assertEquals("e".repeat(Chatter.BYTES), r.stderr());
        assertEquals("o".repeat(Chatter.BYTES), r.stdout());
    }

    /** Prints its pid and a grandchild's, then never ends. */
    static final class Hang {
        public static void main(String[] args) throws IOException, InterruptedException {
            Process sleep = new ProcessBuilder("/bin/sleep", "600").start();
            System.out.println("child pid " + ProcessHandle.current().pid());
            System.out.println("grandchild pid " + sleep.pid());
            System.out.flush();
            System.err.println("hanging now");
            System.err.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** Writes 1 MiB to stderr, then 1 MiB to stdout, and exits with 3. */
    static final class Chatter {
        static final int BYTES = 1 << 20;

        public static void main(String[] args) {
            write(System.err, 'e');
            write(System.out, 'o');
            System.exit(3);
        }

        private static void write(PrintStream s, char c) {
            byte[] block = new byte[4096];
            Arrays.fill(block, (byte) c);
            for (int i = 0; i < BYTES / block.length; i++) {
                s.write(block, 0, block.length);
            }
            s.flush();
        }
    }
}
