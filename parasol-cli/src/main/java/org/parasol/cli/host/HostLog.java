package org.parasol.cli.host;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's log: what {@code parasol dmesg} shows. Hypervisor and dom0 lines go here, to a
 * file and to a bounded ring of the last {@value #KEEP} lines, never to the guests' consoles;
 * with {@code --verbose} they go to the host's standard output too. Thread-safe.
 */
public final class HostLog {
    /** Lines kept for dmesg. */
    public static final int KEEP = 10_000;

    private final String[] ring = new String[KEEP];
    private long written;
    private final BufferedWriter file;
    private final PrintStream echo;

    /**
     * A log writing to {@code file} (appended; null: none) and, when {@code echo} is not null,
     * to it as well.
     */
    public HostLog(Path file, PrintStream echo) throws IOException {
        this.file = file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        this.echo = echo;
    }

    /** One line, stamped with the wall clock. */
    public synchronized void line(String line) {
        String stamped = "[" + Instant.now() + "] " + line;
        ring[(int) (written++ % KEEP)] = stamped;
        if (file != null) {
            try {
                file.write(stamped);
                file.newLine();
                file.flush();
            } catch (IOException e) {
                // the ring still has it; a full disk must not stop the host
            }
        }
        if (echo != null) {
            echo.println(line);
        }
    }

    /** The last {@code n} lines kept (all of them for {@code n <= 0}), oldest first. */
    public synchronized List<String> last(int n) {
        long kept = Math.min(written, KEEP);
        long take = n <= 0 ? kept : Math.min(kept, n);
        List<String> out = new ArrayList<>((int) take);
        for (long i = written - take; i < written; i++) {
            out.add(ring[(int) (i % KEEP)]);
        }
        return out;
    }

    /** Closes the file. */
    public synchronized void close() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // going away
            }
        }
    }
}
