package dev.satchel.lab;

import java.io.PrintWriter;

/**
 * A progress bar per phase on a terminal (redrawn in place), or a line every five seconds when the
 * output is a file or a pipe, so a log stays readable.
 */
public final class ConsoleProgress implements LabProgress {
    private static final int WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private String phase = "";
    private int seconds;
    private boolean barShown;

    public ConsoleProgress(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public synchronized void phase(String name, int seconds) {
        endBar();
        this.phase = name;
        this.seconds = seconds;
        out.println(name + (seconds > 0 ? " (" + seconds + " s)" : "") + "...");
        out.flush();
    }

    @Override
    public synchronized void tick(int second, long requests, long failed, long anomalies) {
        String figures = String.format(
                "%3d/%d s  %,d requests  %,d failed  %,d anomalies", second, seconds, requests, failed, anomalies);
        if (terminal) {
            int filled = seconds <= 0 ? 0 : Math.min(WIDTH, second * WIDTH / seconds);
            out.print("\r  [" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + figures + "  ");
            barShown = true;
        } else if (second % 5 == 0 || second == seconds) {
            out.println("  " + phase + ": " + figures);
        }
        out.flush();
    }

    @Override
    public synchronized void note(String line) {
        endBar();
        out.println("  " + line);
        out.flush();
    }

    private void endBar() {
        if (barShown) {
            out.println();
            barShown = false;
        }
    }
}
