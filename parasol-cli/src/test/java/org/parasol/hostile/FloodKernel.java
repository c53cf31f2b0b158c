package org.parasol.hostile;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.guest.ConsoleIoCalls;

/**
 * Attack class 6, "a guest fills host memory": write far more console output, in lines, than
 * the host keeps. Expected: the host holds at most the console's bound; other domains keep time.
 */
public final class FloodKernel implements GuestKernel {
    public FloodKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        ConsoleIoCalls console = new ConsoleIoCalls(cpu, h.page);
        byte[] chunk = "flood flood flood flood flood flood\n".repeat(100).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < chunk.length; i++) {
            cpu.memory().putByte(h.buffer + i, chunk[i]);
        }
        for (int i = 0; i < 3000; i++) {
            console.write(h.buffer, chunk.length);
        }
        h.println("flood: done");
        h.poweroff();
    }
}
