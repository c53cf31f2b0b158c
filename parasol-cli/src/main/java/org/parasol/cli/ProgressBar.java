package org.parasol.cli;

import java.io.PrintStream;
import java.util.Locale;

import org.parasol.control.v1.Progress;

/**
 * The CLI's progress bar for the host's long operations ({@code Progress} items): one line on
 * a terminal's standard error, redrawn in place, ended with a newline when the operation ends.
 *
 * <pre>
 *  memory        [##############----------------]  47%  123904/262144 pages
 * </pre>
 *
 * <p>Shown only when standard error is a terminal and the operation has taken longer than
 * {@link #DELAY_NANOS} (a quick create prints nothing extra), as curl and apt show theirs.
 */
final class ProgressBar {
    /** How long an operation runs before its bar appears. */
    static final long DELAY_NANOS = 300_000_000L;
    /** Cells between the brackets. */
    static final int WIDTH = 30;

    private final PrintStream err;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private boolean drawn;

    ProgressBar(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** A bar on {@code err} if the process has a terminal. */
    static ProgressBar forTerminal(PrintStream err) {
        return new ProgressBar(err, System.console() != null && System.console().isTerminal());
    }

    /** Shows {@code p} (once the delay has passed). */
    void update(Progress p) {
        if (!terminal || System.nanoTime() - start < DELAY_NANOS) {
            return;
        }
        err.print("\r" + render(p.getStage(), p.getDone(), p.getTotal(), p.getUnit()) + "\u001b[K");
        err.flush();
        drawn = true;
    }

    /** Ends the line if a bar was drawn. */
    void finish() {
        if (drawn) {
            err.println();
            drawn = false;
        }
    }

    /** One bar: the stage, the cells, the percentage and the counts ({@code total} 0: unknown). */
    static String render(String stage, long done, long total, String unit) {
        String label = String.format(Locale.ROOT, "%-14s", stage.length() > 14 ? stage.substring(0, 14) : stage);
        if (total <= 0) {
            return label + " " + done + " " + unit;
        }
        long d = Math.max(0, Math.min(done, total));
        int cells = (int) (d * WIDTH / total);
        int percent = (int) (d * 100 / total);
        return label + " [" + "#".repeat(cells) + "-".repeat(WIDTH - cells) + "] "
                + String.format(Locale.ROOT, "%3d%%", percent) + "  " + d + "/" + total + " " + unit;
    }
}
