package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.ConsoleIoCalls;
import org.parasol.hypercall.guest.SchedOpCalls;
import org.parasol.hypercall.struct.StartInfo;

/** What every hostile kernel needs: an argument page, a console line, a power-off. */
final class Hostile {
    final Cpu cpu;
    final ArgumentPage page;
    /** A free page after the argument page, for buffers. */
    final long buffer;

    Hostile(Cpu cpu, long startInfo) {
        this.cpu = cpu;
        GuestMemory m = cpu.memory();
        long firstFree = m.getLong(startInfo + StartInfo.PT_BASE_OFFSET)
                + m.getLong(startInfo + StartInfo.NR_PT_FRAMES_OFFSET) * ArgumentPage.SIZE;
        this.page = new ArgumentPage(firstFree);
        this.buffer = firstFree + ArgumentPage.SIZE;
    }

    void println(String line) {
        new ConsoleIoCalls(cpu, page).write(line + "\n");
    }

    void poweroff() {
        new SchedOpCalls(cpu, page).shutdown(Shutdown.POWEROFF);
    }
}
