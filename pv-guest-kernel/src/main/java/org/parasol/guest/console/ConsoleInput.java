package org.parasol.guest.console;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Consumer;

import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.XenconsInterface;

/**
 * Console input: the {@code in} half of the PV console ring ({@code xencons_interface}) that the
 * domain builder named in {@code start_info.console.domU}, read as Mini-OS's console front end
 * reads it, and cut into lines by a small line discipline (a terminal in cooked mode does the
 * same for a Linux guest's {@code getty}).
 *
 * <pre>
 *  back end: in[prod & 1023] = byte; in_prod = prod (release); raise the console port
 *  here (on the port's upcall, as a task): read in[cons .. in_prod (acquire)), in_cons = cons (release),
 *           notify the back end that space is free
 *  bytes -> line discipline: CR or LF ends a line; DEL/BS erases a character; Ctrl-C or Ctrl-U
 *           drops the line; other control bytes are dropped; a line stops growing at LINE_MAX
 * </pre>
 *
 * <p>A kernel on emulated hardware has no ring to read: its console is COM1, and its UART
 * driver ({@code org.parasol.guest.x86.UartInput}) is the {@link Source} the same line
 * discipline reads, from its IRQ 4 task, so an application gets its lines the same way in
 * every configuration.
 *
 * <p>The back end is trusted to keep {@code in_prod} within a ring of {@code in_cons}: one that
 * claims more is read as a full ring (the bytes are whatever is there). The terminal on the
 * other side is raw ({@code parasol console} puts it so), so nothing is echoed here: an
 * application that wants an echo prints the line it got. Used on the kernel's vCPU 0 thread.
 */
public final class ConsoleInput {
    /** The longest line handed to the application; bytes beyond it are dropped until CR/LF. */
    public static final int LINE_MAX = 256;

    /** Where the bytes come from when there is no ring: a device driver's receive path. */
    @FunctionalInterface
    public interface Source {
        /** Up to {@code b.length} bytes received since the last call into {@code b}; how many (0: none now). */
        int read(byte[] b);
    }

    /** Bytes one {@link #poll} takes from a {@link Source} at most, so other tasks run between. */
    public static final int SOURCE_BUDGET = 1024;

    private final XenconsInterface ring;
    private final Runnable notifyBackEnd;
    private final Source source;
    private final byte[] chunk;
    private final byte[] line = new byte[LINE_MAX];
    private int length;
    private Consumer<String> onLine = l -> { };
    private long bytesRead;
    private long linesRead;

    /**
     * Input from the console ring in {@code page} (its first {@value XenconsInterface#SIZE}
     * bytes), telling the back end through {@code notifyBackEnd} when it has read.
     */
    public ConsoleInput(SharedBuffer page, Runnable notifyBackEnd) {
        this.ring = new XenconsInterface().wrap(Objects.requireNonNull(page, "page"), 0);
        this.notifyBackEnd = Objects.requireNonNull(notifyBackEnd, "notifyBackEnd");
        this.source = null;
        this.chunk = null;
    }

    /** Input read from {@code source} (a UART driver) whenever {@link #poll} is called. */
    public ConsoleInput(Source source) {
        this.ring = null;
        this.notifyBackEnd = null;
        this.source = Objects.requireNonNull(source, "source");
        this.chunk = new byte[64];
    }

    /** {@code handler} gets each line from now on, without its CR/LF. */
    public void onLine(Consumer<String> handler) {
        this.onLine = Objects.requireNonNull(handler, "handler");
    }

    /**
     * Reads what the back end has produced (the console port's handler calls it), or what the
     * source has received (at most {@value #SOURCE_BUDGET} bytes); returns how many bytes it read.
     */
    public int poll() {
        if (source != null) {
            int total = 0;
            int n;
            while (total < SOURCE_BUDGET && (n = source.read(chunk)) > 0) {
                for (int i = 0; i < n; i++) {
                    accept(chunk[i]);
                }
                total += n;
            }
            return total;
        }
        int cons = ring.inConsAcquire();
        int prod = ring.inProdAcquire();
        int avail = prod - cons;
        if (avail <= 0) {
            return 0;
        }
        if (avail > XenconsInterface.IN_SIZE) {
            avail = XenconsInterface.IN_SIZE;
        }
        for (int i = 0; i < avail; i++) {
            accept((byte) ring.in(XenconsInterface.inSlot(cons + i)));
        }
        ring.inConsRelease(cons + avail);
        notifyBackEnd.run();
        return avail;
    }

    /** Bytes read from the ring so far. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Lines handed to the application so far. */
    public long linesRead() {
        return linesRead;
    }

    private void accept(byte b) {
        bytesRead++;
        switch (b) {
            case '\r', '\n' -> {
                String text = new String(line, 0, length, StandardCharsets.UTF_8);
                length = 0;
                linesRead++;
                onLine.accept(text);
            }
            case 0x7f, 0x08 -> {
                if (length > 0) {
                    length--;
                }
            }
            case 0x03, 0x15 -> length = 0;
            default -> {
                if ((b & 0xff) >= 0x20 && length < LINE_MAX) {
                    line[length++] = b;
                }
            }
        }
    }
}
