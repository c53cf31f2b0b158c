package org.parasol.hostile;

import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDX;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.RegisterFile;

/**
 * A native kernel ({@code virt = "trap"}) that floods its NE2000's transmit queue: it programs
 * the card by hand — stopped, byte-wide, receiving nothing (monitor mode), one 60-byte frame
 * written into the transmit page by remote DMA, addressed to a unicast MAC nobody has, so the
 * bridge floods each copy to every other port — then issues CR.TXP as fast as it can for
 * {@code ms=N} milliseconds (from its command line), reading ISR after each to see whether the
 * card took the frame or aborted it (ISR.TXE: its queue for dom0 was full). It keeps time as a
 * PC kernel calibrating its TSC does: channel 2 of the 8254, gated on through port 0x61, counts
 * 65,535 ticks (54.9 ms) in mode 0, and OUT (port 0x61's bit 5) says when it has run out. The hypervisor must keep
 * that queue at its bound, dom0 must keep serving the other domains on the bridge, and host
 * memory must not grow.
 */
public final class NicFloodKernel implements GuestKernel {
    private static final int NE2K = 0x300;
    private static final int CR = 0x00;
    private static final int PSTART = 0x01;
    private static final int PSTOP = 0x02;
    private static final int BNRY = 0x03;
    private static final int TPSR = 0x04;
    private static final int TBCR0 = 0x05;
    private static final int TBCR1 = 0x06;
    private static final int ISR = 0x07;
    private static final int RSAR0 = 0x08;
    private static final int RSAR1 = 0x09;
    private static final int RBCR0 = 0x0A;
    private static final int RBCR1 = 0x0B;
    private static final int RCR = 0x0C;
    private static final int TCR = 0x0D;
    private static final int DCR = 0x0E;
    private static final int IMR = 0x0F;
    private static final int DATA = 0x10;
    private static final int CURR = 0x07; // page 1
    private static final int ISR_TXE = 0x08;
    private static final int FRAME = 60;

    private Cpu cpu;
    private RegisterFile regs;
    private long outDxAl;
    private long inAlDx;

    public NicFloodKernel() {
    }

    @Override
    public void boot(Cpu cpu, long startInfo) {
        Hostile h = new Hostile(cpu, startInfo);
        this.cpu = cpu;
        this.regs = cpu.registers();
        GuestMemory m = cpu.memory();
        long ms = 5000;
        String cmdline = readCmdline(m, startInfo);
        for (String word : cmdline.split(" ")) {
            if (word.startsWith("ms=")) {
                ms = Long.parseLong(word.substring(3));
            }
        }
        // 65,535 ticks of 1,193,182 Hz per period.
        long periods = Math.max(1, ms * 1_193_182L / 65_535L / 1000L);
        // The two instructions, in a page of the kernel's own.
        byte[] text = new byte[8];
        int p = Encoder.out(text, 0, 1, Instruction.NONE);
        outDxAl = h.buffer;
        inAlDx = h.buffer + p;
        p += Encoder.in(text, p, 1, Instruction.NONE);
        for (int i = 0; i < p; i++) {
            m.putByte(h.buffer + i, text[i]);
        }
        if (in(CR) == 0xFF) {
            h.println("nicflood: no NE2000");
            h.poweroff();
            return;
        }
        out(CR, 0x21); // stopped, remote DMA aborted, page 0
        out(DCR, 0x48); // byte-wide
        out(RBCR0, 0);
        out(RBCR1, 0);
        out(RCR, 0x20); // monitor: nothing is received
        out(TCR, 0x00); // no loopback: frames go to the wire
        out(TPSR, 0x40);
        out(PSTART, 0x46);
        out(PSTOP, 0x80);
        out(BNRY, 0x46);
        out(ISR, 0xFF);
        out(IMR, 0x00); // no interrupts: the flood polls
        out(CR, 0x61); // page 1
        out(CURR, 0x47);
        out(CR, 0x22); // page 0, started
        // The frame: to 02:00:00:00:00:01 (unicast, nobody's), from 02:00:00:00:00:02, a local ethertype.
        byte[] frame = new byte[FRAME];
        frame[0] = 0x02;
        frame[5] = 0x01;
        frame[6] = 0x02;
        frame[11] = 0x02;
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xB5;
        for (int i = 14; i < FRAME; i++) {
            frame[i] = (byte) i;
        }
        out(RSAR0, 0x00);
        out(RSAR1, 0x40);
        out(RBCR0, FRAME);
        out(RBCR1, 0);
        out(CR, 0x12); // remote write, started
        for (byte b : frame) {
            out(DATA, b & 0xFF);
        }
        out(ISR, 0xFF);
        out(TBCR0, FRAME);
        out(TBCR1, 0);
        h.println("nicflood: flooding for " + ms + " ms");
        outp(0x61, 0x01); // channel 2's GATE on, the speaker off
        outp(0x43, 0xB0); // channel 2, low then high byte, mode 0
        startPeriod();
        long accepted = 0;
        long aborted = 0;
        long count = 0;
        long elapsed = 0;
        for (long i = 0; elapsed < periods; i++) {
            if ((i & 63) == 0 && (inp(0x61) & 0x20) != 0) {
                elapsed++; // terminal count: one period gone
                startPeriod();
            }
            count++;
            out(CR, 0x26); // TXP, started, no remote DMA
            int isr = in(ISR);
            if ((isr & ISR_TXE) != 0) {
                aborted++;
            } else {
                accepted++;
            }
            if (isr != 0) {
                out(ISR, isr);
            }
        }
        out(CR, 0x21);
        h.println("nicflood: done after " + elapsed + " PIT periods, txp=" + count + " accepted=" + accepted
                + " aborted=" + aborted);
        h.poweroff();
    }

    /** Channel 2 counts 65,535 afresh (mode 0: the first byte stops it, the second loads it). */
    private void startPeriod() {
        outp(0x42, 0xFF);
        outp(0x42, 0xFF);
    }

    private void out(int reg, int value) {
        outp(NE2K + reg, value);
    }

    private int in(int reg) {
        return inp(NE2K + reg);
    }

    private void outp(int port, int value) {
        regs.set(RDX, port);
        regs.set(RAX, value);
        regs.rip(outDxAl);
        cpu.execute(1);
    }

    private int inp(int port) {
        regs.set(RDX, port);
        regs.rip(inAlDx);
        cpu.execute(1);
        return (int) regs.get(RAX) & 0xFF;
    }

    private static String readCmdline(GuestMemory m, long startInfo) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1024; i++) {
            int c = m.getByte(startInfo + StartInfo.CMD_LINE_OFFSET + i) & 0xFF;
            if (c == 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
