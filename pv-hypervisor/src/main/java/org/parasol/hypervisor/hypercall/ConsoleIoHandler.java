package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.E2BIG;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * console_io (hypercall 18): {@code (cmd, count, buffer)}.
 *
 * <ul>
 *   <li>CONSOLEIO_write (0): appends {@code count} bytes at {@code buffer} to the domain's
 *       console. For an unprivileged domain only printable characters, newline and tab are
 *       kept. Returns 0; -EFAULT for a bad buffer (nothing is written then).</li>
 *   <li>CONSOLEIO_read (1): privileged domains only (-EPERM otherwise); reads up to
 *       {@code count} bytes of host console input (-E2BIG beyond INT_MAX); returns the
 *       number read.</li>
 * </ul>
 */
final class ConsoleIoHandler implements HypercallHandler {
    /** Most bytes one write accepts, as Xen's guest console ring bounds it. */
    static final int MAX_WRITE = 64 * 1024;
    private static final int CHUNK = 4096;

    @Override
    public long call(Vcpu v, long cmd, long count, long buffer, long a4, long a5) {
        return switch ((int) cmd) {
            case ConsoleIo.WRITE -> write(v, count, buffer);
            case ConsoleIo.READ -> read(v, count, buffer);
            default -> -ENOSYS;
        };
    }

    private static long write(Vcpu v, long count, long buffer) {
        if (count < 0 || count > MAX_WRITE) {
            return -E2BIG;
        }
        if (count == 0) {
            return 0;
        }
        byte[] bytes = new byte[(int) count];
        MemorySegment dst = MemorySegment.ofArray(bytes);
        for (long done = 0; done < count; done += CHUNK) {
            long n = Math.min(CHUNK, count - done);
            if (!v.mmu().copyFromGuest(buffer + done, dst, done, n)) {
                return -EFAULT;
            }
        }
        int len = bytes.length;
        if (!v.domain().privileged()) {
            len = 0;
            for (byte b : bytes) {
                if ((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t') {
                    bytes[len++] = b;
                }
            }
        }
        v.domain().console().write(bytes, 0, len);
        return 0;
    }

    private static long read(Vcpu v, long count, long buffer) {
        if (!v.domain().privileged()) {
            return -EPERM;
        }
        if (count < 0 || count > Integer.MAX_VALUE) {
            return -E2BIG;
        }
        byte[] in = v.domain().host().takeConsoleInput((int) Math.min(count, CHUNK));
        if (in.length == 0) {
            return 0;
        }
        if (!v.mmu().copyToGuest(MemorySegment.ofArray(in), 0, buffer, in.length)) {
            return -EFAULT;
        }
        return in.length;
    }

}
