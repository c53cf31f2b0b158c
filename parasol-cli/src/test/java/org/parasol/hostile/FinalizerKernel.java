package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 4, second form: a {@code finalize()} that never returns blocks the JVM's
 * finalizer thread. Expected: refused at load.
 */
public final class FinalizerKernel implements GuestKernel {
    public FinalizerKernel() {
    }

    @Override
    @SuppressWarnings({"deprecation", "removal"})
    protected void finalize() {
        for (;;) {
            Thread.onSpinWait();
        }
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        new Hostile(cpu, startInfo).poweroff();
    }
}
