package org.parasol.guest.x86;

import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RBX;
import static org.parasol.hypercall.x86.Registers.RCX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RDX;
import static org.parasol.hypercall.x86.Registers.RSI;
import static org.parasol.hypercall.x86.Registers.RSP;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import org.parasol.guest.mm.PageTables;
import org.parasol.guest.pvops.MmuException;
import org.parasol.guest.pvops.PvClock;
import org.parasol.guest.pvops.PvOps;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.HvmOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.HvmOpCalls;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypercall.x86.Registers;

/**
 * {@link PvOps} on emulated hardware: every privileged operation is a real x86-64 instruction
 * the vCPU executes ({@link Cpu#execute}), as Linux's {@code native_*} operations are, so that
 * whatever runs below the kernel — a hypervisor taking VM exits, or the machine model itself —
 * has real bytes to decode at the instruction pointer.
 *
 * <p>At construction the kernel assembles its privileged text once into its text page (with
 * hypercall-api's {@link Encoder}): one short stub per operation, as a kernel's {@code .text}
 * holds them. An operation loads the registers the stub reads, points {@code rip} at the
 * stub and executes it; what the stub leaves in the registers is its result.
 *
 * <table>
 *   <caption>What each operation becomes</caption>
 *   <tr><td>event mask</td><td>{@code pushf} + {@code cli} ({@code local_irq_save}),
 *       {@code popf} ({@code local_irq_restore}); RFLAGS.IF is the event mask</td></tr>
 *   <tr><td>safe halt</td><td>{@code sti; hlt}, in {@code sti}'s shadow</td></tr>
 *   <tr><td>page tables</td><td>a plain {@code mov [rdi], rsi} into the table (read-only to
 *       the kernel: what runs below sees a write fault); no batching, as native Linux</td></tr>
 *   <tr><td>address space, TLB</td><td>{@code mov cr3, rax}; {@code mov rax, cr3} +
 *       {@code mov cr3, rax}; {@code invlpg [rdi]}</td></tr>
 *   <tr><td>timer</td><td>x2APIC LVT timer in TSC-deadline mode, {@code wrmsr} of
 *       {@code IA32_TSC_DEADLINE}</td></tr>
 *   <tr><td>console</td><td>a 16550 UART at COM1: {@code in al, dx} of LSR until THRE, then
 *       {@code rep outsb} of up to a FIFO's worth</td></tr>
 *   <tr><td>platform name</td><td>{@code cpuid} of the hypervisor leaves</td></tr>
 *   <tr><td>shutdown</td><td>{@code out} to ACPI PM1a control (S5), the reset control
 *       register, or pvpanic</td></tr>
 *   <tr><td>port I/O for drivers</td><td>{@code in}/{@code out} of a byte, {@code rep insw} /
 *       {@code rep outsw} (the ATA driver, {@link AtaDriver})</td></tr>
 * </table>
 *
 * <p>Traps, device interrupts, the local APIC timer and event upcalls go through the kernel's
 * own IDT: {@value #IDT_VECTORS} gates in the page after its text, loaded with {@code lidt} at
 * construction; {@link #installTrapHandler} writes a gate. The event callback is a gate at
 * {@link Platform#HYPERVISOR_CALLBACK_VECTOR} that {@code HVMOP_set_param(HVM_PARAM_CALLBACK_IRQ)}
 * names, as a PVHVM Linux's; event channels, grants and the store remain the kernel's own
 * hypercall users (the shape of a PVHVM guest). Time is read from
 * {@code vcpu_time_info} (the pvclock every HVM guest on Xen and KVM reads).
 *
 * <p>Invariants: one instance per vCPU, on that vCPU's thread; {@link #useTables} before the
 * first page-table operation. Nothing here allocates but {@link #platformName}.
 */
public final class NativeOps implements PvOps {
    /**
     * Where the IDT is, from the text page: the page after it, one 16-byte gate per vector, as
     * Linux's {@code idt_table} is a page of its own.
     */
    private static final int IDT = 0x1000;
    /**
     * Vectors the IDT has gates for: all 256 — the 32 exceptions, the 16 lines of the 8259 pair
     * at {@link Platform#IRQ0_VECTOR}, the local APIC timer's {@link Platform#LOCAL_TIMER_VECTOR}
     * and the event callback's {@link Platform#HYPERVISOR_CALLBACK_VECTOR}.
     */
    public static final int IDT_VECTORS = 256;
    /** The pseudo-descriptor {@code lidt} reads (limit, base), in the text page. */
    private static final int IDT_DESCRIPTOR = 0x400;
    /** The kernel's code segment selector in its gates (Linux's {@code __KERNEL_CS}). */
    public static final int KERNEL_CS = 0x10;
    /** Gate attributes: present, DPL 0, a 64-bit interrupt gate (IF cleared on entry). */
    private static final int INTERRUPT_GATE = 0x8E;
    /** Where the console's bytes are staged for {@code outsb}, in the text page. */
    private static final int DATA = 0x800;
    /** How much the data area holds. */
    private static final int DATA_SIZE = 0x400;
    /** The top of the small stack {@code pushf}/{@code popf} use, in the text page. */
    private static final int STACK_TOP = 0x1000;

    private final Cpu cpu;
    private final RegisterFile regs;
    private final GuestMemory mem;
    private final PvClock clock;
    private final HvmOpCalls hvmOps;
    private final long text;
    private PageTables tables;

    // Stub addresses.
    private final long cli;
    private final long pushf;
    private final long popf;
    private final long stiHlt;
    private final long inDx;
    private final long outDxAl;
    private final long outDxAx;
    private final long repOutsb;
    private final long repInsw;
    private final long repOutsw;
    private final long wrmsr;
    private final long cpuid;
    private final long movCr3Rax;
    private final long movRaxCr3;
    private final long invlpgRdi;
    private final long storeRdiRsi;
    private final long lidtRdi;
    private final long inDxEax;
    private final long outDxEax;
    // Instructions that may fault, and the kernel's exception table for them.
    private final long rdmsr;
    private final long rdmsrSafe;
    private final long wrmsrSafe;
    private final long ud2;
    private final ExceptionTable exceptionTable = new ExceptionTable();
    /** Set by an MSR accessor's fixup: the instruction faulted (Linux's fixup puts -EIO in its error register). */
    private boolean msrFaulted;
    private long fixups;
    /** What the boot-time probe of {@code MSR_MISC_FEATURES_ENABLES} found, or -1 if it faulted or never ran. */
    private long miscFeatures = -1;

    private long executed;
    /** Whether the 8259 pair is programmed, and the mask it holds (slave's in bits 8-15). */
    private boolean picReady;
    /** The timer is channel 0 of the 8254 PIT ({@link #usePitTick}), not the local APIC's. */
    private boolean pitTick;
    /** What the PIT's tick calls when the programmed deadline has passed: the kernel's timer event. */
    private Runnable pitTimerEvent;
    /** The deadline {@link #programTimer} asked for while the PIT is the timer (0: none). */
    private long pitDeadline;
    private boolean pitRunning;
    private long pitInterrupts;
    private long apicTimerInterrupts;
    private int picMask = 0xFFFF;

    /**
     * The operations of {@code cpu}, with its privileged text and scratch stack assembled into
     * the writable page at {@code textVa}, its IDT in the writable page after it, and
     * shared_info mapped at {@code sharedInfoVa}.
     * Initializes COM1 (8N1, FIFOs on, interrupts off): the boot vCPU's.
     */
    public NativeOps(Cpu cpu, ArgumentPage page, long sharedInfoVa, long textVa) {
        this(cpu, page, sharedInfoVa, textVa, true);
    }

    /**
     * As {@link #NativeOps(Cpu, ArgumentPage, long, long)}; a secondary vCPU's
     * ({@code bootProcessor} false) has its own text, stack and IDT but leaves COM1 as the boot
     * vCPU programmed it.
     */
    public NativeOps(Cpu cpu, ArgumentPage page, long sharedInfoVa, long textVa, boolean bootProcessor) {
        Objects.requireNonNull(cpu, "cpu");
        this.cpu = cpu;
        this.regs = cpu.registers();
        this.mem = cpu.memory();
        this.clock = new PvClock(cpu, sharedInfoVa);
        this.hvmOps = new HvmOpCalls(cpu, page);
        this.text = textVa;

        byte[] t = new byte[DATA];
        int p = 0;
        int n = Instruction.NONE;
        cli = textVa + p;
        p += Encoder.cli(t, p);
        pushf = textVa + p;
        p += Encoder.pushf(t, p);
        popf = textVa + p;
        p += Encoder.popf(t, p);
        stiHlt = textVa + p;
        p += Encoder.sti(t, p);
        p += Encoder.hlt(t, p);
        inDx = textVa + p;
        p += Encoder.in(t, p, 1, n);
        outDxAl = textVa + p;
        p += Encoder.out(t, p, 1, n);
        outDxAx = textVa + p;
        p += Encoder.out(t, p, 2, n);
        repOutsb = textVa + p;
        p += Encoder.outs(t, p, 1, true);
        repInsw = textVa + p;
        p += Encoder.ins(t, p, 2, true);
        repOutsw = textVa + p;
        p += Encoder.outs(t, p, 2, true);
        wrmsr = textVa + p;
        p += Encoder.wrmsr(t, p);
        cpuid = textVa + p;
        p += Encoder.cpuid(t, p);
        movCr3Rax = textVa + p;
        p += Encoder.movToCr(t, p, Registers.CR3, RAX);
        movRaxCr3 = textVa + p;
        p += Encoder.movFromCr(t, p, RAX, Registers.CR3);
        invlpgRdi = textVa + p;
        p += Encoder.invlpg(t, p, RDI, n, 1, 0);
        storeRdiRsi = textVa + p;
        p += Encoder.movStore(t, p, 8, RDI, n, 1, 0, RSI);
        lidtRdi = textVa + p;
        p += Encoder.lidt(t, p, RDI, n, 1, 0);
        // Instructions that may fault on purpose, each with its exception-table entry.
        rdmsr = textVa + p;
        p += Encoder.rdmsr(t, p);
        rdmsrSafe = textVa + p;
        p += Encoder.rdmsr(t, p);
        exceptionTable.add(rdmsrSafe, textVa + p, ExceptionTable.TYPE_RDMSR_SAFE); // resume after it
        wrmsrSafe = textVa + p;
        p += Encoder.wrmsr(t, p);
        exceptionTable.add(wrmsrSafe, textVa + p, ExceptionTable.TYPE_WRMSR_SAFE);
        ud2 = textVa + p;
        p += Encoder.ud2(t, p);
        inDxEax = textVa + p;
        p += Encoder.in(t, p, 4, n);
        outDxEax = textVa + p;
        p += Encoder.out(t, p, 4, n);
        if (p > IDT_DESCRIPTOR) {
            throw new IllegalStateException("the privileged text overflows into the IDT's descriptor");
        }
        mem.copyFromSegment(MemorySegment.ofArray(t), 0, textVa, p);
        regs.set(RSP, textVa + STACK_TOP);

        // The IDT: every gate not present until a handler is installed, then lidt of it. A
        // vector with no gate is #NP, then #DF, then a triple fault: the CPU resets.
        mem.fill(textVa + IDT, IDT_VECTORS * 16L, (byte) 0);
        mem.putShort(textVa + IDT_DESCRIPTOR, (short) (IDT_VECTORS * 16 - 1));
        mem.putLong(textVa + IDT_DESCRIPTOR + 2, textVa + IDT);
        regs.set(RDI, textVa + IDT_DESCRIPTOR);
        run(lidtRdi, 1);
        if (!bootProcessor) {
            return;
        }

        // COM1: 115200 baud (divisor 1), 8 data bits, no parity, one stop bit; FIFOs on and
        // cleared; DTR, RTS and OUT2; no interrupts (the console is written by polling).
        outb(Platform.COM1 + Platform.UART_LCR, Platform.LCR_DLAB);
        outb(Platform.COM1 + Platform.UART_THR, 1);
        outb(Platform.COM1 + Platform.UART_IER, 0);
        outb(Platform.COM1 + Platform.UART_LCR, 0x03);
        outb(Platform.COM1 + Platform.UART_IIR_FCR, 0xC7);
        outb(Platform.COM1 + Platform.UART_MCR, 0x0B);
        outb(Platform.COM1 + Platform.UART_IER, 0);
    }

    /** The kernel's page tables, once it has them: where {@link #setPte} finds a table's address. */
    public void useTables(PageTables pageTables) {
        this.tables = pageTables;
    }

    /** Privileged instructions executed so far. */
    public long instructionsExecuted() {
        return executed;
    }

    /** The address of the kernel's privileged text (for tests and the journey). */
    public long textVa() {
        return text;
    }

    private void run(long rip, int count) {
        regs.rip(rip);
        executed += count;
        cpu.execute(count);
    }

    // ---------------------------------------------------------------- device interrupts

    /**
     * Takes device line {@code irq} (0-15) natively: the first time, programs the 8259 pair
     * as Linux's {@code init_8259A} does (ICW1-4 on both, vectors {@link Platform#IRQ0_VECTOR}
     * and 8 above, every line masked but the cascade); then puts {@code handler} in an
     * interrupt gate of the IDT at the line's vector and unmasks the line. The handler runs at an instruction
     * boundary with IF clear; it must end the interrupt with {@link #endOfInterrupt}.
     */
    public void installIrqHandler(int irq, TrapHandler handler) {
        if (irq < 0 || irq > 15 || irq == 2) {
            throw new IllegalArgumentException("IRQ " + irq + " is not a device line of the 8259 pair");
        }
        if (!picReady) {
            outb(Platform.PIC1, 0x11); // ICW1: edge-triggered, cascaded, ICW4 follows
            outb(Platform.PIC1 + 1, Platform.IRQ0_VECTOR); // ICW2
            outb(Platform.PIC1 + 1, 1 << 2); // ICW3: a slave on IR2
            outb(Platform.PIC1 + 1, 0x01); // ICW4: 8086 mode, normal EOI
            outb(Platform.PIC2, 0x11);
            outb(Platform.PIC2 + 1, Platform.IRQ0_VECTOR + 8);
            outb(Platform.PIC2 + 1, 2); // its cascade identity
            outb(Platform.PIC2 + 1, 0x01);
            picMask = 0xFFFF & ~(1 << 2);
            picReady = true;
        }
        installTrapHandler(Platform.IRQ0_VECTOR + irq, handler);
        picMask &= ~(1 << irq);
        outb(Platform.PIC1 + 1, picMask & 0xFF);
        outb(Platform.PIC2 + 1, picMask >>> 8);
    }

    /** OCW2's non-specific EOI for {@code irq}: to the slave first when it came through it, then the master. */
    public void endOfInterrupt(int irq) {
        if (irq >= 8) {
            outb(Platform.PIC2, Platform.PIC_EOI);
        }
        outb(Platform.PIC1, Platform.PIC_EOI);
    }

    // ---------------------------------------------------------------- port I/O for native drivers

    /** {@code out dx, al}: a byte to {@code port}. */
    public void outb(int port, int value) {
        regs.set(RDX, port & 0xFFFF);
        regs.set(RAX, value & 0xFF);
        run(outDxAl, 1);
    }

    /** {@code in al, dx}: a byte from {@code port}. */
    public int inb(int port) {
        regs.set(RDX, port & 0xFFFF);
        run(inDx, 1);
        return (int) regs.get(RAX) & 0xFF;
    }

    /** {@code out dx, eax}: a doubleword to {@code port} (PCI configuration, the bus master's PRD pointer). */
    public void outl(int port, int value) {
        regs.set(RDX, port & 0xFFFF);
        regs.set(RAX, value & 0xFFFF_FFFFL);
        run(outDxEax, 1);
    }

    /** {@code in eax, dx}: a doubleword from {@code port}. */
    public int inl(int port) {
        regs.set(RDX, port & 0xFFFF);
        run(inDxEax, 1);
        return (int) regs.get(RAX);
    }

    /**
     * {@code rep insw}: {@code words} 16-bit reads of {@code port} into memory at {@code va}
     * (upward: the kernel runs with DF clear). An instruction that stops part-way (the
     * emulation moves a bounded chunk per exit, as a CPU may take an interrupt inside a
     * {@code rep}) is run again until RCX is zero.
     */
    public void insw(int port, long va, long words) {
        regs.set(RDX, port & 0xFFFF);
        regs.set(RDI, va);
        regs.set(RCX, words);
        do {
            run(repInsw, 1);
        } while (regs.get(RCX) != 0);
    }

    /** {@code rep outsw}: {@code words} 16-bit writes to {@code port} from memory at {@code va}. */
    public void outsw(int port, long va, long words) {
        regs.set(RDX, port & 0xFFFF);
        regs.set(RSI, va);
        regs.set(RCX, words);
        do {
            run(repOutsw, 1);
        } while (regs.get(RCX) != 0);
    }

    private void wrmsr(int msr, long value) {
        regs.set(RCX, msr);
        regs.set(RAX, value & 0xFFFF_FFFFL);
        regs.set(RDX, value >>> 32);
        run(wrmsr, 1);
    }

    /**
     * {@code cpuid} of {@code leaf}: EAX of the answer (EBX, ECX and EDX stay in the
     * registers). Unprivileged on hardware, but it always exits under VT-x: the lab's
     * privileged no-op.
     */
    public long cpuid(int leaf) {
        cpuidInto(leaf);
        return regs.get(RAX);
    }

    /** CPUID leaf {@code leaf}; the answer is left in EAX, EBX, ECX, EDX. */
    private void cpuidInto(int leaf) {
        regs.set(RAX, leaf & 0xFFFF_FFFFL);
        regs.set(RCX, 0);
        run(cpuid, 1);
    }

    // ---------------------------------------------------------------- exceptions: MSRs that may not exist, BUG()

    /**
     * {@code rdmsr} of {@code msr}, for an MSR the machine is known to have (Linux's
     * {@code rdmsrl}): an MSR it does not have is {@code #GP(0)} with no fixup, an oops.
     */
    public long rdmsr(int msr) {
        regs.set(RCX, msr & 0xFFFF_FFFFL);
        run(rdmsr, 1);
        return (regs.get(RDX) & 0xFFFF_FFFFL) << 32 | regs.get(RAX) & 0xFFFF_FFFFL;
    }

    /**
     * {@code rdmsr} of an MSR that may not exist (Linux's {@code rdmsrl_safe}): the instruction
     * has an exception-table entry, so its {@code #GP} resumes after it and this answers
     * {@code -EIO} with {@code value[0]} zero, where the machine has the MSR 0 and its value.
     */
    public int rdmsrSafe(int msr, long[] value) {
        regs.set(RCX, msr & 0xFFFF_FFFFL);
        msrFaulted = false;
        run(rdmsrSafe, 1);
        if (msrFaulted) {
            value[0] = 0;
            return -org.parasol.hypercall.Errno.EIO;
        }
        value[0] = (regs.get(RDX) & 0xFFFF_FFFFL) << 32 | regs.get(RAX) & 0xFFFF_FFFFL;
        return 0;
    }

    /** {@code wrmsr} of an MSR that may not exist (Linux's {@code wrmsrl_safe}): 0, or {@code -EIO} when it faulted. */
    public int wrmsrSafe(int msr, long value) {
        regs.set(RCX, msr & 0xFFFF_FFFFL);
        regs.set(RAX, value & 0xFFFF_FFFFL);
        regs.set(RDX, value >>> 32);
        msrFaulted = false;
        run(wrmsrSafe, 1);
        return msrFaulted ? -org.parasol.hypercall.Errno.EIO : 0;
    }

    /**
     * {@code ud2}, Linux's {@code BUG()}: the invalid-opcode exception, whose handler finds no
     * fixup and oopses. Does not return when the kernel's {@code #UD} handler crashes the domain.
     */
    public void bug() {
        run(ud2, 1);
    }

    /**
     * The boot-time probe Linux's {@code init_intel_misc_features} makes: {@code rdmsr_safe} of
     * {@code MSR_MISC_FEATURES_ENABLES} ({@value #MSR_MISC_FEATURES_ENABLES}), which only some
     * CPUs have (CPUID faulting lives there). The machine model has none, so on every native
     * configuration this takes the {@code #GP} and its fixup. Call once the kernel's {@code #GP}
     * handler is installed (it calls {@link #fixupException}).
     */
    public void probeMiscFeatures() {
        long[] v = new long[1];
        miscFeatures = rdmsrSafe(MSR_MISC_FEATURES_ENABLES, v) == 0 ? v[0] : -1;
    }

    /** {@code MSR_MISC_FEATURES_ENABLES}: absent on most CPUs, and on the machine model. */
    public static final int MSR_MISC_FEATURES_ENABLES = 0x140;

    /** What {@link #probeMiscFeatures} read, or -1 when the MSR faulted (or the probe has not run). */
    public long miscFeatures() {
        return miscFeatures;
    }

    /**
     * Linux's {@code fixup_exception}, for the kernel's exception handlers: the frame's
     * {@code rip} is looked up in the exception table; with an entry the frame is made to
     * return to its fixup (an MSR accessor's marks the fault for its caller) and this answers
     * true; with none, false, and the handler dies (oops).
     */
    public boolean fixupException(int vector) {
        int e = exceptionTable.search(cpu.frameRip());
        if (e < 0) {
            return false;
        }
        int type = exceptionTable.type(e);
        if (type == ExceptionTable.TYPE_RDMSR_SAFE || type == ExceptionTable.TYPE_WRMSR_SAFE) {
            msrFaulted = true;
        }
        cpu.setFrameRip(exceptionTable.fixup(e));
        fixups++;
        return true;
    }

    /** Faults resumed at an exception-table fixup so far. */
    public long fixups() {
        return fixups;
    }

    /** The kernel's exception table (for tests and the journey). */
    public ExceptionTable exceptionTable() {
        return exceptionTable;
    }

    // ---------------------------------------------------------------- entry points

    /**
     * {@code cpuid}: Xen's signature at {@code 0x40000000} gives {@code "Xen major.minor"} from
     * its version leaf; no hypervisor bit in leaf 1 gives {@code "bare machine"}.
     */
    @Override
    public String platformName() {
        cpuidInto(Platform.CPUID_HYPERVISOR_BASE);
        byte[] sig = new byte[12];
        int[] words = {(int) regs.get(RBX), (int) regs.get(RCX), (int) regs.get(RDX)};
        for (int i = 0; i < 12; i++) {
            sig[i] = (byte) (words[i / 4] >>> (8 * (i % 4)));
        }
        if (new String(sig, java.nio.charset.StandardCharsets.US_ASCII).equals("XenVMMXenVMM")) {
            cpuidInto(Platform.CPUID_XEN_VERSION);
            long v = regs.get(RAX) & 0xFFFF_FFFFL;
            return "Xen " + (v >>> 16) + "." + (v & 0xFFFF);
        }
        cpuidInto(1);
        return (regs.get(RCX) & Platform.CPUID1_ECX_HYPERVISOR) == 0 ? "bare machine" : "an unknown hypervisor";
    }

    /**
     * The event callback as a PVHVM Linux installs it ({@code xen_init_IRQ}'s
     * {@code xen_callback_vector}): an interrupt gate at
     * {@link Platform#HYPERVISOR_CALLBACK_VECTOR} whose handler runs the upcall (Linux's
     * {@code sysvec_xen_hvm_callback}; no EOI, Xen sets no ISR bit for it), then
     * {@code HVMOP_set_param(HVM_PARAM_CALLBACK_IRQ, 2 << 56 | vector)}. No
     * {@code CALLBACKOP_register}.
     */
    @Override
    public void installEventCallback(EventCallback callback) {
        Objects.requireNonNull(callback, "callback");
        installTrapHandler(Platform.HYPERVISOR_CALLBACK_VECTOR, (c, vector, errorCode, address) -> callback.upcall(c));
        long rc = hvmOps.setParam(HvmOp.PARAM_CALLBACK_IRQ, HvmOp.callbackVia(Platform.HYPERVISOR_CALLBACK_VECTOR));
        if (rc < 0) {
            throw new IllegalStateException("HVMOP_set_param(HVM_PARAM_CALLBACK_IRQ) failed: " + rc);
        }
    }

    /**
     * An interrupt gate for {@code vector} in the kernel's IDT (ordinary stores into its own
     * memory, as Linux's {@code set_intr_gate} writes {@code idt_table}): offset 15:0, the
     * kernel's code selector, IST 0, present DPL-0 interrupt gate, offset 31:16, offset 63:32.
     */
    @Override
    public void installTrapHandler(int vector, TrapHandler handler) {
        if (vector < 0 || vector >= IDT_VECTORS) {
            throw new IllegalArgumentException("vector " + vector + " is beyond the IDT's " + IDT_VECTORS + " gates");
        }
        long offset = cpu.registerCode(handler);
        if (offset == 0) {
            throw new IllegalStateException("no code address for the handler of vector " + vector);
        }
        long gate = text + IDT + 16L * vector;
        long low = offset & 0xFFFFL | (long) KERNEL_CS << 16 | (long) INTERRUPT_GATE << 40 | (offset >>> 16 & 0xFFFFL) << 48;
        mem.putLong(gate + 8, offset >>> 32);
        mem.putLong(gate, low);
    }

    /** Where the kernel's IDT is (IDTR's base; for tests and the journey). */
    public long idtAddress() {
        return text + IDT;
    }

    // ---------------------------------------------------------------- the event mask

    /** {@code pushf; pop; cli}: the pop is an ordinary load, only pushf and cli are privileged. */
    @Override
    public boolean saveAndDisableEvents() {
        run(pushf, 1);
        long sp = regs.get(RSP);
        long flags = mem.getLong(sp);
        regs.set(RSP, sp + 8);
        run(cli, 1);
        return (flags & RegisterFile.RFLAGS_IF) != 0;
    }

    /** {@code push; popf} of RFLAGS with IF set, when events were enabled (else nothing). */
    @Override
    public void restoreEvents(boolean enabled) {
        if (!enabled) {
            return;
        }
        long sp = regs.get(RSP) - 8;
        mem.putLong(sp, regs.rflags() | RegisterFile.RFLAGS_IF);
        regs.set(RSP, sp);
        run(popf, 1);
    }

    @Override
    public void safeHalt() {
        run(stiHlt, 2);
    }

    // ---------------------------------------------------------------- page tables

    @Override
    public void setPte(long pteMachineAddress, long pte) {
        long va = tables.tableVa(pteMachineAddress >>> Mmu.PAGE_SHIFT) + (pteMachineAddress & (Mmu.PAGE_SIZE - 1));
        store(va, pte);
    }

    private void store(long va, long value) {
        regs.set(RDI, va);
        regs.set(RSI, value);
        run(storeRdiRsi, 1);
    }

    @Override
    public void setPteForVa(long va, long pte) {
        long l1 = tables.tableOf(va, 1);
        if (l1 < 0) {
            throw new MmuException("no L1 table maps 0x" + Long.toHexString(va), -org.parasol.hypercall.Errno.EINVAL);
        }
        store(tables.tableVa(l1) + 8L * PageTables.index(va, 1), pte);
        flushTlbOne(va);
    }

    /** Native page-table writes take effect at once: nothing to batch. */
    @Override
    public void enterLazyMmu() {
    }

    @Override
    public void leaveLazyMmu() {
    }

    @Override
    public void flushLazyMmu() {
    }

    @Override
    public void switchAddressSpace(Mfn l4) {
        regs.set(RAX, l4.value() << Mmu.PAGE_SHIFT);
        run(movCr3Rax, 1);
    }

    /** {@code mov rax, cr3; mov cr3, rax}: reloading CR3 flushes the (non-global) TLB. */
    @Override
    public void flushTlb() {
        regs.rip(movRaxCr3);
        executed += 2;
        cpu.execute(2);
    }

    @Override
    public void flushTlbOne(long va) {
        regs.set(RDI, va);
        run(invlpgRdi, 1);
    }

    // ---------------------------------------------------------------- time

    @Override
    public long systemTime() {
        return clock.systemTime();
    }

    @Override
    public long wallClock() {
        return clock.wallClockAtBoot() + clock.systemTime();
    }

    /**
     * The LVT timer into TSC-deadline mode at {@link Platform#LOCAL_TIMER_VECTOR}, unmasked: the
     * periodic mode's tick stops. Its expiries reach the kernel through that gate
     * ({@link #useLocalApicTick}).
     */
    @Override
    public void stopPeriodicTick() {
        wrmsr(Platform.MSR_X2APIC_LVT_TIMER, Platform.LVT_TSC_DEADLINE | Platform.LOCAL_TIMER_VECTOR);
    }

    /**
     * Makes the local APIC timer's interrupt the kernel's timer event: an interrupt gate at
     * {@link Platform#LOCAL_TIMER_VECTOR} whose handler ends the interrupt (a {@code wrmsr} of 0
     * to the x2APIC EOI register, first, as Linux's {@code sysvec_apic_timer_interrupt} does)
     * and raises {@code timerEvent}. Call before the first {@link #programTimer}.
     */
    public void useLocalApicTick(Runnable timerEvent) {
        Objects.requireNonNull(timerEvent, "timerEvent");
        installTrapHandler(Platform.LOCAL_TIMER_VECTOR, (c, vector, errorCode, address) -> {
            apicTimerInterrupts++;
            wrmsr(Platform.MSR_X2APIC_EOI, 0);
            timerEvent.run();
        });
    }

    /** Local APIC timer interrupts taken so far. */
    public long apicTimerInterrupts() {
        return apicTimerInterrupts;
    }

    @Override
    public void programTimer(long deadline) {
        if (pitTick) {
            pitDeadline = deadline;
            if (deadline != 0 && !pitRunning) {
                startPit();
            } else if (deadline == 0 && pitRunning) {
                outb(PIT_COMMAND, PIT_CHANNEL0_RATE); // a control word alone stops the count
                pitRunning = false;
            }
            return;
        }
        wrmsr(Platform.MSR_TSC_DEADLINE, deadline == 0 ? 0 : clock.tscAt(deadline));
    }

    /** The PIT's input clock, Hz. */
    private static final int PIT_HZ = 1_193_182;
    /** The tick rate the kernel runs the PIT at (Linux's HZ=1000). */
    public static final int PIT_TICK_HZ = 1000;
    private static final int PIT_CHANNEL0 = 0x40;
    private static final int PIT_COMMAND = 0x43;
    /** Channel 0, low then high byte, mode 2 (rate generator), binary. */
    private static final int PIT_CHANNEL0_RATE = 0x34;

    /**
     * Makes channel 0 of the 8254 PIT the kernel's timer in place of the local APIC's
     * TSC-deadline timer: {@link #programTimer} then runs the PIT at {@value #PIT_TICK_HZ} Hz
     * (mode 2, as Linux's {@code i8253} clock event does in periodic mode) while a deadline is
     * set and stops it when none is, and the IRQ 0 handler raises {@code timerEvent} once the
     * deadline has passed. Timers then fire on the first tick after their deadline.
     */
    public void usePitTick(Runnable timerEvent) {
        this.pitTimerEvent = timerEvent;
        installIrqHandler(0, new Irq0());
        this.pitTick = true;
    }

    /** Whether the PIT is the kernel's timer. */
    public boolean pitTick() {
        return pitTick;
    }

    /** IRQ 0 interrupts (PIT ticks) taken so far. */
    public long pitInterrupts() {
        return pitInterrupts;
    }

    private void startPit() {
        int count = (PIT_HZ + PIT_TICK_HZ / 2) / PIT_TICK_HZ;
        outb(PIT_COMMAND, PIT_CHANNEL0_RATE);
        outb(PIT_CHANNEL0, count & 0xFF);
        outb(PIT_CHANNEL0, count >>> 8);
        pitRunning = true;
    }

    /** The PIT's tick: end the interrupt, and raise the timer event once the deadline has passed. */
    private final class Irq0 implements TrapHandler {
        @Override
        public void trap(Cpu cpu, int vector, long errorCode, long address) {
            pitInterrupts++;
            endOfInterrupt(0);
            long d = pitDeadline;
            if (d != 0 && systemTime() - d >= 0) {
                pitDeadline = 0;
                pitTimerEvent.run();
            }
        }
    }

    // ---------------------------------------------------------------- console and power

    /**
     * The 16550 way: stage the bytes in the data area, then for each FIFO's worth wait for
     * THRE in LSR and {@code rep outsb} it to THR.
     */
    @Override
    public void consoleWrite(MemorySegment bytes, long offset, long length) {
        long done = 0;
        while (done < length) {
            int piece = (int) Math.min(DATA_SIZE, length - done);
            mem.copyFromSegment(bytes, offset + done, text + DATA, piece);
            for (int i = 0; i < piece; i += Platform.UART_FIFO) {
                while ((inb(Platform.COM1 + Platform.UART_LSR) & Platform.LSR_THRE) == 0) {
                    Thread.onSpinWait();
                }
                regs.set(RDX, Platform.COM1 + Platform.UART_THR);
                regs.set(RSI, text + DATA + i);
                regs.set(RCX, Math.min(Platform.UART_FIFO, piece - i));
                run(repOutsb, 1);
            }
            done += piece;
        }
    }

    /**
     * Poweroff is S5 through PM1a control, reboot the reset control register, anything else a
     * panic reported to pvpanic. Does not return.
     */
    @Override
    public void shutdown(int reason) {
        switch (reason) {
            case Shutdown.POWEROFF -> {
                regs.set(RDX, Platform.PM1A_CNT);
                regs.set(RAX, Platform.PM1_SLP_EN);
                run(outDxAx, 1);
            }
            case Shutdown.REBOOT -> outb(Platform.RESET_CONTROL, Platform.RESET_HARD);
            default -> outb(Platform.PVPANIC, Platform.PVPANIC_PANICKED);
        }
        throw new IllegalStateException("the machine did not shut down (reason " + reason + ")");
    }
}
