package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.io.XenconsInterface;
import org.parasol.hypercall.struct.StartInfo;

/**
 * Attack class 6 through the console ring: a running domain that notifies its console port as
 * fast as it can, two million times, while it writes lies into the ring's indices ({@code in_cons}
 * ahead of the producer and far behind it, {@code in_prod} and {@code out_prod} scribbled),
 * then tries to close the port (Xen-attached: refused) and notifies it again. The hypervisor's end of the ring (the back end,
 * as xenconsoled is in Xen) must count the notifications and go on; the other domains keep time.
 */
public final class ConsoleSpamKernel implements GuestKernel {
    static final int SENDS = 2_000_000;

    public ConsoleSpamKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        GuestMemory m = cpu.memory();
        long mfn = m.getLong(startInfo + StartInfo.CONSOLE_MFN_OFFSET);
        Port port = Port.of(m.getInt(startInfo + StartInfo.CONSOLE_EVTCHN_OFFSET));
        long nrPages = m.getLong(startInfo + StartInfo.NR_PAGES_OFFSET);
        long mfnList = m.getLong(startInfo + StartInfo.MFN_LIST_OFFSET);
        long pfn = -1;
        for (long p = 0; p < nrPages && pfn < 0; p++) {
            if (m.getLong(mfnList + p * Long.BYTES) == mfn) {
                pfn = p;
            }
        }
        if (pfn < 0) {
            h.println("conspam: no console page in the P2M");
            h.poweroff();
            return;
        }
        long ring = StartOfDay.VIRT_BASE + pfn * 4096L;
        EventChannelCalls ev = new EventChannelCalls(cpu, h.page);
        long sent = 0;
        long refused = 0;
        for (int i = 0; i < SENDS; i++) {
            if ((i & 0xFF) == 0) {
                m.putInt(ring + XenconsInterface.IN_CONS_OFFSET, i * 7919);
                m.putInt(ring + XenconsInterface.IN_PROD_OFFSET, -i);
                m.putInt(ring + XenconsInterface.OUT_PROD_OFFSET, i * 31);
            }
            if (ev.send(port) == 0) {
                sent++;
            } else {
                refused++;
            }
        }
        long closed = ev.close(port);
        long after = ev.send(port);
        h.println("conspam: done sent=" + sent + " refused=" + refused + " close=" + closed + " send-after-close=" + after);
        h.poweroff();
    }
}
