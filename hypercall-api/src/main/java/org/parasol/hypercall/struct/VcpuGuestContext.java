package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * A vCPU's initial state for {@code VCPUOP_initialise}: mirrors {@code arch-x86/xen.h}:
 * {@code vcpu_guest_context} (x86-64, 5168 bytes), with {@code xen-x86_64.h}:
 * {@code cpu_user_regs} nested as {@code user_regs}.
 *
 * <pre>
 *     0 fpu_ctxt[512]
 *   512 flags (VGCF_*)                     u64
 *   520 user_regs (200 B): r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx
 *                          rsi@+104 rdi@+112 error_code entry_vector rip@+128 cs
 *                          saved_upcall_mask rflags rsp@+152 ss es ds fs gs
 *   720 trap_ctxt[256]                     16 B each
 *  4816 ldt_base ldt_ents  4832 gdt_frames[16] gdt_ents  4968 kernel_ss kernel_sp
 *  4984 ctrlreg[8]  (cr3 at 5008)          5048 debugreg[8]
 *  5112 event_callback_eip  5120 failsafe_callback_eip  5128 syscall_callback_eip
 *  5136 vm_assist  5144 fs_base  5152 gs_base_kernel  5160 gs_base_user
 * </pre>
 *
 * <p>Parasol uses only {@code flags}, {@code user_regs.rip} (a {@code VcpuEntry} code
 * address), {@code user_regs.rsp}, {@code user_regs.rsi} (the entry argument),
 * {@code ctrlreg[3]} (the top-level page table, as an MFN in the CR3 format of
 * {@code xen_pfn_to_cr3}), {@code event_callback_eip} and {@code failsafe_callback_eip}.
 * Invariant the hypervisor checks: {@link #otherBytesZero()} — every other byte is zero.
 */
public final class VcpuGuestContext {
    /** {@code VGCF_i387_valid}. */
    public static final long VGCF_I387_VALID = 1L << 0;
    /** {@code VGCF_in_kernel}. */
    public static final long VGCF_IN_KERNEL = 1L << 2;
    /** {@code VGCF_failsafe_disables_events}. */
    public static final long VGCF_FAILSAFE_DISABLES_EVENTS = 1L << 3;
    /** {@code VGCF_syscall_disables_events}. */
    public static final long VGCF_SYSCALL_DISABLES_EVENTS = 1L << 4;
    /** {@code VGCF_online}. */
    public static final long VGCF_ONLINE = 1L << 5;

    /** Layout of x86-64 {@code cpu_user_regs} (200 bytes). */
    public static final StructLayout CPU_USER_REGS_LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("r15"),
            Layouts.U64.withName("r14"),
            Layouts.U64.withName("r13"),
            Layouts.U64.withName("r12"),
            Layouts.U64.withName("rbp"),
            Layouts.U64.withName("rbx"),
            Layouts.U64.withName("r11"),
            Layouts.U64.withName("r10"),
            Layouts.U64.withName("r9"),
            Layouts.U64.withName("r8"),
            Layouts.U64.withName("rax"),
            Layouts.U64.withName("rcx"),
            Layouts.U64.withName("rdx"),
            Layouts.U64.withName("rsi"),
            Layouts.U64.withName("rdi"),
            Layouts.U32.withName("error_code"),
            Layouts.U32.withName("entry_vector"),
            Layouts.U64.withName("rip"),
            Layouts.U16.withName("cs"),
            MemoryLayout.paddingLayout(2),
            Layouts.U8.withName("saved_upcall_mask"),
            MemoryLayout.paddingLayout(3),
            Layouts.U64.withName("rflags"),
            Layouts.U64.withName("rsp"),
            Layouts.U16.withName("ss"),
            MemoryLayout.paddingLayout(6),
            Layouts.U16.withName("es"),
            MemoryLayout.paddingLayout(6),
            Layouts.U16.withName("ds"),
            MemoryLayout.paddingLayout(6),
            Layouts.U16.withName("fs"),
            MemoryLayout.paddingLayout(6),
            Layouts.U16.withName("gs"),
            MemoryLayout.paddingLayout(6)).withName("cpu_user_regs");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(512, Layouts.U8).withName("fpu_ctxt"),
            Layouts.U64.withName("flags"),
            CPU_USER_REGS_LAYOUT.withName("user_regs"),
            MemoryLayout.sequenceLayout(256, TrapInfo.LAYOUT).withName("trap_ctxt"),
            Layouts.U64.withName("ldt_base"),
            Layouts.U64.withName("ldt_ents"),
            MemoryLayout.sequenceLayout(16, Layouts.U64).withName("gdt_frames"),
            Layouts.U64.withName("gdt_ents"),
            Layouts.U64.withName("kernel_ss"),
            Layouts.U64.withName("kernel_sp"),
            MemoryLayout.sequenceLayout(8, Layouts.U64).withName("ctrlreg"),
            MemoryLayout.sequenceLayout(8, Layouts.U64).withName("debugreg"),
            Layouts.U64.withName("event_callback_eip"),
            Layouts.U64.withName("failsafe_callback_eip"),
            Layouts.U64.withName("syscall_callback_eip"),
            Layouts.U64.withName("vm_assist"),
            Layouts.U64.withName("fs_base"),
            Layouts.U64.withName("gs_base_kernel"),
            Layouts.U64.withName("gs_base_user")).withName("vcpu_guest_context");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FPU_CTXT_OFFSET = Layouts.offsetOf(LAYOUT, "fpu_ctxt");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long USER_REGS_OFFSET = Layouts.offsetOf(LAYOUT, "user_regs");
    public static final long USER_REGS_RSI_OFFSET = Layouts.offsetOf(LAYOUT, "user_regs", "rsi");
    public static final long USER_REGS_RIP_OFFSET = Layouts.offsetOf(LAYOUT, "user_regs", "rip");
    public static final long USER_REGS_RSP_OFFSET = Layouts.offsetOf(LAYOUT, "user_regs", "rsp");
    public static final long TRAP_CTXT_OFFSET = Layouts.offsetOf(LAYOUT, "trap_ctxt");
    public static final long LDT_BASE_OFFSET = Layouts.offsetOf(LAYOUT, "ldt_base");
    public static final long GDT_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "gdt_frames");
    public static final long KERNEL_SS_OFFSET = Layouts.offsetOf(LAYOUT, "kernel_ss");
    public static final long CTRLREG_OFFSET = Layouts.offsetOf(LAYOUT, "ctrlreg");
    public static final long CTRLREG3_OFFSET =
            LAYOUT.byteOffset(PathElement.groupElement("ctrlreg"), PathElement.sequenceElement(3));
    public static final long DEBUGREG_OFFSET = Layouts.offsetOf(LAYOUT, "debugreg");
    public static final long EVENT_CALLBACK_EIP_OFFSET = Layouts.offsetOf(LAYOUT, "event_callback_eip");
    public static final long FAILSAFE_CALLBACK_EIP_OFFSET = Layouts.offsetOf(LAYOUT, "failsafe_callback_eip");
    public static final long SYSCALL_CALLBACK_EIP_OFFSET = Layouts.offsetOf(LAYOUT, "syscall_callback_eip");
    public static final long VM_ASSIST_OFFSET = Layouts.offsetOf(LAYOUT, "vm_assist");
    public static final long FS_BASE_OFFSET = Layouts.offsetOf(LAYOUT, "fs_base");
    public static final long GS_BASE_KERNEL_OFFSET = Layouts.offsetOf(LAYOUT, "gs_base_kernel");
    public static final long GS_BASE_USER_OFFSET = Layouts.offsetOf(LAYOUT, "gs_base_user");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public VcpuGuestContext() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public VcpuGuestContext wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public VcpuGuestContext clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code VGCF_*} flags. */
    public long flags() {
        return buffer.getLong(base + FLAGS_OFFSET);
    }

    public VcpuGuestContext flags(long v) {
        buffer.putLong(base + FLAGS_OFFSET, v);
        return this;
    }

    /** {@code user_regs.rip}: the code address of the vCPU's entry point. */
    public long rip() {
        return buffer.getLong(base + USER_REGS_RIP_OFFSET);
    }

    public VcpuGuestContext rip(long v) {
        buffer.putLong(base + USER_REGS_RIP_OFFSET, v);
        return this;
    }

    /** {@code user_regs.rsp}: the initial stack pointer. */
    public long rsp() {
        return buffer.getLong(base + USER_REGS_RSP_OFFSET);
    }

    public VcpuGuestContext rsp(long v) {
        buffer.putLong(base + USER_REGS_RSP_OFFSET, v);
        return this;
    }

    /** {@code user_regs.rsi}: the argument handed to the entry point. */
    public long rsi() {
        return buffer.getLong(base + USER_REGS_RSI_OFFSET);
    }

    public VcpuGuestContext rsi(long v) {
        buffer.putLong(base + USER_REGS_RSI_OFFSET, v);
        return this;
    }

    /** {@code ctrlreg[3]}: the top-level page table in CR3 format. */
    public long ctrlreg3() {
        return buffer.getLong(base + CTRLREG3_OFFSET);
    }

    public VcpuGuestContext ctrlreg3(long v) {
        buffer.putLong(base + CTRLREG3_OFFSET, v);
        return this;
    }

    public long eventCallbackEip() {
        return buffer.getLong(base + EVENT_CALLBACK_EIP_OFFSET);
    }

    public VcpuGuestContext eventCallbackEip(long v) {
        buffer.putLong(base + EVENT_CALLBACK_EIP_OFFSET, v);
        return this;
    }

    public long failsafeCallbackEip() {
        return buffer.getLong(base + FAILSAFE_CALLBACK_EIP_OFFSET);
    }

    public VcpuGuestContext failsafeCallbackEip(long v) {
        buffer.putLong(base + FAILSAFE_CALLBACK_EIP_OFFSET, v);
        return this;
    }

    /**
     * Whether every byte outside the seven fields Parasol uses ({@code flags},
     * {@code user_regs.rsi}, {@code user_regs.rip}, {@code user_regs.rsp}, {@code ctrlreg[3]},
     * {@code event_callback_eip}, {@code failsafe_callback_eip}) is zero.
     */
    public boolean otherBytesZero() {
        return zeroBetween(base, base + FLAGS_OFFSET)
                && zeroBetween(base + FLAGS_OFFSET + Long.BYTES, base + USER_REGS_RSI_OFFSET)
                && zeroBetween(base + USER_REGS_RSI_OFFSET + Long.BYTES, base + USER_REGS_RIP_OFFSET)
                && zeroBetween(base + USER_REGS_RIP_OFFSET + Long.BYTES, base + USER_REGS_RSP_OFFSET)
                && zeroBetween(base + USER_REGS_RSP_OFFSET + Long.BYTES, base + CTRLREG3_OFFSET)
                && zeroBetween(base + CTRLREG3_OFFSET + Long.BYTES, base + EVENT_CALLBACK_EIP_OFFSET)
                && zeroBetween(base + FAILSAFE_CALLBACK_EIP_OFFSET + Long.BYTES, base + SIZE);
    }

    /** Whether {@code [from, to)} of the buffer is all zero bytes. */
    private boolean zeroBetween(long from, long to) {
        return buffer.isZero(from, to - from);
    }
}
