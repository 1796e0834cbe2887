package io.github.conv4j.cli;

import java.io.PrintStream;

/**
 * Progress of a long run on stderr: a bar redrawn in place on a terminal, one line per step otherwise (so
 * logs stay readable).
 */
final class Progress {
    private final PrintStream err;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int done;

    Progress(PrintStream err, int total, boolean terminal) {
        this.err = err;
        this.total = total;
        this.terminal = terminal;
    }

    /** Announces the step that starts now. */
    void step(String what) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (terminal) {
            int width = 30, filled = total == 0 ? width : done * width / total;
            err.printf("\r[%s%s] %d/%d %5.0fs %-40s", "#".repeat(filled), ".".repeat(width - filled), done, total,
                    elapsed, what);
        } else {
            err.printf("[%d/%d %.0fs] %s%n", done + 1, total, elapsed, what);
        }
        err.flush();
        done++;
    }

    /** Ends the bar. */
    void finish() {
        if (terminal) {
            err.printf("\r%s\r", " ".repeat(90));
        }
        err.printf("done: %d steps in %.1f s%n", total, (System.nanoTime() - start) / 1e9);
    }
}
