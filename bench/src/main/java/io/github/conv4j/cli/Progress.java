package io.github.conv4j.cli;

import java.io.PrintStream;

/**
 * Progress of a long run on stderr: one line per step with the step count and the time so far. Lines rather
 * than a bar redrawn in place, so logs stay readable and the launcher can filter stderr line by line.
 */
final class Progress {
    private final PrintStream err;
    private final int total;
    private final long start = System.nanoTime();
    private int done;

    Progress(PrintStream err, int total) {
        this.err = err;
        this.total = total;
    }

    /** Announces the step that starts now. */
    void step(String what) {
        done++;
        err.printf("[%d/%d %.0fs] %s%n", done, total, (System.nanoTime() - start) / 1e9, what);
        err.flush();
    }

    /** Says how long the whole run took. */
    void finish() {
        err.printf("done: %d steps in %.1f s%n", total, (System.nanoTime() - start) / 1e9);
    }
}
