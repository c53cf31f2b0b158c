package org.parasol.hypercall.guest;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.VcpuOp;
import org.parasol.hypercall.struct.VcpuGuestContext;
import org.parasol.hypercall.struct.VcpuRegisterRunstateMemoryArea;
import org.parasol.hypercall.struct.VcpuRegisterVcpuInfo;
import org.parasol.hypercall.struct.VcpuRunstateInfo;
import org.parasol.hypercall.struct.VcpuSetPeriodicTimer;
import org.parasol.hypercall.struct.VcpuSetSingleshotTimer;

/**
 * {@code HYPERVISOR_vcpu_op(cmd, vcpuid, arg)} (hypercall 24): bringing vCPUs up and down,
 * their timers, and relocating {@code vcpu_info} and the runstate area.
 *
 * <p>Results are {@code >= 0} or {@code -errno}; every command answers {@code -ENOENT} for a
 * {@code vcpuid} the domain does not have, {@code -EFAULT} for a bad argument pointer and
 * {@code -ENOSYS} for an unknown command.
 */
public final class VcpuOpCalls {
    private final Cpu cpu;
    private final ArgumentPage page;
    private final VcpuSetPeriodicTimer periodic = new VcpuSetPeriodicTimer();
    private final VcpuSetSingleshotTimer singleshot = new VcpuSetSingleshotTimer();
    private final VcpuRegisterVcpuInfo registerVcpuInfo = new VcpuRegisterVcpuInfo();
    private final VcpuRegisterRunstateMemoryArea registerRunstate = new VcpuRegisterRunstateMemoryArea();
    private final VcpuGuestContext context = new VcpuGuestContext();
    private SegmentBuffer contextScratch;

    /** Wrappers for {@code cpu}, marshalling through {@code page} (the same vCPU's). */
    public VcpuOpCalls(Cpu cpu, ArgumentPage page) {
        this.cpu = Objects.requireNonNull(cpu, "cpu");
        this.page = Objects.requireNonNull(page, "page");
    }

    /**
     * {@code VCPUOP_initialise} with a {@code vcpu_guest_context} the caller prepared at
     * {@code contextVa} (5168 bytes: more than the argument page holds). Legal once per
     * vCPU, while it is down; the vCPU stays down until {@link #up}.
     *
     * @return 0, or {@code -EEXIST} if already initialised, {@code -EINVAL} for a context
     *     the hypervisor refuses (a field Parasol does not use is non-zero, an unknown code
     *     address, a bad page-table base)
     */
    public long initialise(int vcpu, long contextVa) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.INITIALISE, vcpu, contextVa);
    }

    /**
     * {@code VCPUOP_initialise} built here: writes a context holding only the fields Parasol
     * uses into the guest buffer at {@code bufferVa} (at least 5168 writable bytes), then
     * calls {@link #initialise(int, long)}.
     *
     * @param entry code address of the vCPU's {@code VcpuEntry} ({@code user_regs.rip})
     * @param stackPointer initial {@code user_regs.rsp}
     * @param argument the value handed to the entry point ({@code user_regs.rsi})
     * @param cr3 the top-level page table ({@code ctrlreg[3]}, CR3 format)
     * @param eventCallback code address of the event upcall
     * @param failsafeCallback code address of the failsafe callback
     */
    public long initialise(int vcpu, long bufferVa, long flags, long entry, long stackPointer, long argument,
            long cr3, long eventCallback, long failsafeCallback) {
        if (contextScratch == null) {
            contextScratch = SegmentBuffer.allocate(VcpuGuestContext.SIZE);
        }
        context.wrap(contextScratch, 0).clear().flags(flags).rip(entry).rsp(stackPointer).rsi(argument)
                .ctrlreg3(cr3).eventCallbackEip(eventCallback).failsafeCallbackEip(failsafeCallback);
        cpu.memory().copyFromSegment(contextScratch.segment(), 0, bufferVa, VcpuGuestContext.SIZE);
        return initialise(vcpu, bufferVa);
    }

    /**
     * {@code VCPUOP_up}: starts an initialised vCPU at its entry point.
     *
     * @return 0, or {@code -EINVAL} if it was never initialised
     */
    public long up(int vcpu) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.UP, vcpu, 0);
    }

    /**
     * {@code VCPUOP_down}: takes a vCPU offline; asynchronous unless it is the caller.
     *
     * @return 0, or {@code -EINVAL} when it would take the domain's last vCPU down
     */
    public long down(int vcpu) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.DOWN, vcpu, 0);
    }

    /** {@code VCPUOP_is_up}: 1 if the vCPU is up, 0 if down, or {@code -ENOENT}. */
    public long isUp(int vcpu) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.IS_UP, vcpu, 0);
    }

    /**
     * {@code VCPUOP_get_runstate_info}: copies the vCPU's {@code vcpu_runstate_info}
     * (48 bytes) into {@code dst} at {@code dstOffset}.
     *
     * @return 0 or {@code -errno} ({@code dst} untouched on failure)
     */
    public long getRunstateInfo(int vcpu, MemorySegment dst, long dstOffset) {
        Objects.checkFromIndexSize(dstOffset, VcpuRunstateInfo.SIZE, dst.byteSize());
        long off = page.push(VcpuRunstateInfo.SIZE);
        try {
            GuestMemory memory = cpu.memory();
            page.copyIn(memory, off, VcpuRunstateInfo.SIZE);
            long rc = cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.GET_RUNSTATE_INFO, vcpu, page.address(off));
            if (rc >= 0) {
                page.copyOut(memory, off, VcpuRunstateInfo.SIZE);
                MemorySegment.copy(page.scratch(), off, dst, dstOffset, VcpuRunstateInfo.SIZE);
            }
            return rc;
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code VCPUOP_register_runstate_memory_area}: asks the hypervisor to keep the
     * {@code vcpu_runstate_info} at guest virtual address {@code areaVa} up to date whenever
     * the vCPU is scheduled; 0 unregisters.
     *
     * @return 0, or {@code -EINVAL} for an area that is not suitably aligned
     */
    public long registerRunstateMemoryArea(int vcpu, long areaVa) {
        long off = page.push(VcpuRegisterRunstateMemoryArea.SIZE);
        try {
            registerRunstate.wrap(page.buffer(), off).addr(areaVa);
            return call(VcpuOp.REGISTER_RUNSTATE_MEMORY_AREA, vcpu, off, VcpuRegisterRunstateMemoryArea.SIZE);
        } finally {
            page.pop(off);
        }
    }

    /**
     * {@code VCPUOP_set_periodic_timer}: raises {@code VIRQ_TIMER} every {@code periodNs}
     * (PV vCPUs start with 10 ms).
     *
     * @return 0, or {@code -EINVAL} for a period under 1 ms
     */
    public long setPeriodicTimer(int vcpu, long periodNs) {
        long off = page.push(VcpuSetPeriodicTimer.SIZE);
        try {
            periodic.wrap(page.buffer(), off).periodNs(periodNs);
            return call(VcpuOp.SET_PERIODIC_TIMER, vcpu, off, VcpuSetPeriodicTimer.SIZE);
        } finally {
            page.pop(off);
        }
    }

    /** {@code VCPUOP_stop_periodic_timer}. Returns 0 or {@code -ENOENT}. */
    public long stopPeriodicTimer(int vcpu) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_PERIODIC_TIMER, vcpu, 0);
    }

    /**
     * {@code VCPUOP_set_singleshot_timer}: raises {@code VIRQ_TIMER} once when system time
     * reaches {@code timeoutAbsNs}, at once if it already has. Only for the calling vCPU.
     *
     * @return 0, or {@code -EINVAL} for another vCPU, {@code -ETIME} for a past timeout
     *     with {@code VCPU_SSHOTTMR_future}
     */
    public long setSingleshotTimer(int vcpu, long timeoutAbsNs, int flags) {
        long off = page.push(VcpuSetSingleshotTimer.SIZE);
        try {
            singleshot.wrap(page.buffer(), off).timeoutAbsNs(timeoutAbsNs).flags(flags);
            return call(VcpuOp.SET_SINGLESHOT_TIMER, vcpu, off, VcpuSetSingleshotTimer.SIZE);
        } finally {
            page.pop(off);
        }
    }

    /** {@code VCPUOP_stop_singleshot_timer}: 0, or {@code -EINVAL} for another vCPU. */
    public long stopSingleshotTimer(int vcpu) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.STOP_SINGLESHOT_TIMER, vcpu, 0);
    }

    /**
     * {@code VCPUOP_register_vcpu_info}: moves the vCPU's {@code vcpu_info} to
     * {@code offset} in frame {@code mfn}. Once per vCPU.
     *
     * @return 0, or {@code -EINVAL} if the 64 bytes would cross the page or the frame is not
     *     the domain's, {@code -EBUSY} on a second registration
     */
    public long registerVcpuInfo(int vcpu, Mfn mfn, int offset) {
        long off = page.push(VcpuRegisterVcpuInfo.SIZE);
        try {
            registerVcpuInfo.wrap(page.buffer(), off).mfn(mfn.value()).offset(offset);
            return call(VcpuOp.REGISTER_VCPU_INFO, vcpu, off, VcpuRegisterVcpuInfo.SIZE);
        } finally {
            page.pop(off);
        }
    }

    /** {@code VCPUOP_send_nmi}: 0, or {@code -ENOENT}. */
    public long sendNmi(int vcpu) {
        return cpu.hypercall(Hypercall.VCPU_OP, VcpuOp.SEND_NMI, vcpu, 0);
    }

    private long call(int cmd, int vcpu, long off, long size) {
        page.copyIn(cpu.memory(), off, size);
        return cpu.hypercall(Hypercall.VCPU_OP, cmd, vcpu, page.address(off));
    }
}
