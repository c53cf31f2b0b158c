package org.parasol.hostile;

import java.util.List;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 5, "two domains of one image share mutable state": an immutable list of mutable
 * arrays. Expected: the static-state check sees it, so each domain gets a class loader of its
 * own and counts from zero.
 */
public final class SharedStateKernel implements GuestKernel {
    static final List<long[]> COUNTER = List.of(new long[1]);

    public SharedStateKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        long[] c = COUNTER.get(0);
        c[0]++;
        h.println("shared: counter " + c[0]);
        h.poweroff();
    }
}
