package org.parasol.toolstack.dom0;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;

import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.kernel.Kernel;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.guest.ConsoleIoCalls;

/**
 * dom0 reads the hypervisor's console input, as a Xen dom0 does: {@code VIRQ_CONSOLE} says
 * there is some, {@code CONSOLEIO_read} copies it out. The bytes are cut into lines ({@code \n}
 * or {@code \r} ends one) and each whole line goes to {@code lines}.
 *
 * <p>The input is the host's, and still treated as hostile: a line is at most
 * {@value XlCommand#CREATE_LINE_MAX} bytes of printable ASCII or tab; a longer one, or one with any
 * other byte, is dropped whole (up to its end) and answered with one line through
 * {@code refused}. One event reads at most {@value #BUDGET} bytes and then runs again after
 * dom0's other tasks, so a flood of input cannot keep dom0 from its domains. Reading allocates
 * nothing but the line handed on.
 *
 * <p>Invariants: on dom0's vCPU 0, from its run loop.
 */
final class ConsoleInput implements AutoCloseable {
    /** Bytes one event reads before it lets dom0's other tasks run. */
    static final int BUDGET = 4096;

    private final Kernel k;
    private final ConsoleIoCalls console;
    private final Consumer<String> lines;
    private final Consumer<String> refused;
    private final byte[] chunk = new byte[512];
    private final MemorySegment chunkSegment = MemorySegment.ofArray(chunk);
    private final byte[] line = new byte[XlCommand.CREATE_LINE_MAX];
    private int length;
    /** Why the line being read will be dropped, or null while it is good. */
    private String bad;
    private BoundPort virq;
    private boolean readAgainQueued;

    /** A reader handing each line to {@code lines} and each refusal's answer to {@code refused}. */
    ConsoleInput(Kernel k, Consumer<String> lines, Consumer<String> refused) {
        this.k = Objects.requireNonNull(k, "k");
        this.console = new ConsoleIoCalls(k.cpu(), k.argumentPage());
        this.lines = Objects.requireNonNull(lines, "lines");
        this.refused = Objects.requireNonNull(refused, "refused");
    }

    /** Binds {@code VIRQ_CONSOLE} and reads what is already waiting. */
    void start() {
        virq = k.events().bindVirq(Virq.CONSOLE, k.loop().deferred(p -> read()));
        k.execute(this::read);
    }

    /** Reads up to {@value #BUDGET} bytes of input; more waiting runs again after the other tasks. */
    private void read() {
        if (virq == null || virq.isClosed()) {
            return;
        }
        int taken = 0;
        while (taken < BUDGET) {
            long n = console.read(chunkSegment, 0, chunk.length);
            if (n <= 0) {
                if (n < 0) {
                    refused.accept("CONSOLEIO_read failed (" + n + "); console input stops");
                    close();
                }
                return;
            }
            taken += (int) n;
            for (int i = 0; i < n; i++) {
                if (virq.isClosed()) {
                    return; // a line ended dom0's run: what follows is not read
                }
                take(chunk[i]);
            }
        }
        if (!readAgainQueued) {
            readAgainQueued = true;
            k.execute(() -> {
                readAgainQueued = false;
                read();
            });
        }
    }

    private void take(byte b) {
        if (b == '\n' || b == '\r') {
            if (bad != null) {
                refused.accept(bad);
            } else if (length > 0) {
                lines.accept(new String(line, 0, length, StandardCharsets.US_ASCII));
            }
            length = 0;
            bad = null;
            return;
        }
        if (bad != null) {
            return;
        }
        if (!(b >= 0x20 && b < 0x7f || b == '\t')) {
            bad = String.format("a line with the byte 0x%02x is not read", b & 0xff);
        } else if (length == line.length) {
            bad = "a line longer than " + XlCommand.CREATE_LINE_MAX + " bytes is not read";
        } else {
            line[length++] = b;
        }
    }

    /** Unbinds {@code VIRQ_CONSOLE}; input after it stays in the hypervisor. */
    @Override
    public void close() {
        if (virq != null && !virq.isClosed()) {
            virq.close();
        }
    }
}
