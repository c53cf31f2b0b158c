package org.parasol.hostile;

import java.io.IOException;
import java.nio.channels.FileChannel;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Attack class 9, "an unprivileged image calls dom0's doors", through the door blkback opens its
 * disk images with: {@link org.parasol.hypercall.GuestMemory#openHostFile}, which hands a
 * privileged domain a {@code FileChannel} on a descriptor the hypervisor opened. Expected: the
 * image is refused at load by the rule "no host files" (the call names {@code FileChannel}), so
 * none of it runs; were it to load, the hypervisor's memory refuses the call for a domain that is
 * not privileged.
 */
public final class HostFileKernel implements GuestKernel {
    public HostFileKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        try (FileChannel f = cpu.memory().openHostFile(null, false)) {
            h.println("hostfile: opened " + f.size() + " bytes");
        } catch (IOException | RuntimeException e) {
            h.println("hostfile: " + e.getClass().getSimpleName());
        }
        h.poweroff();
    }
}
