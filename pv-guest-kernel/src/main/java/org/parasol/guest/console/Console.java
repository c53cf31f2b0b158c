package org.parasol.guest.console;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import org.parasol.guest.pvops.PvOps;

/**
 * The kernel console: text goes out through {@link PvOps#consoleWrite} (Xen's
 * {@code console_io}) one whole line at a time, so lines from different domains never
 * interleave mid-line, and whatever is left unterminated goes out at {@link #flush}, which
 * the kernel calls before every shutdown, crash included.
 *
 * <pre>
 *  print("a") print("b\nc")  ->  write "ab\n" now; "c" waits in the buffer
 *  flush()                  ->  write "c"
 * </pre>
 *
 * <p>A line longer than the buffer ({@value #BUFFER} bytes) is written in buffer-sized pieces.
 * Text is encoded as UTF-8; Xen shows unprivileged domains only printable ASCII, newline
 * and tab.
 *
 * <p>Invariants: used on one vCPU's thread; nothing written is lost before a shutdown.
 */
public final class Console {
    /** Bytes buffered before a partial line is written anyway. */
    public static final int BUFFER = 4096;

    private final PvOps ops;
    private final byte[] buffer = new byte[BUFFER];
    private final MemorySegment segment = MemorySegment.ofArray(buffer);
    private int length;
    private long linesWritten;

    /** A console writing through {@code ops}. */
    public Console(PvOps ops) {
        this.ops = ops;
    }

    /** Appends {@code text}; every completed line is written. */
    public void print(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            buffer[length++] = b;
            if (b == '\n') {
                linesWritten++;
                writeBuffer();
            } else if (length == BUFFER) {
                writeBuffer();
            }
        }
    }

    /** Appends {@code line} and a newline. */
    public void println(String line) {
        print(line + "\n");
    }

    /** Writes whatever is buffered, even without a newline. */
    public void flush() {
        writeBuffer();
    }

    /** Bytes waiting for their line to end. */
    public int buffered() {
        return length;
    }

    /** Lines completed so far. */
    public long linesWritten() {
        return linesWritten;
    }

    private void writeBuffer() {
        if (length == 0) {
            return;
        }
        int n = length;
        length = 0; // an upcall that prints during the write starts a fresh line
        ops.consoleWrite(segment, 0, n);
    }
}
