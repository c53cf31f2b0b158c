package org.parasol.hypercall.abi;

/**
 * Xen console sub-commands ({@code CONSOLEIO_*}) of {@code console_io(cmd, count, buffer)},
 * mirrors {@code public/xen.h}.
 */
public final class ConsoleIo {
    private ConsoleIo() {
    }

    /** {@code CONSOLEIO_write}: write {@code count} bytes to Xen's console. */
    public static final int WRITE = 0;
    /** {@code CONSOLEIO_read}: read up to {@code count} bytes of Xen's serial input. */
    public static final int READ = 1;
}
