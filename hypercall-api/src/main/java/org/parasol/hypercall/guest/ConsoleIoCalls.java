package org.parasol.hypercall.guest;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.ConsoleIo;

/**
 * {@code console_io(cmd, count, buffer)} (hypercall 18): the hypervisor's own console, the
 * emergency channel Mini-OS's {@code printk} falls back to before the PV console ring is up.
 *
 * <p>{@code CONSOLEIO_write} from a non-hardware domain shows only printable characters and
 * may be line-buffered; {@code CONSOLEIO_read} reads the hypervisor's serial input and is
 * normally only for the hardware domain.
 */
public final class ConsoleIoCalls {
    private final Cpu cpu;
    private final ArgumentPage page;

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public ConsoleIoCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code CONSOLEIO_write} of {@code count} bytes the caller placed at {@code bufferVa}.
     *
     * @return 0, or {@code -EFAULT} for an unreadable buffer, {@code -EPERM} if the domain
     *     may not use the hypervisor console
     */
    public long write(long bufferVa, int count) {
        return cpu.hypercall(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, count, bufferVa);
    }

    /**
     * {@code CONSOLEIO_write} of {@code length} bytes of {@code bytes} from {@code offset},
     * sent through the argument page in as many calls as the free space requires.
     *
     * @return 0, or the first {@code -errno}
     */
    public long write(MemorySegment bytes, long offset, long length) {
        Objects.checkFromIndexSize(offset, length, bytes.byteSize());
        long chunk = page.available();
        if (chunk <= 0 && length > 0) {
            throw new IllegalStateException("argument page exhausted");
        }
        long off = page.push(chunk);
        try {
            GuestMemory memory = cpu.memory();
            for (long done = 0; done < length; ) {
                long n = Math.min(chunk, length - done);
                MemorySegment.copy(bytes, offset + done, page.scratch(), off, n);
                page.copyIn(memory, off, n);
                long rc = write(page.address(off), (int) n);
                if (rc < 0) {
                    return rc;
                }
                done += n;
            }
            return 0;
        } finally {
            page.pop(off);
        }
    }

    /** {@code CONSOLEIO_write} of {@code text} as ASCII (other characters become {@code '?'}). */
    public long write(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return write(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    /**
     * {@code CONSOLEIO_read} of up to {@code count} bytes into the guest buffer at
     * {@code bufferVa}.
     *
     * @return bytes read (0 if none are waiting), or {@code -E2BIG} for a count above
     *     {@code INT_MAX}, {@code -EPERM} for a domain not allowed to read
     */
    public long read(long bufferVa, int count) {
        return cpu.hypercall(Hypercall.CONSOLE_IO, ConsoleIo.READ, count, bufferVa);
    }

    /**
     * {@code CONSOLEIO_read} of up to {@code length} bytes into {@code dst} at {@code offset}
     * through the argument page (at most its free space per call).
     *
     * @return bytes read, or {@code -errno}
     */
    public long read(MemorySegment dst, long offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.byteSize());
        int n = (int) Math.min(length, page.available());
        long off = page.push(n);
        try {
            GuestMemory memory = cpu.memory();
            long rc = read(page.address(off), n);
            if (rc > 0) {
                long got = Math.min(rc, n);
                page.copyOut(memory, off, got);
                MemorySegment.copy(page.scratch(), off, dst, offset, got);
            }
            return rc;
        } finally {
            page.pop(off);
        }
    }
}
