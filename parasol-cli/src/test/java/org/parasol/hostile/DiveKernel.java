package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GnttabMapGrantRef;

/**
 * Attack class 3, "the guest chooses the stack depth the hypervisor runs at": recurse until the
 * stack overflows, then at every frame as it unwinds make event-channel hypercalls (which take
 * the event lock) and first-touch shared hypercall-api classes, swallowing every error. Expected:
 * the domain is crashed for its stack, the hypervisor's locks stay free, the classes usable.
 */
public final class DiveKernel implements GuestKernel {
    private Hostile h;
    private EventChannelCalls ev;

    public DiveKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        h = new Hostile(cpu, startInfo);
        ev = new EventChannelCalls(cpu, h.page);
        h.println("dive: diving");
        dive();
        h.println("dive: back at the top");
        h.poweroff();
    }

    private void dive() {
        try {
            dive();
        } catch (Throwable overflowOrRefusal) {
            // unwind one frame and try here
        }
        try {
            long port = ev.allocUnbound(DomId.SELF, DomId.SELF);
            if (port > 0) {
                ev.close(Port.of((int) port));
            }
            new GnttabCopy();
            new GnttabMapGrantRef();
        } catch (Throwable refused) {
            // too little stack, or the domain is already crashed: the next frame tries again
        }
    }
}
