package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;

/**
 * Attack class 9, "an unprivileged image calls dom0's doors": the grant read blkback uses for
 * indirect pages ({@link GuestMemory#readGrant}), the one host-I/O door whose signature names no
 * {@code FileChannel} (an image that names one is refused at load by the rule "no host files"),
 * aimed at dom0's grant 0, its own domain, a page it does not have, and a negative length; and
 * asynchronous grant I/O's reap ({@link GuestMemory#grantIoReap}), which names no
 * {@code FileChannel} either (its submit and cancel do, and are refused at load).
 * Expected: each call refused with {@link UnsupportedOperationException} on the guest's own
 * thread before an argument is looked at; the image counts the refusals and powers off.
 */
public final class HostIoKernel implements GuestKernel {
    public HostIoKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        GuestMemory m = cpu.memory();
        long va = h.buffer;
        int[][] calls = {{0, 0, 0, 512}, {0x7FF0, 1, 0, 4096}, {0, 0, 4000, 512}, {0, 3, 0, -1}};
        long[] vas = {va, va, 0x7FFF_FFFF_F000L, va};
        int refused = 0;
        StringBuilder other = new StringBuilder();
        for (int i = 0; i < calls.length; i++) {
            int[] c = calls[i];
            try {
                int rc = m.readGrant(c[0], c[1], c[2], vas[i], c[3]);
                other.append(" call ").append(i).append(" returned ").append(rc).append(';');
            } catch (UnsupportedOperationException expected) {
                refused++;
            } catch (RuntimeException e) {
                other.append(" call ").append(i).append(": ").append(e.getClass().getSimpleName()).append(';');
            }
        }
        // Asynchronous grant I/O's reap names no FileChannel either: it loads, and is refused at the call.
        int reaps = 0;
        try {
            int got = m.grantIoReap(new long[4], new long[4], 4, true);
            other.append(" reap returned ").append(got).append(';');
        } catch (UnsupportedOperationException expected) {
            reaps++;
        } catch (java.io.IOException | RuntimeException e) {
            other.append(" reap: ").append(e.getClass().getSimpleName()).append(';');
        }
        if (m.grantIoInFlight() != 0) {
            other.append(" in flight ").append(m.grantIoInFlight()).append(';');
        }
        h.println("hostio: " + refused + " of " + calls.length + " grant reads refused, " + reaps
                + " of 1 grant I/O reaps refused" + other);
        h.poweroff();
    }
}
