package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;

/**
 * Not an attack: the honest control {@code HostileImagesTest} sets beside ticker in place of a
 * hostile image. It computes for {@link #MILLIS} ms as a well-behaved CPU-bound guest does,
 * keeping a running sum in its own memory (every access polls the vCPU's preempt word, so it
 * makes way wherever the scheduler asks), then prints its sum and powers off. What ticker
 * suffers beside it is what any busy domain costs ticker on the same pCPUs; a hostile image
 * may cost ticker no more.
 */
public final class BusyKernel implements GuestKernel {
    /** How long it computes: longer than ticker's five ticks and its start. */
    public static final long MILLIS = 2000;

    public BusyKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        GuestMemory m = cpu.memory();
        long end = System.nanoTime() + MILLIS * 1_000_000L;
        long rounds = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1000; i++) {
                m.putLong(h.buffer, m.getLong(h.buffer) * 31 + i);
            }
            rounds++;
        }
        h.println("busy: done, " + rounds + " rounds");
        h.poweroff();
    }
}
