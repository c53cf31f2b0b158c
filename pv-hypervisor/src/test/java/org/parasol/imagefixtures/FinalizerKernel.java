package org.parasol.imagefixtures;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Leaves an object whose finalizer never returns, blocking the JVM's finalizer thread. */
public final class FinalizerKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        new FinalizerKernel();
    }

    @Override
    @SuppressWarnings({"deprecation", "removal"})
    protected void finalize() {
        while (true) {
            Thread.onSpinWait();
        }
    }
}
