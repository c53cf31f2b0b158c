package org.parasol.hostile;

import java.io.IOException;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;

/**
 * Attack class 9, "an unprivileged image calls dom0's doors", through the door blkback moves a
 * run of requests with: {@link GuestMemory#grantIoBatch}, which has the hypervisor's own io_uring
 * read a file into granted frames. The image aims a full batch of writes at dom0's grant 0 (a
 * {@code FileChannel} of null, since it has none to give), then one asynchronous write
 * ({@link GuestMemory#grantIoSubmit}) and a cancel. Expected: the image is refused at load
 * by the rule "no host files" (the call names {@code FileChannel}), so none of it runs; were it
 * to load, the hypervisor's memory refuses the call for a domain that is not privileged before
 * an argument is looked at.
 */
public final class HostBatchKernel implements GuestKernel {
    public HostBatchKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        int n = GuestMemory.GRANT_IO_BATCH;
        boolean[] writes = new boolean[n];
        long[] positions = new long[n];
        int[] ends = new int[n];
        int[] refs = new int[n];
        int[] offsets = new int[n];
        int[] lengths = new int[n];
        long[] results = new long[n];
        for (int i = 0; i < n; i++) {
            writes[i] = true;
            positions[i] = (long) i << 12;
            ends[i] = i + 1;
            lengths[i] = 4096;
        }
        try {
            cpu.memory().grantIoBatch(null, 0, n, writes, positions, ends, refs, offsets, lengths, results);
            h.println("hostbatch: moved " + results[0]);
            long rc = cpu.memory().grantIoSubmit(null, 0, true, 0, refs, offsets, lengths, 1, 0);
            h.println("hostbatch: submitted " + rc + ", " + cpu.memory().grantIoCancel(null) + " left");
        } catch (IOException | RuntimeException e) {
            h.println("hostbatch: " + e.getClass().getSimpleName());
        }
        h.poweroff();
    }
}
