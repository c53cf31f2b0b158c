package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 2, second form: keep the vCPU thread's own monitor across the power-off, which
 * used to block the reaper's {@code Thread.join}. Expected: refused at load (no monitors).
 */
public final class MonitorKernel implements GuestKernel {
    public MonitorKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        synchronized (Thread.currentThread()) {
            h.poweroff();
        }
    }
}
