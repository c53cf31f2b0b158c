package org.parasol.imagefixtures;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/** Holds the monitor of its vCPU's host thread, which the reaper's Thread.join waits on. */
public final class SynchronizedKernel implements GuestKernel {
    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        synchronized (Thread.currentThread()) {
            spin();
        }
    }

    private synchronized void spin() {
        Thread.onSpinWait();
    }
}
