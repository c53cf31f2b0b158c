package org.parasol.guest.pvops;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Objects;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.CallbackOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.CallbackCalls;
import org.parasol.hypercall.guest.ConsoleIoCalls;
import org.parasol.hypercall.guest.MmuCalls;
import org.parasol.hypercall.guest.SchedOpCalls;
import org.parasol.hypercall.guest.TimerCalls;
import org.parasol.hypercall.guest.TrapTableCalls;
import org.parasol.hypercall.guest.VcpuOpCalls;
import org.parasol.hypercall.guest.XenVersionCalls;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;

/**
 * {@link PvOps} for a paravirtual guest on Xen's ABI: every operation is a hypercall or a
 * store into {@code shared_info}, as Linux's {@code xen_*_ops}.
 *
 * <table>
 *   <caption>What each operation becomes</caption>
 *   <tr><td>event mask</td><td>{@code vcpu_info.evtchn_upcall_mask}; unmasking re-checks
 *       {@code evtchn_upcall_pending} and forces the callback with a cheap hypercall</td></tr>
 *   <tr><td>safe halt</td><td>{@code SCHEDOP_block}, which unmasks atomically</td></tr>
 *   <tr><td>page tables</td><td>{@code mmu_update} (batched up to {@value #BATCH} in lazy
 *       mode), {@code update_va_mapping}</td></tr>
 *   <tr><td>address space, TLB</td><td>{@code mmuext_op}: {@code NEW_BASEPTR},
 *       {@code TLB_FLUSH_LOCAL}, {@code INVLPG_LOCAL}</td></tr>
 *   <tr><td>timer</td><td>{@code set_timer_op}</td></tr>
 *   <tr><td>time</td><td>{@code vcpu_time_info} and {@code wc_*} under their seqlocks</td></tr>
 *   <tr><td>console</td><td>{@code console_io(CONSOLEIO_write)}</td></tr>
 *   <tr><td>shutdown</td><td>{@code SCHEDOP_shutdown}</td></tr>
 * </table>
 *
 * <p>Invariants: made for one vCPU (its {@link Cpu} and {@link ArgumentPage}) after
 * {@code shared_info} is mapped at {@code sharedInfoVa}; used only on that vCPU's thread.
 * Nothing on these paths allocates except the console's chunking.
 */
public final class XenPvOps implements PvOps {
    /** {@code mmu_update} requests queued at most in lazy mode before a flush. */
    public static final int BATCH = 64;

    private final Cpu cpu;
    /** This vCPU's vcpu_info in shared_info: its upcall mask is the interrupt flag. */
    private final VcpuInfo vcpuInfo;
    private final MmuCalls mmu;
    private final TimerCalls timer;
    private final ConsoleIoCalls console;
    private final SchedOpCalls sched;
    private final XenVersionCalls version;
    private final CallbackCalls callbacks;
    private final TrapTableCalls traps;
    private final VcpuOpCalls vcpuOps;
    private final PvClock clock;
    private final SegmentBuffer batch = SegmentBuffer.allocate(BATCH * MmuUpdate.SIZE);
    private final MmuUpdate request = new MmuUpdate();
    private int queued;
    private boolean lazy;
    private long batchesSent;

    /** The operations of {@code cpu}, with shared_info mapped at {@code sharedInfoVa}. */
    public XenPvOps(Cpu cpu, ArgumentPage page, long sharedInfoVa) {
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(page, "page");
        this.cpu = cpu;
        this.vcpuInfo = new SharedInfo().wrap(new GuestMemoryBuffer(cpu.memory(), sharedInfoVa, SharedInfo.SIZE), 0)
                .vcpuInfo(cpu.vcpuId(), new VcpuInfo());
        this.mmu = new MmuCalls(cpu, page);
        this.timer = new TimerCalls(cpu);
        this.console = new ConsoleIoCalls(cpu, page);
        this.sched = new SchedOpCalls(cpu, page);
        this.version = new XenVersionCalls(cpu, page);
        this.callbacks = new CallbackCalls(cpu, page);
        this.traps = new TrapTableCalls(cpu, page);
        this.vcpuOps = new VcpuOpCalls(cpu, page);
        this.clock = new PvClock(cpu, sharedInfoVa);
    }

    @Override
    public String platformName() {
        long v = version.version();
        return "Xen " + (v >>> 16) + "." + (v & 0xFFFF);
    }

    /** {@code CALLBACKOP_register(CALLBACKTYPE_event)} with the callback's code address. */
    @Override
    public void installEventCallback(EventCallback callback) {
        long rc = callbacks.register(CallbackOp.CALLBACKTYPE_EVENT, 0, cpu.registerCode(callback));
        if (rc < 0) {
            throw new IllegalStateException("CALLBACKOP_register(event) failed: " + rc);
        }
    }

    /** {@code set_trap_table} with one entry, by code address. */
    @Override
    public void installTrapHandler(int vector, TrapHandler handler) {
        long rc = traps.setTrap(vector, 0, cpu.registerCode(handler));
        if (rc < 0) {
            throw new IllegalStateException("set_trap_table(vector " + vector + ") failed: " + rc);
        }
    }

    @Override
    public boolean saveAndDisableEvents() {
        // Plain: only this vCPU writes its mask, and the hypervisor reads it on this vCPU's thread.
        boolean wasEnabled = vcpuInfo.evtchnUpcallMask() == 0;
        vcpuInfo.evtchnUpcallMask(1);
        return wasEnabled;
    }

    @Override
    public void restoreEvents(boolean enabled) {
        if (!enabled) {
            return;
        }
        vcpuInfo.upcallMaskRelease(0);
        // The mask store must be visible before pending is read: an event raised in between
        // saw the mask set and raised no upcall, so we must see its pending flag here.
        VarHandle.fullFence();
        if (vcpuInfo.upcallPendingAcquire() != 0) {
            version.version(); // xen_force_evtchn_callback: any hypercall's return delivers it
        }
    }

    @Override
    public void safeHalt() {
        sched.block();
    }

    @Override
    public void setPte(long pteMachineAddress, long pte) {
        request.wrap(batch, (long) queued * MmuUpdate.SIZE).ptr(pteMachineAddress, Mmu.NORMAL_PT_UPDATE).val(pte);
        queued++;
        if (!lazy || queued == BATCH) {
            flushQueued();
        }
    }

    private void flushQueued() {
        if (queued == 0) {
            return;
        }
        int n = queued;
        queued = 0;
        batchesSent++;
        long rc = mmu.mmuUpdate(batch, 0, n, DomId.DOMID_SELF);
        if (rc < 0) {
            throw new MmuException("mmu_update of " + n + " entries", rc);
        }
    }

    @Override
    public void setPteForVa(long va, long pte) {
        flushQueued();
        long rc = mmu.updateVaMapping(va, pte, Uvmf.INVLPG | Uvmf.LOCAL);
        if (rc < 0) {
            throw new MmuException("update_va_mapping(0x" + Long.toHexString(va) + ")", rc);
        }
    }

    @Override
    public void enterLazyMmu() {
        lazy = true;
    }

    @Override
    public void leaveLazyMmu() {
        lazy = false;
        flushQueued();
    }

    @Override
    public void flushLazyMmu() {
        flushQueued();
    }

    /** {@code mmu_update} hypercalls made so far (a lazy batch counts once). */
    public long mmuUpdateBatches() {
        return batchesSent;
    }

    @Override
    public void switchAddressSpace(Mfn l4) {
        flushQueued();
        long rc = mmu.newBaseptr(l4);
        if (rc < 0) {
            throw new MmuException("MMUEXT_NEW_BASEPTR " + l4, rc);
        }
    }

    @Override
    public void flushTlb() {
        flushQueued();
        mmu.tlbFlushLocal();
    }

    @Override
    public void flushTlbOne(long va) {
        flushQueued();
        mmu.invlpgLocal(va);
    }

    @Override
    public long systemTime() {
        return clock.systemTime();
    }

    @Override
    public long wallClock() {
        return clock.wallClockAtBoot() + clock.systemTime();
    }

    /** {@code VCPUOP_stop_periodic_timer} on this vCPU. */
    @Override
    public void stopPeriodicTick() {
        long rc = vcpuOps.stopPeriodicTimer(cpu.vcpuId());
        if (rc < 0) {
            throw new IllegalStateException("VCPUOP_stop_periodic_timer failed: " + rc);
        }
    }

    @Override
    public void programTimer(long deadline) {
        timer.setTimerOp(deadline);
    }

    @Override
    public void consoleWrite(MemorySegment bytes, long offset, long length) {
        console.write(bytes, offset, length);
    }

    @Override
    public void shutdown(int reason) {
        flushQueued();
        long rc = sched.shutdown(reason);
        throw new IllegalStateException("SCHEDOP_shutdown(" + reason + ") returned " + rc);
    }
}
