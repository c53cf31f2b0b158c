package org.parasol.cli.host;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.parasol.hypervisor.Hypervisor;

/**
 * The host's way to dom0's toolstack: xl lines typed at the hypervisor's console, which dom0
 * reads (deviation 15), and dom0's answers read back from dom0's console. One command at a
 * time: after the command the host types a sentinel, a verb dom0 does not know
 * ({@code xl parasol-sentinel-N}); dom0 carries out its input in order, so every line dom0
 * printed between the command and its refusal of the sentinel is the command's answer.
 *
 * <pre>
 *  host: "xl create name=web ...\nxl parasol-sentinel-7\n" ──► dom0's console input
 *  dom0: "dom0: built d3 (web) from hello ..."              ◄── the answer
 *  dom0: "dom0: xl: command 'parasol-sentinel-7' is not ..." ◄── end of the answer
 * </pre>
 */
final class Dom0Console {
    /** What a sentinel's verb starts with. */
    static final String SENTINEL = "parasol-sentinel-";

    private final Hypervisor hv;
    private final Object lock = new Object();
    private long seq;
    /** The sentinel the command in progress waits for, or null. */
    private String waitingFor;
    private List<String> captured;
    private boolean seen;

    Dom0Console(Hypervisor hv) {
        this.hv = hv;
    }

    /** Whether {@code line} (of dom0's console) is a sentinel's refusal: the host log leaves those out. */
    static boolean isSentinel(String line) {
        return line.contains("'" + SENTINEL);
    }

    /** Every line of dom0's console, from the hypervisor's console thread. */
    void line(String line) {
        synchronized (lock) {
            if (waitingFor == null) {
                return;
            }
            if (line.contains("'" + waitingFor + "'")) {
                seen = true;
                lock.notifyAll();
            } else if (captured.size() < 10_000) {
                captured.add(line);
            }
        }
    }

    /**
     * Types {@code xlLine} and returns dom0's answer, or null if dom0 did not answer within
     * {@code timeoutMillis} (or the console input was full). Only one command runs at a time;
     * callers serialize (the service's toolstack thread).
     */
    List<String> run(String xlLine, long timeoutMillis) throws InterruptedException {
        String sentinel;
        synchronized (lock) {
            sentinel = SENTINEL + (++seq);
            waitingFor = sentinel;
            captured = new ArrayList<>();
            seen = false;
        }
        String input = xlLine + "\nxl " + sentinel + "\n";
        int kept = hv.consoleInput(input);
        synchronized (lock) {
            try {
                if (kept < input.length()) {
                    return null;
                }
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                while (!seen) {
                    long left = until - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
                return captured;
            } finally {
                waitingFor = null;
            }
        }
    }

    /** The first captured line for which {@code test} holds on its index, for callers' scans. */
    static String find(List<String> lines, java.util.function.Predicate<String> test) {
        for (String l : lines) {
            if (test.test(l)) {
                return l;
            }
        }
        return null;
    }

}
