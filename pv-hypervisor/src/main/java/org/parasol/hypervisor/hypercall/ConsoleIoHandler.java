package org.parasol.hypervisor.hypercall;

import static org.parasol.hypercall.Errno.E2BIG;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypervisor.domain.Vcpu;

/**
 * console_io (hypercall 18): {@code (cmd, uint count, buffer)}, in {@code do_console_io}'s
 * order: the permission check comes first. Xen's default policy lets only privileged domains
 * use the console; Parasol, like a Xen built with verbose debugging, also lets every domain
 * write to its own console. So an unprivileged domain gets -EPERM for every command but
 * CONSOLEIO_write, before the command is looked at.
 *
 * <ul>
 *   <li>CONSOLEIO_write (0): appends {@code count} bytes at {@code buffer} to the domain's
 *       console, one chunk at a time as {@code guest_console_write} does: a chunk that cannot
 *       be read is -EFAULT (chunks before it were written), and a long write is continued
 *       between chunks when the vCPU must yield. For an unprivileged domain only printable
 *       characters, newline and tab are kept. Returns 0.</li>
 *   <li>CONSOLEIO_read (1): privileged domains only; {@code count} beyond INT_MAX is -E2BIG;
 *       reads up to {@code count} bytes of host console input and returns the number read.
 *       Input leaves the host's queue only once it is in the guest's buffer, so a read that
 *       faults (-EFAULT) loses nothing.</li>
 * </ul>
 */
final class ConsoleIoHandler implements HypercallHandler {

    @Override
    public long call(Vcpu v, long cmd, long count, long buffer, long a4, long a5) {
        int c = (int) cmd;
        if (!v.domain().privileged() && c != ConsoleIo.WRITE) {
            return -EPERM; // xsm_console_io
        }
        long n = count & 0xFFFF_FFFFL; // unsigned int count
        return switch (c) {
            case ConsoleIo.WRITE -> write(v, n, buffer);
            case ConsoleIo.READ -> read(v, n, buffer);
            default -> -ENOSYS;
        };
    }

    private static long write(Vcpu v, long count, long buffer) {
        GuestArgs a = GuestArgs.of(v);
        byte[] chunk = a.consoleChunk;
        boolean filter = !v.domain().privileged();
        long done = 0;
        while (done < count) {
            // A chunk weighs as much as a preemption interval's worth of entries elsewhere.
            if (done > 0 && v.preemptCheck(done / GuestArgs.CONSOLE_CHUNK * Vcpu.PREEMPT_CHECK_INTERVAL)) {
                v.setContinuation(ConsoleIo.WRITE, count - done, buffer + done, 0, 0);
                return Vcpu.CONTINUATION;
            }
            int n = (int) Math.min(GuestArgs.CONSOLE_CHUNK, count - done);
            if (!a.inConsoleChunk(v, buffer + done, n)) {
                return -EFAULT;
            }
            int len = n;
            if (filter) {
                len = 0;
                for (int i = 0; i < n; i++) {
                    byte b = chunk[i];
                    if ((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t') {
                        chunk[len++] = b;
                    }
                }
            }
            v.domain().console().write(chunk, 0, len);
            done += n;
        }
        return 0;
    }

    private static long read(Vcpu v, long count, long buffer) {
        if (count > Integer.MAX_VALUE) {
            return -E2BIG;
        }
        int max = (int) Math.min(count, GuestArgs.CONSOLE_CHUNK);
        return v.domain().host().readConsoleInput(max,
                input -> v.mmu().copyToGuest(MemorySegment.ofArray(input), 0, buffer, input.length) ? input.length : -EFAULT);
    }
}
