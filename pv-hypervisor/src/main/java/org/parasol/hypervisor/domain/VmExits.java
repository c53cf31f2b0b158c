package org.parasol.hypervisor.domain;

import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RBX;
import static org.parasol.hypercall.x86.Registers.RCX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RDX;
import static org.parasol.hypercall.x86.Registers.RSI;
import static org.parasol.hypercall.x86.Registers.RSP;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypercall.x86.Decoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.Opcode;
import org.parasol.hypercall.x86.Platform;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypercall.x86.Registers;
import org.parasol.hypervisor.hvm.AtaDisk;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.hvm.Ne2000;
import org.parasol.hypervisor.hvm.PciHostBridge;
import org.parasol.hypervisor.hvm.Pic8259;
import org.parasol.hypervisor.hvm.Pit8254;
import org.parasol.hypervisor.hvm.Qualification;
import org.parasol.hypervisor.hvm.Uart16550;
import org.parasol.hypervisor.hypercall.XenCompat;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.mm.ShadowPageTables;
import org.parasol.hypervisor.mm.VcpuMmu;
import org.parasol.hypervisor.time.TimeScale;
import org.parasol.hypervisor.time.Timers;

/**
 * Trap-and-emulate for one vCPU of a {@link Virtualization#TRAP} domain: the CPU side that
 * turns a privileged instruction into a VM exit, and the hypervisor side that handles it.
 *
 * <pre>
 *   Cpu.execute ─► fetch at rip ─► decode (the CPU's) ─┬─ ordinary load/store: done by the MMU
 *                                                      │    (a write to a write-protected page
 *                                                      │     table faults: #PF exit)
 *                                                      └─ privileged: VM exit {reason, qualification,
 *                                                           instruction length}
 *        exit ─► bookkeeping ─► handler by reason ─► decode again if the exit does not say
 *             enough (#GP, #PF, string I/O) ─► emulate against the registers, CRs, MSRs ─►
 *             device model (UART, ATA disk, 8259 pair, power, APIC timer) / page-table
 *             update ─► resume: rip += length, pending upcalls delivered, then a device
 *             interrupt injected through the IDT (neither in sti's shadow)
 * </pre>
 *
 * <p>The guest is hostile. Every register value and every byte at {@code rip} is the guest's:
 * the fetch goes through the vCPU's MMU and never faults the hypervisor, the decoder accepts
 * any bytes, a string instruction moves at most {@link #STRING_CHUNK} elements per exit (the
 * rest on re-execution, as a CPU resumes an interrupted {@code rep}), a page-table write is
 * validated exactly as {@code mmu_update} validates it. What the machine answers with a fault
 * ({@code #UD}, {@code #GP} from an unknown MSR or a bad CR3, ...) is raised as that exception
 * ({@link #raiseFault}): delivered through the kernel's IDT with {@code rip} left at the
 * faulting instruction, or, before the kernel has loaded an IDT, the domain crashed with the
 * reason on its console; nothing is thrown into the hypervisor.
 *
 * <p>Costs are work: each stage does what it says; {@link #profile} adds two clock reads per
 * stage for the bench's breakdown and is off otherwise. Own thread only; nothing on the path
 * allocates.
 */
public final class VmExits {
    /** Elements a string I/O instruction moves per exit at most. */
    public static final int STRING_CHUNK = 4096;
    /** Stages of the breakdown. */
    public static final int STAGE_EXIT = 0;
    public static final int STAGE_DECODE = 1;
    public static final int STAGE_EMULATE = 2;
    public static final int STAGE_DEVICE = 3;
    public static final int STAGE_SHADOW = 4;
    public static final int STAGE_RESUME = 5;
    /** Stage names, by number. */
    public static final String[] STAGES = {"exit", "decode", "emulate", "device", "shadow", "resume"};

    private static final long RFLAGS_DF = 1L << 10;
    /** RFLAGS bits popf may change here: the arithmetic flags, TF is left out, IF, DF, OF. */
    private static final long POPF_MASK = 0x0CD5L | RegisterFile.RFLAGS_IF;
    private static final long CR0_PG_PE = 1L << 31 | 1L;
    private static final long CR0_WP = 1L << 16;
    private static final long CR0_ET = 1L << 4;
    private static final int MSR_IA32_TSC = 0x10;
    private static final int MSR_IA32_APIC_BASE = 0x1B;
    private static final long APIC_BASE_X2APIC = 0xFEE0_0000L | 1L << 11 | 1L << 10 | 1L << 8;

    private final Vcpu vcpu;
    private final Domain domain;
    private final Host host;
    private final VcpuMmu mmu;
    /** The shadow page tables (trap, bt), or null: the MMU then walks the guest's own. */
    private final ShadowPageTables shadow;
    private final VcpuInfo vcpuInfo;
    private final Uart16550 uart;
    /** The domain's 8259 pair; its interrupts go to vCPU 0 (the BSP, as ExtINT goes on a PC). */
    private final Pic8259 pic;
    /** The domain's PIT, on vCPU 0 (its IRQ 0 goes through the 8259 pair to the BSP), or null. */
    private final Pit8254 pit;
    /** Wakes vCPU 0 from hlt at the PIT's next edge. */
    private final Timers.Timer pitWake;
    /** The bare machine: the instruction takes effect with no exit (see {@link Virtualization#BARE}). */
    private final boolean bare;
    /** Binary translation (see {@link Virtualization#BT}): no exits, decodes served from {@link #tcInsn}. */
    private final boolean translated;
    /** Whether cpuid shows a hypervisor: everywhere but on the bare machine. */
    private final boolean hypervisorVisible;
    private final RegisterFile regs = new RegisterFile();
    /** The registers saved across an injected interrupt's handler. */
    private final long[] interruptFrame = new long[regs.gprs().length];
    private final Decoder decoder = new Decoder();
    /** The CPU's decode buffer (trap, bare). */
    private final Instruction decoded = new Instruction();
    /** The instruction being carried out: {@link #decoded}, or a translation cache entry. */
    private Instruction insn = decoded;
    /** Translation cache entries, direct-mapped by rip. */
    private static final int TC_SIZE = 64;
    private final long[] tcRip = new long[TC_SIZE];
    private final int[] tcLength = new int[TC_SIZE];
    private final Instruction[] tcInsn = new Instruction[TC_SIZE];
    /**
     * Translation cache entries whose store has hit a page table: translated again as a call
     * of the page-table emulation (VMware's adaptive translation of a traced store).
     */
    private final boolean[] tcPageTableStore = new boolean[TC_SIZE];
    /** The translation cache slot being carried out, or -1 (trap, bare). */
    private int tcSlot = -1;
    private long translations;
    private long inlinePageTableStores;
    private final byte[] code = new byte[Decoder.MAX_LENGTH];
    private final MemorySegment codeSegment = MemorySegment.ofArray(code);
    private final byte[] data = new byte[STRING_CHUNK * 4];
    private final MemorySegment dataSegment = MemorySegment.ofArray(data);
    private final MemorySegment word = MemorySegment.ofArray(new long[1]);
    /** A pseudo-descriptor (lidt, sidt) or a gate descriptor (delivery), as read from or written to the guest. */
    private final MemorySegment descriptor = MemorySegment.ofArray(new long[2]);

    // IDTR, and delivery through the IDT it names.
    /** Whether the kernel has loaded an IDT: events are then delivered through it, not the trap table. */
    private boolean idtLoaded;
    private long idtBase;
    private int idtLimit = 0xFFFF;
    /** Interrupts and exceptions nested at most (each a frame on the kernel's stack). */
    static final int MAX_NESTING = 8;
    private final long[][] idtFrames = new long[MAX_NESTING][regs.gprs().length];
    /** The rip each frame returns to (its iret): a handler may move it ({@link #frameRip(long)}). */
    private final long[] idtFrameRip = new long[MAX_NESTING];
    private int nesting;
    /**
     * The instruction being carried out raised a fault that was delivered: it did not complete,
     * so {@code rip} is not moved past it (the handler's frame decided where it resumes).
     */
    private boolean faulted;
    /** Exceptions raised by instructions and delivered through the IDT, by vector. */
    private final long[] exceptionsRaised = new long[32];
    /** What the last gate check found: the fault's error code or address, the gate's target and kind. */
    private long gateError;
    private long gateFaultAddress;
    private long gateTarget;
    private boolean gateIsTrap;
    /** Resolved gate targets, by vector: a target is looked up in the code table once. */
    private final long[] gateCacheTarget = new long[256];
    private final TrapHandler[] gateCacheHandler = new TrapHandler[256];
    private long idtDeliveries;
    private long cr2;
    /** The instruction-information field of the last GDTR/IDTR exit. */
    private long instructionInfo;

    // The exit the CPU side filled in.
    private ExitReason reason;
    private long qualification;
    private int vector;
    private int length;

    // Emulated state beyond the register file.
    private long cr0 = Platform.CR0_RUNNING;
    private long cr4 = Platform.CR4_RUNNING;
    private long tscDeadline;
    private long lvtTimer = Platform.LVT_MASKED;

    // The local APIC, as far as its timer goes: IRR for the timer's vector, ISR, EOI.
    /** The timer's IRR bit: set by the timer thread at expiry, taken at an instruction boundary. */
    private volatile boolean timerIrr;
    /** The LVT's mask, for the timer thread: an expiry while masked is lost. */
    private volatile boolean lvtMasked = true;
    /** The deadline has passed (the timer disarmed itself): IA32_TSC_DEADLINE reads 0. */
    private volatile boolean deadlineExpired;
    /** ISR, a bit per vector: interrupts delivered and not yet ended by an EOI. Own thread. */
    private final long[] isr = new long[4];
    private long timerInterrupts;
    private long callbackInterrupts;
    /** IF when the vCPU has no vcpu_info slot to mirror it in. */
    private boolean interruptsOn;
    /** The instruction just emulated was sti: no upcall before the next one completes. */
    private boolean stiShadow;

    // Counters: own thread only.
    private final long[] exitsByReason = new long[ExitReason.values().length];
    private long exceptionExits;
    private long instructions;
    private long decodes;
    private boolean profile;
    private final long[] stageNanos = new long[STAGES.length];
    private long stamp;

    VmExits(Vcpu vcpu, Domain domain, Host host, Uart16550 uart) {
        this.vcpu = vcpu;
        this.domain = domain;
        this.host = host;
        this.mmu = vcpu.mmu();
        this.shadow = mmu.shadow();
        this.vcpuInfo = vcpu.vcpuInfo();
        this.uart = uart;
        this.pic = vcpu.id() == 0 ? domain.pic() : null;
        this.pit = vcpu.id() == 0 ? domain.pit() : null;
        this.pitWake = pit != null ? host.timers().newTimer(() -> vcpu.sched().wake()) : null;
        Virtualization virt = domain.config().virt();
        this.translated = virt == Virtualization.BT;
        this.bare = virt == Virtualization.BARE || translated;
        this.hypervisorVisible = virt != Virtualization.BARE;
        for (int i = 0; i < TC_SIZE; i++) {
            tcInsn[i] = new Instruction();
            tcRip[i] = -1;
        }
    }

    /** The vCPU's registers (what the guest's {@code Cpu.registers()} returns). */
    RegisterFile registers() {
        return regs;
    }

    // ---------------------------------------------------------------- the CPU side

    /** Runs {@code count} instructions from {@code rip}, as {@code Cpu.execute} promises. */
    void execute(int count) {
        for (int i = 0; i < count; i++) {
            if (profile) {
                stamp = System.nanoTime();
                if (shadow != null) {
                    // Hidden faults the kernel's own loads and stores took since the last instruction.
                    stageNanos[STAGE_SHADOW] += shadow.takeNanos();
                }
            }
            step();
            vcpu.checkAlive();
            boolean shadow = stiShadow && i + 1 < count;
            stiShadow = false;
            if (!shadow) {
                vcpu.returnToGuest();
                injectInterrupt();
            }
            if (profile) {
                lap(STAGE_RESUME);
            }
        }
    }

    /**
     * Runs {@code count} instructions the translated way ({@code Translation.execute}): as
     * {@link #execute}, but each {@code rip} is looked up in the translation cache first; only
     * the first run of an instruction (or one evicted from the cache) is fetched and decoded.
     * No exit is recorded. The kernel's privileged text is assumed not to change under its
     * translations, as VMware's translator write-protected the pages it had translated;
     * {@code NativeOps} never rewrites its text, and a kernel that did would only run its own
     * old instructions (each still validated as it is emulated).
     */
    void executeTranslated(int count) {
        for (int i = 0; i < count; i++) {
            long rip = regs.rip();
            faulted = false;
            int slot = (int) (rip ^ rip >>> 6) & (TC_SIZE - 1);
            if (tcRip[slot] != rip) {
                tcRip[slot] = -1;
                int got = fetch(rip);
                int n = got <= 0 ? got : decoder.decode(code, 0, got, tcInsn[slot]);
                if (n > 0) {
                    tcRip[slot] = rip;
                    tcLength[slot] = n;
                    tcPageTableStore[slot] = false;
                    translations++;
                } else {
                    // Nothing to translate: the translator emits the fault the CPU would raise there.
                    undecodable(rip, got, n, " (translation)");
                }
            }
            if (tcRip[slot] == rip) {
                insn = tcInsn[slot];
                tcSlot = slot;
                try {
                    if (tcPageTableStore[slot]) {
                        pageTableStoreInline(rip, tcLength[slot]);
                    } else {
                        carryOut(rip, tcLength[slot]);
                    }
                } finally {
                    insn = decoded;
                    tcSlot = -1;
                }
            }
            vcpu.checkAlive();
            boolean shadow = stiShadow && i + 1 < count;
            stiShadow = false;
            if (!shadow) {
                vcpu.returnToGuest();
                injectInterrupt();
            }
        }
    }

    /**
     * Interrupt injection at the instruction boundary: with IF set and the 8259 pair's INT
     * raised, the INTA cycle gives the vector, delivered through the IDT ({@link #deliver}) once
     * the kernel has loaded one; before that the trap table's handler for it runs with IF
     * clear (an interrupt gate), IF set again when it returns (its {@code iret}). Not in
     * {@code sti}'s shadow (the caller sees to that).
     */
    private void injectInterrupt() {
        if (pit != null && pit.armed() && pit.takeEdges(host.systemTime()) > 0) {
            // Channel 0's OUT rose: an edge on IRQ 0 (edges the 8259 cannot tell apart are one).
            pic.setIrq(Pit8254.IRQ, true);
            pic.setIrq(Pit8254.IRQ, false);
        }
        if (pic == null || !pic.pending() || !interrupts()) {
            injectLocalApic(); // after the 8259 pair's ExtINT, as Xen's hvm_vcpu_has_pending_irq orders them
            return;
        }
        int vector = pic.acknowledge();
        if (idtLoaded) {
            deliver(vector, 0, 0, true);
            return;
        }
        // No IDT loaded (a kernel on its way there): the trap table's handler, as an interrupt gate.
        // The interrupt frame and the handler's register saves: what iret and the handler's
        // epilogue give back, whatever the handler's own instructions left in the registers.
        long[] gprs = regs.gprs();
        System.arraycopy(gprs, 0, interruptFrame, 0, gprs.length);
        long rip = regs.rip();
        long rflags = regs.rflags();
        setInterrupts(false);
        try {
            vcpu.traps().deliverInterrupt(vector);
        } finally {
            System.arraycopy(interruptFrame, 0, gprs, 0, gprs.length);
            regs.rip(rip);
            regs.rflags(rflags);
            setInterrupts(true);
        }
    }

    private void step() {
        faulted = false;
        long rip = regs.rip();
        int got = fetch(rip);
        int n = got <= 0 ? got : decoder.decode(code, 0, got, insn);
        if (n <= 0) {
            undecodable(rip, got, n, "");
            return;
        }
        carryOut(rip, n);
    }

    /**
     * Bytes at {@code rip} that are no instruction of the subset: {@code #GP(0)} for one longer
     * than 15 bytes, {@code #UD} for the rest (the bytes end inside the instruction only at the
     * end of a mapped run, which the model takes for {@code #UD} too); a fetch that fails
     * crashes the domain as before.
     */
    private void undecodable(long rip, int got, int n, String how) {
        if (got <= 0) {
            throw vcpu.crashFromGuestPath("#UD at rip " + hex(rip) + how + ": " + bytes(got));
        }
        if (n == Decoder.GP) {
            raiseFault(13, 0, "#GP: an instruction longer than 15 bytes at rip " + hex(rip) + how);
        } else {
            raiseFault(6, 0, "#UD at rip " + hex(rip) + how + ": not an instruction of the privileged subset ("
                    + bytes(got) + ")");
        }
    }

    /** The decoded instruction {@link #insn} of {@code n} bytes at {@code rip}: executed, or a VM exit. */
    private void carryOut(long rip, int n) {
        instructions++;
        length = n;
        switch (insn.opcode()) {
            case MOV_STORE, MOV_LOAD, CMPXCHG -> memoryAccess(rip);
            case CLI, STI, PUSHF, POPF -> exit(ExitReason.EXCEPTION_NMI, 0, 13);
            case HLT -> exit(ExitReason.HLT, 0, 0);
            case CPUID -> exit(ExitReason.CPUID, 0, 0);
            case RDTSC -> exit(ExitReason.RDTSC, 0, 0);
            case RDMSR -> exit(ExitReason.MSR_READ, 0, 0);
            case WRMSR -> exit(ExitReason.MSR_WRITE, 0, 0);
            case INVLPG -> exit(ExitReason.INVLPG, insn.effectiveAddress(regs.gprs(), rip + n) + segmentBase(), 0);
            case LIDT, SIDT -> {
                // Descriptor-table exiting: the displacement (with RIP, RIP-relative) and the
                // instruction information say all the hypervisor needs; no decode after the exit.
                boolean ripRelative = insn.ripRelative();
                instructionInfo = Qualification.descriptorTable(
                        insn.opcode() == Opcode.LIDT ? Qualification.DT_LIDT : Qualification.DT_SIDT, insn.scale(),
                        insn.adBytes(), insn.segment() == Instruction.NONE ? Instruction.DS : insn.segment(),
                        insn.index(), ripRelative ? Instruction.NONE : insn.base());
                exit(ExitReason.GDTR_IDTR, ripRelative ? insn.disp() + rip + n : insn.disp(), 0);
            }
            case MOV_TO_CR -> exit(ExitReason.CR_ACCESS,
                    Qualification.crAccess(insn.modrmReg(), Qualification.MOV_TO_CR, insn.rmRegister()), 0);
            case MOV_FROM_CR -> exit(ExitReason.CR_ACCESS,
                    Qualification.crAccess(insn.modrmReg(), Qualification.MOV_FROM_CR, insn.rmRegister()), 0);
            case IN, OUT, INS, OUTS -> {
                Opcode op = insn.opcode();
                boolean immediate = insn.port() != Instruction.NONE;
                int port = immediate ? insn.port() : (int) regs.get(RDX) & 0xFFFF;
                exit(ExitReason.IO_INSTRUCTION, Qualification.io(insn.opBytes(), op == Opcode.IN || op == Opcode.INS,
                        op == Opcode.INS || op == Opcode.OUTS, insn.rep(), immediate, port), 0);
            }
        }
    }

    /** Up to 15 bytes at {@code rip} (fewer at the end of a mapped run), or -1 if none can be read. */
    private int fetch(long rip) {
        if (mmu.copyFromGuest(rip, codeSegment, 0, code.length)) {
            return code.length;
        }
        int toPageEnd = (int) (MachineMemory.PAGE_SIZE - (rip & (MachineMemory.PAGE_SIZE - 1)));
        int n = Math.min(code.length, toPageEnd);
        return mmu.copyFromGuest(rip, codeSegment, 0, n) ? n : -1;
    }

    /**
     * An ordinary memory instruction: the MMU does it, unless it is a store that faults on a
     * present, write-protected page — the page-table write a shadowing hypervisor traps.
     */
    private void memoryAccess(long rip) {
        long ea = insn.effectiveAddress(regs.gprs(), rip + length) + segmentBase();
        int w = insn.opBytes();
        if (insn.opcode() == Opcode.MOV_LOAD) {
            regs.set(insn.modrmReg(), load(ea, w));
            regs.rip(rip + length);
            return;
        }
        if (insn.opcode() == Opcode.CMPXCHG) {
            throw vcpu.crashFromGuestPath("cmpxchg at rip " + hex(rip) + " is not emulated yet");
        }
        if (mmu.translate(ea, true) >= 0) {
            store(ea, w, insn.hasImmediate() ? insn.immediate() : regs.get(insn.modrmReg()));
            regs.rip(rip + length);
            return;
        }
        if (mmu.translate(ea, false) >= 0) {
            if (tcSlot >= 0) {
                tcPageTableStore[tcSlot] = true; // from now on this store calls the emulation inline
            }
            exit(ExitReason.EXCEPTION_NMI, ea, 14);
            return;
        }
        vcpu.pageFault(ea, VcpuMmu.PF_WRITE); // not present: the guest's own fault
    }

    /**
     * A translated store that has hit a page table before ({@link #tcPageTableStore}): the
     * translation calls the page-table emulation directly — no exit, no write attempt through
     * the MMU, no decode — as VMware's translator, having seen a store trace-fault, translated
     * it again into a call of its emulation (Adams and Agesen's 391 cycles). If the target is
     * no longer one of the domain's page tables, the store is carried out as an ordinary one.
     */
    private void pageTableStoreInline(long rip, int n) {
        instructions++;
        length = n;
        long ea = insn.effectiveAddress(regs.gprs(), rip + n) + segmentBase();
        long ma = insn.opcode() == Opcode.MOV_STORE ? mmu.translate(ea, false) : -1;
        if (ma < 0 || !ownPageTable(ma >>> MachineMemory.PAGE_SHIFT)) {
            memoryAccess(rip);
            return;
        }
        inlinePageTableStores++;
        pageTableWrite(ea, ma, insn.opBytes(), insn.hasImmediate() ? insn.immediate() : regs.get(insn.modrmReg()));
        if (faulted) {
            faulted = false;
            return; // the store faulted: rip stays at it
        }
        regs.rip(rip + n);
    }

    private boolean ownPageTable(long mfn) {
        FrameTable frames = host.frames();
        return frames.owner(mfn) == domain.domid() && FrameTable.isPageTableType(FrameTable.pageType(frames.typeInfo(mfn)));
    }

    private long load(long va, int w) {
        return switch (w) {
            case 1 -> mmu.getByte(va) & 0xFFL;
            case 2 -> mmu.getShort(va) & 0xFFFFL;
            case 4 -> mmu.getInt(va) & 0xFFFF_FFFFL;
            default -> mmu.getLong(va);
        };
    }

    private void store(long va, int w, long v) {
        switch (w) {
            case 1 -> mmu.putByte(va, (byte) v);
            case 2 -> mmu.putShort(va, (short) v);
            case 4 -> mmu.putInt(va, (int) v);
            default -> mmu.putLong(va, v);
        }
    }

    /** FS and GS have no base in this model; the others are flat in 64-bit mode. */
    private static long segmentBase() {
        return 0;
    }

    // ---------------------------------------------------------------- the hypervisor side

    /** The VM exit: the CPU filled in why; bookkeeping, then the handler for the reason. */
    private void exit(ExitReason why, long q, int vec) {
        reason = why;
        qualification = q;
        vector = vec;
        if (!bare) {
            exitsByReason[why.ordinal()]++;
            if (why == ExitReason.EXCEPTION_NMI) {
                exceptionExits++;
            }
        }
        if (profile) {
            lap(STAGE_EXIT);
        }
        switch (why) {
            case EXCEPTION_NMI -> exception();
            case CPUID -> cpuid();
            case HLT -> hlt();
            case RDTSC -> rdtsc();
            case MSR_READ -> rdmsr();
            case MSR_WRITE -> wrmsr();
            case INVLPG -> {
                mmu.invlpg(qualification);
                lapIfProfiling(STAGE_EMULATE);
            }
            case CR_ACCESS -> crAccess();
            case IO_INSTRUCTION -> io();
            case GDTR_IDTR -> descriptorTable();
        }
        if (faulted) {
            faulted = false; // the fault's frame says where the kernel goes on
            return;
        }
        regs.rip(regs.rip() + length);
    }

    /**
     * The instruction at {@code rip} raises fault {@code vec} with {@code errorCode} (0 where the
     * exception has none): with an IDT loaded it is delivered through it ({@link #deliver}) with
     * the registers as the CPU leaves them for a fault — nothing the instruction would have
     * written is written, {@code rip} at the instruction — and the instruction does not
     * complete: the kernel goes on where the handler's frame returns to (the same instruction,
     * or its exception-table fixup). With no IDT loaded, the domain is crashed with
     * {@code cause}, as before the kernel has a handler for anything. Same outcome under trap,
     * bt and bare: each reaches this from the same emulation.
     */
    private void raiseFault(int vec, long errorCode, String cause) {
        if (!idtLoaded) {
            throw vcpu.crashFromGuestPath(cause);
        }
        exceptionsRaised[vec & 31]++;
        deliver(vec, errorCode, 0, false);
        faulted = true; // after delivery: the handler's own instructions went through exit() themselves
    }

    /** Exceptions of {@code vector} (0-31) raised by instructions and delivered through the IDT. */
    public long exceptionsRaised(int vector) {
        return exceptionsRaised[vector & 31];
    }

    /** Whether a handler run through the IDT is running (there is a frame to return to). */
    boolean inFrame() {
        return nesting > 0;
    }

    /**
     * The rip the innermost interrupt or exception frame returns to (what its {@code iret}
     * pops); only while {@link #inFrame}.
     */
    long frameRip() {
        return idtFrameRip[Math.max(nesting - 1, 0)];
    }

    /**
     * Makes the innermost frame return to {@code rip}, as Linux's {@code fixup_exception}
     * writes {@code regs->ip}; false (nothing changed) outside any handler run through the IDT.
     * Any value is taken: a rip with no instruction faults when it is fetched, as after a real
     * {@code iret}.
     */
    boolean frameRip(long rip) {
        if (nesting == 0) {
            return false;
        }
        idtFrameRip[nesting - 1] = rip;
        return true;
    }

    /** {@code #GP} (cli, sti, pushf, popf) or {@code #PF} on a page table: decode to know more. */
    private void exception() {
        long rip = regs.rip();
        if (vector == 14) {
            redecode(rip);
            long value = insn.hasImmediate() ? insn.immediate() : regs.get(insn.modrmReg());
            pageTableWrite(qualification, mmu.translate(qualification, false), insn.opBytes(), value);
            return;
        }
        redecode(rip);
        switch (insn.opcode()) {
            case CLI -> setInterrupts(false);
            case STI -> {
                setInterrupts(true);
                stiShadow = true;
            }
            case PUSHF -> {
                long flags = regs.rflags() & ~RegisterFile.RFLAGS_IF | (interrupts() ? RegisterFile.RFLAGS_IF : 0);
                int w = insn.opBytes() == 2 ? 2 : 8;
                long sp = regs.get(RSP) - w;
                word.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, flags);
                if (!mmu.copyToGuest(word, 0, sp, w)) {
                    pageFault(sp, VcpuMmu.PF_WRITE);
                    return;
                }
                regs.set(RSP, sp);
            }
            case POPF -> {
                int w = insn.opBytes() == 2 ? 2 : 8;
                long sp = regs.get(RSP);
                word.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L);
                if (!mmu.copyFromGuest(sp, word, 0, w)) {
                    pageFault(sp, 0);
                    return;
                }
                long v = word.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                regs.set(RSP, sp + w);
                regs.rflags(regs.rflags() & ~POPF_MASK | v & POPF_MASK);
                setInterrupts((v & RegisterFile.RFLAGS_IF) != 0);
            }
            default -> {
                raiseFault(13, 0, "#GP at rip " + hex(rip) + " (" + insn.toIntelSyntax() + ")");
                return;
            }
        }
        lapIfProfiling(STAGE_EMULATE);
    }

    /**
     * A {@code #PF} the emulation of the current instruction met (its stack, its memory
     * operand, a page-table store refused): delivered, and the instruction does not complete.
     */
    private void pageFault(long va, int errorCode) {
        vcpu.pageFault(va, errorCode);
        faulted = true;
    }

    /** The hypervisor's own decode of the instruction at {@code rip} (the exit did not say enough). */
    private void redecode(long rip) {
        if (bare) {
            return; // no hypervisor: the CPU's own decode is what carries the instruction out
        }
        int got = fetch(rip);
        if (got <= 0 || decoder.decode(code, 0, got, insn) != length) {
            // The guest changed its own code between the exit and the decode: retry it.
            throw vcpu.crashFromGuestPath("the instruction at rip " + hex(rip) + " changed under its VM exit");
        }
        decodes++;
        lapIfProfiling(STAGE_DECODE);
    }

    /**
     * A store into one of the domain's own page tables, trapped because they are mapped
     * read-only: validated and applied as {@code mmu_update} applies an entry (any level),
     * else the fault is the guest's.
     */
    private void pageTableWrite(long va, long ma, int width, long value) {
        if (ma < 0 || width != 8 || (va & 7) != 0 || !ownPageTable(ma >>> MachineMemory.PAGE_SHIFT)) {
            pageFault(va, VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE);
            return;
        }
        long generation = domain.pages().pageTableGeneration();
        long rc = host.pageTables().updateEntry(domain.pages(), domain.domid(), ma, value, false, mmu.deferred());
        if (rc == 0 && shadow != null) {
            shadow.entryWritten(ma, generation); // the shadow of this slot is dropped, refilled lazily
        }
        lapIfProfiling(STAGE_SHADOW);
        if (rc != 0) {
            pageFault(va, VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE);
            return;
        }
        vcpu.releaseDeferredPuts();
        vcpu.countPtwrEmulation();
    }

    private void cpuid() {
        long leaf = regs.get(RAX) & 0xFFFF_FFFFL;
        long a = 0;
        long b = 0;
        long c = 0;
        long d = 0;
        if (leaf == 0) {
            a = 1;
            b = ascii("Para");
            d = ascii("solV");
            c = ascii("CPU ");
        } else if (leaf == 1) {
            c = hypervisorVisible ? Platform.CPUID1_ECX_HYPERVISOR & 0xFFFF_FFFFL : 0;
            d = 1L << 4 | 1L << 5 | 1L << 9; // TSC, MSR, APIC
        } else if (!hypervisorVisible) {
            a = 0; // no hypervisor leaves on the bare machine
        } else if (leaf == Platform.CPUID_HYPERVISOR_BASE) {
            a = Platform.CPUID_XEN_VERSION;
            b = ascii("XenV");
            c = ascii("MMXe");
            d = ascii("nVMM");
        } else if (leaf == Platform.CPUID_XEN_VERSION) {
            a = (long) XenCompat.MAJOR << 16 | XenCompat.MINOR;
        }
        regs.set(RAX, a);
        regs.set(RBX, b);
        regs.set(RCX, c);
        regs.set(RDX, d);
        lapIfProfiling(STAGE_EMULATE);
    }

    private static long ascii(String four) {
        return four.charAt(0) | four.charAt(1) << 8 | four.charAt(2) << 16 | (long) four.charAt(3) << 24;
    }

    /**
     * {@code hlt}: blocks until an event is pending; an interrupt the 8259 pair holds ends it at
     * once (it is injected as the instruction completes). With interrupts off it would never wake.
     */
    private void hlt() {
        if (!interrupts()) {
            throw vcpu.crashFromGuestPath("hlt with interrupts disabled at rip " + hex(regs.rip())
                    + ": the vCPU would never wake");
        }
        lapIfProfiling(STAGE_EMULATE);
        if (interruptWaiting()) {
            return;
        }
        long edge = pit != null && pit.armed() ? pit.nextEdge(host.systemTime()) : -1;
        if (edge >= 0) {
            pitWake.set(host.clockTimeOf(edge)); // the halt ends at the PIT's next edge
        }
        try {
            vcpu.sched().block();
        } finally {
            if (edge >= 0) {
                pitWake.stop();
            }
        }
    }

    /**
     * Whether a device interrupt waits: the 8259 pair's INT, a PIT edge not yet passed to it,
     * or the local APIC timer's (deliverable once nothing of its priority is in service).
     */
    boolean interruptWaiting() {
        return timerIrr && localApicAccepts((int) lvtTimer & 0xFF)
                || pic != null && (pic.pending() || pit != null && pit.armed() && pit.edgesWaiting(host.systemTime()));
    }

    private void rdtsc() {
        long tsc = host.timeScale().tscAt(host.systemTime());
        regs.set(RAX, tsc & 0xFFFF_FFFFL);
        regs.set(RDX, tsc >>> 32);
        lapIfProfiling(STAGE_EMULATE);
    }

    private void rdmsr() {
        int msr = (int) regs.get(RCX);
        long v = switch (msr) {
            case Platform.MSR_TSC_DEADLINE -> deadlineExpired ? 0 : tscDeadline;
            case Platform.MSR_X2APIC_LVT_TIMER -> lvtTimer;
            case MSR_IA32_TSC -> host.timeScale().tscAt(host.systemTime());
            case MSR_IA32_APIC_BASE -> APIC_BASE_X2APIC;
            default -> {
                raiseFault(13, 0, "#GP: rdmsr of unknown MSR " + hex(msr & 0xFFFF_FFFFL));
                yield -1L;
            }
        };
        if (faulted) {
            return; // RAX and RDX as they were
        }
        regs.set(RAX, v & 0xFFFF_FFFFL);
        regs.set(RDX, v >>> 32);
        lapIfProfiling(STAGE_EMULATE);
    }

    private void wrmsr() {
        int msr = (int) regs.get(RCX);
        long v = (regs.get(RDX) & 0xFFFF_FFFFL) << 32 | regs.get(RAX) & 0xFFFF_FFFFL;
        switch (msr) {
            case Platform.MSR_TSC_DEADLINE -> {
                tscDeadline = v;
                deadlineExpired = false;
                lapIfProfiling(STAGE_EMULATE);
                armDeadline();
                lapIfProfiling(STAGE_DEVICE);
            }
            case Platform.MSR_X2APIC_LVT_TIMER -> {
                long mode = lvtTimer >>> 17 & 3;
                lvtTimer = v & 0xFFFF_FFFFL;
                lvtMasked = (lvtTimer & Platform.LVT_MASKED) != 0;
                lapIfProfiling(STAGE_EMULATE);
                // Leaving periodic mode (or masking) stops the tick the vCPU started with.
                if (lvtMasked || (lvtTimer >>> 17 & 3) != 1) {
                    vcpu.timers().stopPeriodic();
                }
                if ((lvtTimer >>> 17 & 3) != mode) {
                    // A change of mode disarms the timer (SDM 11.5.4.1); the mask alone does not.
                    tscDeadline = 0;
                    armDeadline();
                }
                lapIfProfiling(STAGE_DEVICE);
            }
            case Platform.MSR_X2APIC_EOI -> {
                endOfInterrupt(v);
                lapIfProfiling(STAGE_DEVICE);
            }
            default -> raiseFault(13, 0, "#GP: wrmsr of unknown MSR " + hex(msr & 0xFFFF_FFFFL));
        }
    }

    /**
     * The local APIC timer in TSC-deadline mode: a deadline of 0, or another mode, disarms it.
     * It counts whether the LVT is masked or not; its expiry is an interrupt at the LVT's vector
     * ({@link #localTimerExpired}), not {@code VIRQ_TIMER}, or nothing while masked.
     */
    private void armDeadline() {
        boolean deadlineMode = (lvtTimer >>> 17 & 3) == 2;
        if (!deadlineMode || tscDeadline == 0) {
            vcpu.timers().stopLocalApic();
            return;
        }
        TimeScale ts = host.timeScale();
        long ns = TimeScale.scaleDelta(tscDeadline, ts.mul(), ts.shift());
        vcpu.timers().setLocalApic(Math.max(ns, 1));
    }

    // ---------------------------------------------------------------- the local APIC's interrupts

    /**
     * The timer thread: the TSC deadline passed; the timer disarms itself (the deadline MSR
     * reads 0). Unless the LVT is masked (the interrupt is then lost), sets the timer's IRR bit
     * and wakes the vCPU;
     * the interrupt is injected at its next instruction boundary with IF set
     * ({@link #injectLocalApic}). Never waits on anything.
     */
    void localTimerExpired() {
        deadlineExpired = true;
        if (!lvtMasked) {
            timerIrr = true;
            vcpu.sched().wake();
        }
    }

    /**
     * The local APIC's pending interrupt (its timer), injected through the IDT as an external
     * interrupt: the timer's vector from the LVT, set in ISR until the kernel's EOI. A vector
     * below 16 is illegal to an APIC (a receive-illegal-vector error): it is dropped. A vector
     * whose priority class (bits 7:4) is not above the highest one in service waits for the EOI,
     * as PPR holds it (TPR is 0).
     */
    private void injectLocalApic() {
        if (!timerIrr || !interrupts()) {
            return;
        }
        int vec = (int) lvtTimer & 0xFF;
        if (vec < 16) {
            timerIrr = false;
            return;
        }
        if (!localApicAccepts(vec)) {
            return;
        }
        timerIrr = false;
        isr[vec >>> 6] |= 1L << vec;
        timerInterrupts++;
        deliver(vec, 0, 0, true);
    }

    /** Whether a vector's priority class is above the highest in service (PPR with TPR 0). */
    private boolean localApicAccepts(int vec) {
        int inService = highestInService();
        return inService < 0 || vec >>> 4 > inService >>> 4;
    }

    private int highestInService() {
        for (int i = 3; i >= 0; i--) {
            if (isr[i] != 0) {
                return i * 64 + 63 - Long.numberOfLeadingZeros(isr[i]);
            }
        }
        return -1;
    }

    /**
     * The x2APIC {@code EOI} register ({@code 0x80B}): a write of 0 ends the highest-priority
     * interrupt in service; any other value is {@code #GP(0)}, as the SDM says of x2APIC mode,
     * raised as a refused MSR's is. With nothing in service it does nothing.
     */
    private void endOfInterrupt(long value) {
        if (value != 0) {
            raiseFault(13, 0, "#GP(0): wrmsr of " + hex(value) + " to the x2APIC EOI register at rip " + hex(regs.rip()));
            return;
        }
        int vec = highestInService();
        if (vec >= 0) {
            isr[vec >>> 6] &= ~(1L << vec);
        }
    }

    /**
     * Event upcalls as an external interrupt at {@code vector}, the one the domain set with
     * {@code HVM_PARAM_CALLBACK_IRQ} (type vector): while {@code evtchn_upcall_pending} is set
     * and IF is set ({@code evtchn_upcall_mask} clear — the same semantics as the PV upcall),
     * the vector is delivered through the IDT ({@link #deliver}, EXT set). As Xen's
     * {@code hvm_vcpu_has_pending_irq} treats it, it is level-triggered on the pending flag,
     * above the 8259 pair and the local APIC, and never set in ISR (no EOI is due). A vector
     * below 16 is illegal to the local APIC and never delivered. The vCPU's thread, at a
     * return-to-guest point (not in {@code sti}'s shadow).
     */
    void deliverCallbackVector(int vector) {
        if (vector < 16 || vcpuInfo == null) {
            return;
        }
        while (vcpuInfo.upcallPendingAcquire() != 0 && interrupts()) {
            // A handler that leaves the flag set runs again; each round is a safe point, so a
            // guest spinning here still gives up its pCPU and can be destroyed.
            if (vcpu.pollWord().pending() != 0) {
                vcpu.safePoint();
            }
            vcpu.checkAlive();
            callbackInterrupts++;
            deliver(vector, 0, 0, true);
        }
    }

    /** The x2APIC LVT timer register as the kernel last wrote it (masked, one-shot at reset). */
    public long lvtTimer() {
        return lvtTimer;
    }

    /** Local APIC timer interrupts delivered through the IDT so far. */
    public long timerInterrupts() {
        return timerInterrupts;
    }

    /** Event upcalls delivered at the callback vector through the IDT so far. */
    public long callbackInterrupts() {
        return callbackInterrupts;
    }

    /** Whether the local APIC has {@code vector} in service (delivered, not yet ended by an EOI). */
    public boolean inService(int vector) {
        return (isr[(vector & 0xFF) >>> 6] & 1L << vector) != 0;
    }

    private void crAccess() {
        int cr = Qualification.crNumber(qualification);
        int gpr = Qualification.crGpr(qualification);
        if (Qualification.crType(qualification) == Qualification.MOV_FROM_CR) {
            regs.set(gpr, switch (cr) {
                case Registers.CR0 -> cr0;
                case Registers.CR3 -> vcpu.baseMfn() << MachineMemory.PAGE_SHIFT;
                case Registers.CR4 -> cr4;
                case Registers.CR2 -> cr2;
                default -> 0L; // CR8 (TPR 0)
            });
            lapIfProfiling(STAGE_EMULATE);
            return;
        }
        long v = regs.get(gpr);
        switch (cr) {
            case Registers.CR0 -> {
                if ((v & CR0_PG_PE) != CR0_PG_PE) {
                    // Clearing PG in IA-32e mode, or PE with PG set, is #GP(0) on the CPU.
                    raiseFault(13, 0, "#GP: mov to cr0 of " + hex(v) + " would leave paging");
                    return;
                }
                if ((v & CR0_WP) == 0) {
                    throw vcpu.crashFromGuestPath("mov to cr0 of " + hex(v) + ": clearing WP is not emulated");
                }
                cr0 = v | CR0_ET; // ET is hard-wired to 1
            }
            case Registers.CR4 -> {
                if (((v ^ cr4) & 1L << 7) != 0) {
                    mmu.flushTlb(); // toggling PGE flushes global entries too
                }
                cr4 = v;
            }
            case Registers.CR3 -> newCr3(v);
            default -> {
                // CR2 and CR8 are accepted and have no effect here
            }
        }
        lapIfProfiling(STAGE_EMULATE);
    }

    /** {@code mov cr3}: the same table flushes the TLB; another must validate as this domain's L4. */
    private void newCr3(long value) {
        long mfn = (value & 0x000F_FFFF_FFFF_F000L) >>> MachineMemory.PAGE_SHIFT;
        if (mfn == vcpu.baseMfn()) {
            mmu.flushTlb();
            return;
        }
        PageTables pt = host.pageTables();
        long rc = pt.getBaseRef(domain.pages(), mfn);
        if (rc != 0) {
            raiseFault(13, 0, "#GP: mov to cr3 of " + hex(value) + ", not an L4 table of this domain");
            return;
        }
        long old = mmu.baseRef();
        mmu.setBaseRef(mfn);
        vcpu.setBaseMfn(mfn);
        mmu.flushTlb();
        if (shadow != null) {
            shadow.switchTo(mfn); // the shadow of the new L4, built if it has none
            lapIfProfiling(STAGE_SHADOW);
        }
        if (old >= 0) {
            pt.putBaseRef(domain.pages(), old, mmu.deferred());
        }
        vcpu.releaseDeferredPuts();
    }

    private void io() {
        long q = qualification;
        int port = Qualification.ioPort(q);
        int size = Qualification.ioSize(q);
        if (!Qualification.ioString(q)) {
            if (Qualification.ioIn(q)) {
                long v = portRead(port, size);
                long keep = size == 4 ? 0 : regs.get(RAX) & ~((1L << (8 * size)) - 1);
                regs.set(RAX, keep | v); // a 32-bit in zero-extends into RAX
            } else {
                portWrite(port, size, regs.get(RAX));
            }
            lapIfProfiling(STAGE_DEVICE);
            return;
        }
        // String I/O: where the data is and how many elements the exit does not say.
        redecode(regs.rip());
        boolean rep = Qualification.ioRep(q);
        long mask = insn.adBytes() == 4 ? 0xFFFF_FFFFL : -1L;
        long count = rep ? regs.get(RCX) & mask : 1;
        if (count == 0) {
            return;
        }
        int n = (int) Math.min(count, STRING_CHUNK);
        boolean down = (regs.rflags() & RFLAGS_DF) != 0;
        int addrReg = Qualification.ioIn(q) ? RDI : RSI;
        long addr = regs.get(addrReg) & mask;
        long bytes = (long) n * size;
        long first = down ? addr - bytes + size : addr;
        if (Qualification.ioIn(q)) {
            for (int i = 0; i < n; i++) {
                long v = portRead(port, size);
                for (int k = 0; k < size; k++) {
                    data[(down ? n - 1 - i : i) * size + k] = (byte) (v >>> (8 * k));
                }
            }
            if (!mmu.copyToGuest(dataSegment, 0, first, bytes)) {
                pageFault(first, VcpuMmu.PF_WRITE);
                return;
            }
        } else {
            if (!mmu.copyFromGuest(first, dataSegment, 0, bytes)) {
                pageFault(first, 0);
                return;
            }
            lapIfProfiling(STAGE_EMULATE);
            for (int i = 0; i < n; i++) {
                int at = (down ? n - 1 - i : i) * size;
                long v = 0;
                for (int k = 0; k < size; k++) {
                    v |= (data[at + k] & 0xFFL) << (8 * k);
                }
                portWrite(port, size, v);
            }
        }
        lapIfProfiling(STAGE_DEVICE);
        regs.set(addrReg, regs.get(addrReg) & ~mask | (down ? addr - bytes : addr + bytes) & mask);
        if (rep) {
            long left = count - n;
            regs.set(RCX, regs.get(RCX) & ~mask | left & mask);
            if (left != 0) {
                regs.rip(regs.rip() - length); // not done: this instruction runs again
            }
        }
    }

    /**
     * The I/O bus: COM1, the ATA disk, PCI configuration and the IDE bus master, the NE2000, the
     * 8259 pair, the PIT and port B, the power
     * ports; anything else reads as all ones, writes vanish.
     */
    private long portRead(int port, int size) {
        if (port >= Platform.COM1 && port < Platform.COM1 + 8 && size == 1) {
            return uart.read(port - Platform.COM1); // the UART drives IRQ 4 itself
        }
        AtaDisk disk;
        if (AtaDisk.claims(port) && (disk = domain.ata()) != null) {
            long v = disk.read(port, size);
            irq14(disk);
            return v;
        }
        PciHostBridge pci = domain.pci();
        if (pci != null) {
            int bm;
            if (PciHostBridge.claims(port, size)) {
                return pci.read(port, size);
            }
            if ((bm = pci.busMasterOffset(port)) >= 0 && (disk = domain.ata()) != null) {
                return disk.busMasterRead(bm, size);
            }
        }
        Pic8259 p = domain.pic();
        if (Pic8259.claims(port) && p != null && size == 1) {
            return p.read(port);
        }
        Pit8254 t = domain.pit();
        if (Pit8254.claims(port) && t != null && size == 1) {
            return t.read(port, host.systemTime());
        }
        if (port == Pit8254.PORT_B && t != null && size == 1) {
            return t.readPortB(host.systemTime());
        }
        EmulatedNic nic;
        if (Ne2000.claims(Platform.NE2K, port) && (nic = domain.nic()) != null) {
            return nic.read(port - Platform.NE2K, size);
        }
        return size == 4 ? 0xFFFF_FFFFL : (1L << (8 * size)) - 1;
    }

    private void portWrite(int port, int size, long value) {
        AtaDisk disk;
        EmulatedNic nic;
        if (port >= Platform.COM1 && port < Platform.COM1 + 8 && size == 1) {
            uart.write(port - Platform.COM1, (int) value);
        } else if (Ne2000.claims(Platform.NE2K, port) && (nic = domain.nic()) != null) {
            nic.write(port - Platform.NE2K, size, value); // the card drives IRQ 10 itself
        } else if (AtaDisk.claims(port) && (disk = domain.ata()) != null) {
            disk.write(port, size, value);
            irq14(disk);
        } else if (domain.pci() != null && PciHostBridge.claims(port, size)) {
            domain.pci().write(port, size, value);
        } else if (domain.pci() != null && domain.pci().busMasterOffset(port) >= 0 && (disk = domain.ata()) != null) {
            disk.busMasterWrite(domain.pci().busMasterOffset(port), size, value); // start may end a transfer
            irq14(disk);
        } else if (Pic8259.claims(port) && domain.pic() != null && size == 1) {
            domain.pic().write(port, (int) value);
        } else if (Pit8254.claims(port) && domain.pit() != null && size == 1) {
            domain.pit().write(port, (int) value, host.systemTime());
        } else if (port == Pit8254.PORT_B && domain.pit() != null && size == 1) {
            domain.pit().writePortB((int) value, host.systemTime());
        } else if (port == Platform.PM1A_CNT && size >= 2) {
            if ((value & Platform.PM1_SLP_EN) != 0 && (value & Platform.PM1_SLP_TYP_MASK) == 0) {
                uart.flush();
                domain.shutdown(Shutdown.POWEROFF, null);
            }
        } else if (port == Platform.RESET_CONTROL && size == 1) {
            if ((value & 0x04) != 0) {
                uart.flush();
                domain.shutdown(Shutdown.REBOOT, null);
            }
        } else if (port == Platform.PVPANIC && size == 1) {
            if ((value & Platform.PVPANIC_PANICKED) != 0) {
                uart.flush();
                domain.shutdown(Shutdown.CRASH, "the guest reported a panic (pvpanic)");
            }
        }
    }

    /** The disk's INTRQ is the primary channel's IRQ 14. */
    private void irq14(AtaDisk disk) {
        Pic8259 p = domain.pic();
        if (p != null) {
            p.setIrq(Platform.ATA0_IRQ, disk.interruptPending());
        }
    }

    private boolean interrupts() {
        return vcpuInfo != null ? vcpuInfo.evtchnUpcallMask() == 0 : interruptsOn;
    }

    /** IF is the event mask: {@code vcpu_info.evtchn_upcall_mask}, which upcall delivery reads. */
    private void setInterrupts(boolean on) {
        interruptsOn = on;
        if (vcpuInfo != null) {
            vcpuInfo.upcallMaskRelease(on ? 0 : 1);
        }
        regs.rflags(on ? regs.rflags() | RegisterFile.RFLAGS_IF : regs.rflags() & ~RegisterFile.RFLAGS_IF);
    }

    // ---------------------------------------------------------------- the IDT

    /**
     * {@code lidt} / {@code sidt}: the address from the exit's instruction information and
     * qualification, then the 10-byte pseudo-descriptor (limit, base) read or written there.
     * A base that is not canonical is {@code #GP(0)}, as KVM's and Xen's emulators refuse it.
     */
    private void descriptorTable() {
        long info = instructionInfo;
        long ea = qualification;
        int base = Qualification.dtBase(info);
        int index = Qualification.dtIndex(info);
        if (base >= 0) {
            ea += regs.get(base);
        }
        if (index >= 0) {
            ea += regs.get(index) << Qualification.dtScaling(info);
        }
        if (Qualification.dtAddressBytes(info) == 4) {
            ea &= 0xFFFF_FFFFL;
        }
        ea += segmentBase();
        lapIfProfiling(STAGE_DECODE);
        if (Qualification.dtIdentity(info) == Qualification.DT_SIDT) {
            descriptor.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) idtLimit);
            descriptor.set(ValueLayout.JAVA_LONG_UNALIGNED, 2, idtBase);
            if (!mmu.copyToGuest(descriptor, 0, ea, 10)) {
                pageFault(ea, VcpuMmu.PF_WRITE);
                return;
            }
            lapIfProfiling(STAGE_EMULATE);
            return;
        }
        if (!mmu.copyFromGuest(ea, descriptor, 0, 10)) {
            pageFault(ea, 0);
            return;
        }
        int limit = descriptor.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xFFFF;
        long newBase = descriptor.get(ValueLayout.JAVA_LONG_UNALIGNED, 2);
        if (!canonical(newBase)) {
            raiseFault(13, 0, "#GP(0): lidt of a non-canonical IDT base " + hex(newBase) + " at rip " + hex(regs.rip()));
            return;
        }
        idtBase = newBase;
        idtLimit = limit;
        idtLoaded = true;
        java.util.Arrays.fill(gateCacheTarget, 0);
        java.util.Arrays.fill(gateCacheHandler, null);
        lapIfProfiling(STAGE_EMULATE);
    }

    private static boolean canonical(long va) {
        return va >> 47 == 0 || va >> 47 == -1;
    }

    /** Whether the kernel loaded an IDT ({@code lidt}): interrupts and exceptions then go through it. */
    public boolean idtLoaded() {
        return idtLoaded;
    }

    /** IDTR's base (0 before {@code lidt}). */
    public long idtBase() {
        return idtBase;
    }

    /** IDTR's limit (0xFFFF before {@code lidt}, as at reset). */
    public int idtLimit() {
        return idtLimit;
    }

    /** Events delivered through the IDT so far (interrupts and exceptions). */
    public long idtDeliveries() {
        return idtDeliveries;
    }

    /** Records the faulting address of a {@code #PF} (what {@code mov rax, cr2} reads). */
    void cr2(long va) {
        cr2 = va;
    }

    /** Exceptions after which a contributory one or a {@code #PF} is a double fault: #DE, #TS, #NP, #SS, #GP. */
    private static boolean contributory(int vector) {
        return vector == 0 || vector >= 10 && vector <= 13;
    }

    /**
     * Delivers event {@code vector} through the IDT as the CPU does in 64-bit mode: the 16-byte
     * gate at {@code base + vector * 16} is read from guest memory and checked (within the
     * limit, else {@code #GP}; an interrupt or trap gate, else {@code #GP}; present, else
     * {@code #NP}, each with the vector's selector error code and EXT for an external
     * interrupt; a null selector or a non-canonical target {@code #GP}). A fault while
     * delivering is delivered in its place, or becomes a double fault ({@code #DF}) after a
     * contributory exception or a {@code #PF}, and a fault while delivering {@code #DF} is a
     * triple fault: the domain is crashed, as the CPU resets. Then the gate's handler runs with
     * the registers saved (its frame), IF cleared for an interrupt gate; its return restores
     * them ({@code iret}). The vCPU's thread; nothing allocated unless the domain is crashed.
     */
    void deliver(int vector, long errorCode, long address, boolean external) {
        int vec = vector & 0xFF;
        long err = errorCode;
        long addr = address;
        boolean ext = external;
        int first = vec;
        int second = -1;
        for (int step = 0;; step++) {
            int fault = checkGate(vec, ext);
            if (fault < 0) {
                break;
            }
            if (vec == 8 || step >= 3) {
                throw vcpu.crashFromGuestPath(tripleFault(first, external, second, fault));
            }
            boolean doubleFault = !ext && (contributory(vec) && contributory(fault)
                    || vec == 14 && (fault == 14 || contributory(fault)));
            if (doubleFault) {
                vec = 8;
                err = 0;
                addr = 0;
            } else {
                vec = fault;
                err = gateError;
                addr = gateFaultAddress;
            }
            if (second < 0) {
                second = vec;
            }
            ext = false;
        }
        TrapHandler h = gateCacheTarget[vec] == gateTarget ? gateCacheHandler[vec] : null;
        if (h == null) {
            h = domain.codeTable().resolve(gateTarget, TrapHandler.class);
            if (h == null) {
                throw vcpu.crashFromGuestPath(String.format(
                        "the IDT gate of vector %#x points at %#x, where domain %d has no code", vec, gateTarget,
                        domain.domid()));
            }
            gateCacheTarget[vec] = gateTarget;
            gateCacheHandler[vec] = h;
        }
        if (nesting == MAX_NESTING) {
            throw vcpu.crashFromGuestPath("vector " + vec + " nested " + MAX_NESTING
                    + " deep in interrupt and exception handlers: the kernel stack overflows");
        }
        if (vec == 14) {
            cr2 = addr;
        }
        // The frame the CPU pushes and the handler's register saves: what its epilogue and iret give back.
        long[] gprs = regs.gprs();
        idtFrameRip[nesting] = regs.rip();
        long[] frame = idtFrames[nesting++];
        System.arraycopy(gprs, 0, frame, 0, gprs.length);
        long rflags = regs.rflags();
        boolean interruptsWere = interrupts();
        if (!gateIsTrap) {
            setInterrupts(false); // an interrupt gate clears IF, a trap gate leaves it
        }
        idtDeliveries++;
        try {
            vcpu.traps().runGate(h, vec, err, addr, ext);
        } finally {
            nesting--;
            System.arraycopy(frame, 0, gprs, 0, gprs.length);
            regs.rip(idtFrameRip[nesting]); // the frame's rip: a handler's fixup may have moved it
            regs.rflags(rflags);
            setInterrupts(interruptsWere);
        }
    }

    /**
     * Reads and checks the gate of {@code vector}: -1 when it can be used ({@link #gateTarget},
     * {@link #gateIsTrap} set), else the vector of the fault it raises ({@link #gateError},
     * {@link #gateFaultAddress} set).
     */
    private int checkGate(int vector, boolean ext) {
        long extBit = ext ? 1 : 0;
        long selectorError = (long) vector << 3 | 2 | extBit;
        gateFaultAddress = 0;
        if ((long) vector * 16 + 15 > idtLimit) {
            gateError = selectorError;
            return 13;
        }
        long at = idtBase + (long) vector * 16;
        if (!mmu.copyFromGuest(at, descriptor, 0, 16)) {
            gateError = 0; // a supervisor read of a page that is not there
            gateFaultAddress = at;
            return 14;
        }
        long lo = descriptor.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        long hi = descriptor.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        int attributes = (int) (lo >>> 40) & 0xFF;
        int type = attributes & 0x1F; // S (bit 4) clear: a system descriptor
        if (type != 0x0E && type != 0x0F || (hi >>> 40 & 0x1F) != 0) {
            gateError = selectorError;
            return 13;
        }
        if ((attributes & 0x80) == 0) {
            gateError = selectorError;
            return 11;
        }
        int selector = (int) (lo >>> 16) & 0xFFFF;
        long target = lo & 0xFFFFL | (lo >>> 48 & 0xFFFFL) << 16 | (hi & 0xFFFF_FFFFL) << 32;
        if ((selector & 0xFFFC) == 0 || !canonical(target)) {
            gateError = extBit;
            return 13;
        }
        gateTarget = target;
        gateIsTrap = type == 0x0F;
        return -1;
    }

    private String tripleFault(int first, boolean external, int second, int last) {
        StringBuilder sb = new StringBuilder("triple fault delivering ");
        sb.append(external ? "external interrupt " : "exception ").append(String.format("%#x", first));
        if (second >= 0) {
            sb.append(" (then vector ").append(second).append(')');
        }
        sb.append(": vector ").append(last).append(" while delivering #DF, IDT base ").append(hex(idtBase))
                .append(" limit ").append(hex(idtLimit)).append(" (the CPU resets)");
        return sb.toString();
    }

    // ---------------------------------------------------------------- counters

    private void lapIfProfiling(int stage) {
        if (profile) {
            lap(stage);
        }
    }

    private void lap(int stage) {
        long now = System.nanoTime();
        // Shadow faults happen inside whichever stage touched memory: their time is the shadow's.
        long inShadow = shadow == null ? 0 : shadow.takeNanos();
        stageNanos[STAGE_SHADOW] += inShadow;
        stageNanos[stage] += now - stamp - inShadow;
        stamp = now;
    }

    /** Turns the per-stage clock on or off (the bench's breakdown run). */
    public void profile(boolean on) {
        profile = on;
        if (shadow != null) {
            shadow.profile(on);
            shadow.takeNanos();
        }
    }

    /** Nanoseconds spent in each stage while profiling, by {@link #STAGES} index (a copy). */
    public long[] stageNanos() {
        return stageNanos.clone();
    }

    /** The reason of the last VM exit (null before the first). */
    public ExitReason lastReason() {
        return reason;
    }

    /** The qualification of the last VM exit. */
    public long lastQualification() {
        return qualification;
    }

    /** VM exits taken so far, the shadow's {@code #PF} exits included. */
    public long exits() {
        long n = shadowExits();
        for (long e : exitsByReason) {
            n += e;
        }
        return n;
    }

    /** VM exits taken for {@code why} ({@code EXCEPTION_NMI} includes the shadow's {@code #PF} exits). */
    public long exits(ExitReason why) {
        long n = exitsByReason[why.ordinal()];
        return why == ExitReason.EXCEPTION_NMI ? n + shadowExits() : n;
    }

    /**
     * {@code #PF} exits of shadow misses on guest accesses: hidden faults (filled, the guest
     * never sees them) and the guest's own faults reflected to it.
     */
    public long shadowExits() {
        // Under binary translation a shadow miss is the monitor's own fault, not a VM exit.
        return shadow == null || bare ? 0 : shadow.hiddenFaults() + shadow.reflectedFaults();
    }

    /** The vCPU's shadow page tables (trap, bt), or null. */
    public ShadowPageTables shadow() {
        return shadow;
    }

    /** Instructions executed (exiting or not). */
    public long instructions() {
        return instructions;
    }

    /** Instructions translated (decoded into the translation cache) so far. */
    public long translations() {
        return translations;
    }

    /**
     * Translated page-table stores that called the emulation inline (bt), after their first
     * run found the store's target to be a page table.
     */
    public long inlinePageTableStores() {
        return inlinePageTableStores;
    }

    /** Decodes the hypervisor did after an exit (beyond the CPU's own). */
    public long decodes() {
        return decodes;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private String bytes(int got) {
        if (got <= 0) {
            return "instruction fetch failed";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(got, 8); i++) {
            sb.append(String.format("%02x ", code[i] & 0xFF));
        }
        return sb.toString().trim();
    }
}
