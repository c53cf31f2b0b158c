package org.parasol.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.struct.StartInfo;

/**
 * Guest kernels for the launcher's tests, written against hypercall-api alone (the command
 * line may not name guest-kernel code): each prints scripted console lines and then ends as
 * told. In a line, {@code $CMDLINE} becomes the domain's command line and {@code $PEER} the
 * value of its {@code peer=} word, so a script can make an offer for the domain the launcher
 * reserved.
 */
final class ScriptedKernels {
    private ScriptedKernels() {
    }

    /** How a scripted kernel ends after its lines. */
    enum End {
        /** SCHEDOP_shutdown(poweroff). */
        POWEROFF,
        /** SCHEDOP_shutdown(crash). */
        CRASH,
        /** SCHEDOP_block for ever (with the periodic timer stopped): only the toolstack ends it. */
        BLOCK
    }

    /** A kernel that prints {@code lines} and ends with {@code end}. */
    static GuestKernel printing(List<String> lines, End end) {
        return (cpu, si) -> {
            GuestMemory m = cpu.memory();
            long scratch = m.getLong(si + StartInfo.PT_BASE_OFFSET) + m.getLong(si + StartInfo.NR_PT_FRAMES_OFFSET) * 4096;
            cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, 0, 0);
            String cmdline = cmdline(m, si);
            for (String line : lines) {
                print(cpu, scratch, line.replace("$CMDLINE", cmdline).replace("$PEER", word(cmdline, "peer=")));
            }
            switch (end) {
                case POWEROFF -> shutdown(cpu, scratch, Shutdown.POWEROFF);
                case CRASH -> shutdown(cpu, scratch, Shutdown.CRASH);
                case BLOCK -> {
                    for (;;) {
                        cpu.hypercall(Hypercall.SCHED_OP, SchedOp.BLOCK, 0);
                    }
                }
            }
            throw new AssertionError("SCHEDOP_shutdown returned");
        };
    }

    private static String cmdline(GuestMemory m, long si) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < 1024; i++) {
            byte c = m.getByte(si + StartInfo.CMD_LINE_OFFSET + i);
            if (c == 0) {
                break;
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static String word(String cmdline, String key) {
        for (String w : cmdline.split(" ")) {
            if (w.startsWith(key)) {
                return w.substring(key.length());
            }
        }
        return "";
    }

    private static void print(Cpu cpu, long scratch, String line) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            cpu.memory().putByte(scratch + 512 + i, b[i]);
        }
        cpu.hypercall(Hypercall.CONSOLE_IO, ConsoleIo.WRITE, b.length, scratch + 512);
    }

    private static void shutdown(Cpu cpu, long scratch, int reason) {
        cpu.memory().putInt(scratch, reason);
        cpu.hypercall(Hypercall.SCHED_OP, SchedOp.SHUTDOWN, scratch);
    }
}
