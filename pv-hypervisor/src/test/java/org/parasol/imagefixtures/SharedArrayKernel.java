package org.parasol.imagefixtures;

import java.util.List;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** An immutable list of a mutable array: every domain sharing the loader would share the array. */
public final class SharedArrayKernel implements GuestKernel {
    static final List<long[]> COUNTERS = List.of(new long[1]);

    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        COUNTERS.getFirst()[0]++;
    }
}
