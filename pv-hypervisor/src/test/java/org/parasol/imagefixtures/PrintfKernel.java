package org.parasol.imagefixtures;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Prints an object whose toString never returns while System.out's lock is held. */
public final class PrintfKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        System.out.printf("%s", this);
    }

    @Override
    public String toString() {
        while (true) {
            Thread.onSpinWait();
        }
    }
}
