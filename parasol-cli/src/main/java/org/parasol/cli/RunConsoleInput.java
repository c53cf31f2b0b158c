package org.parasol.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.ConsoleRing;
import org.parasol.hypervisor.domain.Domain;

/**
 * {@code parasol run --console-input}: standard input typed at the run's first guest, as
 * {@code parasol console} types at a host's domain — into its PV console ring, or a native
 * kernel's COM1 ({@link Hypervisor#consoleInput}). One daemon thread reads the input and hands
 * it on; what the guest has no room for yet is offered again every 10 ms, and meanwhile no more
 * is read, so the pipe holds what waits (the reader is the run's, never a hypervisor thread).
 * Input ends at its end, when the domain goes, or when the run ends.
 *
 * <pre>
 *  stdin ─► read (1 KiB) ─► Hypervisor.consoleInput(first guest) ─┬─ all taken: read on
 *                                                                   └─ 0: sleep 10 ms, offer the rest again
 * </pre>
 */
final class RunConsoleInput {
    private final Hypervisor hv;
    private final List<Domain> created;
    private final InputStream in;
    private volatile boolean ended;
    private Thread thread;

    RunConsoleInput(Hypervisor hv, List<Domain> created, InputStream in) {
        this.hv = hv;
        this.created = created;
        this.in = in;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("parasol-run-console-input").start(this::run);
    }

    /** The run is over: the thread stops at its next step (a read already blocked stays, as a daemon). */
    void stop() {
        ended = true;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        try {
            Domain d = firstGuest();
            if (d == null) {
                return;
            }
            byte[] buf = new byte[1024];
            int n;
            while (!ended && (n = in.read(buf)) > 0) {
                int off = 0;
                while (off < n) {
                    int got = hv.consoleInput(d, buf, off, n - off);
                    if (got < 0 || ended) {
                        return; // the domain is going, has no console, or broke its ring
                    }
                    off += got;
                    ConsoleRing ring = d.uart() == null ? d.consoleRing() : null;
                    if (ring != null) {
                        ring.raiseIfOwed();
                    }
                    if (off < n) {
                        Thread.sleep(10);
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            // the input closed, or the run ended
        }
    }

    private Domain firstGuest() throws InterruptedException {
        while (!ended) {
            if (!created.isEmpty()) {
                return created.get(0); // the list only grows
            }
            Thread.sleep(10);
        }
        return null;
    }
}
