package org.parasol.guest.x86;

import java.util.Objects;

import org.parasol.guest.console.ConsoleInput;
import org.parasol.guest.sched.RunLoop;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.x86.Platform;

/**
 * The receive half of the native kernel's console driver: COM1's received bytes, taken on
 * IRQ 4 as Linux's {@code serial8250_handle_irq} takes them, into the kernel's console input
 * ({@link ConsoleInput}, the same line discipline a paravirtual kernel's console ring feeds).
 *
 * <pre>
 *  start: IRQ 4's handler at its vector, line unmasked; IER = RDI | RLSI (output stays polled)
 *  IRQ 4 ─► handler: queue the service task, EOI (it never touches the UART: the interrupted
 *           code may be in the middle of the console's own LSR/THR sequence)
 *  task  ─► while IIR says an interrupt is pending:
 *             RLSI: read LSR (an overrun is counted)
 *             RDI, CTI: ConsoleInput.poll ─► read(): while LSR.DR, in al, dx of RBR
 *             THRI, MSI: read IIR / MSR (not enabled; a hostile UART might say so anyway)
 * </pre>
 *
 * <p>The task ends only on a read of IIR that says no interrupt is pending, so the UART's line
 * is low when it ends and the next byte is a rising edge the (edge-triggered) 8259 pair sees —
 * the lesson of the NE2000 driver. Each task reads at most {@value #BUDGET} bytes and then runs
 * again after the kernel's other tasks, so a flood of input cannot starve them. Output is not
 * interrupt-driven: {@link NativeOps#consoleWrite} polls LSR, which costs fewer exits than THRE
 * interrupts would on a transmitter that is never busy (see docs/lab.md).
 *
 * <p>Invariants: on vCPU 0's thread (the 8259 pair interrupts only vCPU 0), from the kernel's
 * run loop; allocates nothing once started.
 */
public final class UartInput implements ConsoleInput.Source {
    /** Bytes one service task reads before it lets the kernel's other tasks run. */
    public static final int BUDGET = 1024;

    private static final int PORT = Platform.COM1;

    private final RunLoop loop;
    private final NativeOps ops;
    private ConsoleInput input;
    private boolean serviceQueued;
    private long interrupts;
    private long overruns;
    private long bytes;

    /** A driver for COM1 on {@code ops}, its work done as tasks of {@code loop}. */
    public UartInput(RunLoop loop, NativeOps ops) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.ops = Objects.requireNonNull(ops, "ops");
    }

    /**
     * Takes IRQ 4 and enables the receive interrupts, handing what arrives to {@code in} (made
     * with this driver as its {@link ConsoleInput.Source}); bytes that came before are read by a
     * first service task.
     */
    public void start(ConsoleInput in) {
        this.input = Objects.requireNonNull(in, "in");
        ops.installIrqHandler(Platform.COM1_IRQ, new Irq4());
        ops.outb(PORT + Platform.UART_IER, Platform.IER_RDI | Platform.IER_RLSI);
        queueService();
    }

    /** IRQ 4: queue the work, end the interrupt. */
    private final class Irq4 implements TrapHandler {
        @Override
        public void trap(Cpu cpu, int vector, long errorCode, long address) {
            interrupts++;
            queueService();
            ops.endOfInterrupt(Platform.COM1_IRQ);
        }
    }

    private void queueService() {
        if (!serviceQueued) {
            serviceQueued = true;
            loop.execute(this::service);
        }
    }

    /** The interrupt's work: every pending cause, until IIR says none is left (or the budget is spent). */
    private void service() {
        serviceQueued = false;
        long start = bytes;
        for (int iir = ops.inb(PORT + Platform.UART_IIR_FCR); (iir & Platform.IIR_NO_INT) == 0;
                iir = ops.inb(PORT + Platform.UART_IIR_FCR)) {
            switch (iir & Platform.IIR_ID) {
                case Platform.IIR_RLSI -> lineStatus(ops.inb(PORT + Platform.UART_LSR));
                case Platform.IIR_RDI, Platform.IIR_CTI -> input.poll();
                case 0x00 -> ops.inb(PORT + Platform.UART_MSR); // modem status: read to clear
                default -> {
                    // THRI: reading IIR cleared it
                }
            }
            if (bytes - start >= BUDGET) {
                queueService(); // more may wait: after the other tasks
                return;
            }
        }
    }

    private int lineStatus(int lsr) {
        if ((lsr & Platform.LSR_OE) != 0) {
            overruns++;
        }
        return lsr;
    }

    /** The source's read: RBR while LSR says data is ready, up to {@code b.length} bytes. */
    @Override
    public int read(byte[] b) {
        int n = 0;
        while (n < b.length && (lineStatus(ops.inb(PORT + Platform.UART_LSR)) & Platform.LSR_DR) != 0) {
            b[n++] = (byte) ops.inb(PORT + Platform.UART_THR);
        }
        bytes += n;
        return n;
    }

    /** IRQ 4 interrupts taken so far. */
    public long interrupts() {
        return interrupts;
    }

    /** Overruns LSR reported so far (bytes the UART lost before they were read). */
    public long overruns() {
        return overruns;
    }

    /** Bytes read from RBR so far. */
    public long bytes() {
        return bytes;
    }
}
