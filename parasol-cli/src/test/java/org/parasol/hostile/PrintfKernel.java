package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 2, "a guest holds a lock the host needs": {@code System.out.printf} with an
 * argument whose {@code toString} never returns, holding System.out's lock. Expected: refused
 * at load (guests print through the console hypercall).
 */
public final class PrintfKernel implements GuestKernel {
    public PrintfKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Object forever = new Object() {
            @Override
            public String toString() {
                for (;;) {
                    Thread.onSpinWait();
                }
            }
        };
        System.out.printf("%s", forever);
    }
}
