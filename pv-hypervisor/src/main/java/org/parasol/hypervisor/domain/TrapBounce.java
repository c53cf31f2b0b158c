package org.parasol.hypervisor.domain;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.GuestCode;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.TrapVector;
import org.parasol.hypercall.struct.VcpuInfo;

/**
 * How a vCPU's guest is entered from the hypervisor: its trap table ({@code set_trap_table},
 * Xen's {@code arch.pv.trap_ctxt}), its event and failsafe callbacks ({@code set_callbacks},
 * {@code callback_op}), and the delivery of event upcalls and page faults to them — what
 * Xen does by filling the vCPU's {@code trap_bounce} and building a bounce frame on the guest
 * stack before it returns to the guest.
 *
 * <p>Upcalls are delivered only at return-to-guest points (hypercall return, trap return,
 * wake-up), never during a TLB miss and never while the hypervisor holds a lock: while
 * {@code evtchn_upcall_pending} is set and {@code evtchn_upcall_mask} clear, the mask is set,
 * the callback runs, the mask is cleared again (the role of {@code HYPERVISOR_iret}) and the
 * flags are checked once more. A page fault is delivered to the vector-14 handler with CR2 in
 * {@code vcpu_info.arch.cr2}; one with no handler, or one inside the handler, crashes the
 * domain. A native kernel that loaded an IDT ({@code lidt}) has its page faults and device
 * interrupts delivered through the gates there instead ({@link VmExits#deliver}), and its
 * event upcalls too once it set {@code HVM_PARAM_CALLBACK_IRQ} to a vector; the trap table
 * and the event callback stay the PV kernel's.
 *
 * <p>Delivery runs on the vCPU's thread; the registrations may be made from any (a
 * {@code VCPUOP_initialise} of another vCPU). The counters are written by the vCPU's thread
 * with opaque stores and may be read from any thread.
 */
public final class TrapBounce {
    private static final VarHandle UPCALLS;
    private static final VarHandle FAULTS;
    private static final VarHandle INTERRUPTS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            UPCALLS = l.findVarHandle(TrapBounce.class, "upcalls", long.class);
            FAULTS = l.findVarHandle(TrapBounce.class, "faults", long.class);
            INTERRUPTS = l.findVarHandle(TrapBounce.class, "interrupts", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Vcpu vcpu;
    private final Cpu cpu;
    /** The vCPU's vcpu_info slot in shared_info, or null beyond the slots (no upcalls). */
    private final VcpuInfo vcpuInfo;

    private volatile EventCallback eventCallback;
    private volatile GuestCode failsafeCallback;
    private final TrapHandler[] traps = new TrapHandler[256];
    /** Inside the page-fault handler: a second fault there crashes the domain. The vCPU's thread. */
    private boolean inFaultHandler;

    private long upcalls;
    private long faults;
    private long interrupts;

    TrapBounce(Vcpu vcpu, Cpu cpu, VcpuInfo vcpuInfo) {
        this.vcpu = vcpu;
        this.cpu = cpu;
        this.vcpuInfo = vcpuInfo;
    }

    // ---------------------------------------------------------------- registrations

    /** set_trap_table: installs {@code handler} for {@code vector} (null clears it). */
    public void setTrap(int vector, TrapHandler handler) {
        traps[vector & 0xFF] = handler;
    }

    /** Clears the whole trap table. */
    public void clearTraps() {
        Arrays.fill(traps, null);
    }

    /** The handler for {@code vector}, or null. */
    public TrapHandler trap(int vector) {
        return traps[vector & 0xFF];
    }

    /** CALLBACKTYPE_event. */
    public void setEventCallback(EventCallback cb) {
        this.eventCallback = cb;
    }

    /** The registered event callback, or null. */
    public EventCallback eventCallback() {
        return eventCallback;
    }

    /** CALLBACKTYPE_failsafe. */
    public void setFailsafeCallback(GuestCode cb) {
        this.failsafeCallback = cb;
    }

    /** The registered failsafe callback, or null. */
    public GuestCode failsafeCallback() {
        return failsafeCallback;
    }

    // ---------------------------------------------------------------- upcalls

    /**
     * Delivers the event upcall while one is pending and upcalls are not masked: the
     * return-to-guest half of every safe point. A native domain that set
     * {@code HVM_PARAM_CALLBACK_IRQ} to a vector takes it as an external interrupt through its
     * IDT instead ({@link VmExits#deliverCallbackVector}). The vCPU's thread, no lock held.
     */
    void deliverUpcalls() {
        VmExits cpuSide = vcpu.vmExits();
        if (cpuSide != null && cpuSide.idtLoaded()) {
            // A vCPU with no IDT (a native domain's secondary, which runs the PV operations)
            // keeps the PV callback: deviation 43.
            int vector = vcpu.domain().callbackVector();
            if (vector >= 0) {
                cpuSide.deliverCallbackVector(vector);
                return;
            }
        }
        EventCallback cb = eventCallback;
        if (cb == null || vcpuInfo == null) {
            return;
        }
        while (upcallDeliverable()) {
            vcpuInfo.upcallMaskRelease(1);
            UPCALLS.setOpaque(this, upcalls + 1);
            try {
                cb.upcall(cpu);
            } catch (GuestAbort | StackOverflowError unwind) {
                throw unwind;
            } catch (Throwable e) {
                throw vcpu.crashFromGuestPath("exception in the event callback of vCPU " + vcpu.id() + ": "
                        + GuestThrowables.describe(e));
            }
            // HYPERVISOR_iret: restore the mask saved on entry (it was clear), then re-check.
            vcpuInfo.upcallMaskRelease(0);
        }
    }

    /**
     * Xen's {@code local_events_need_delivery}: an event callback registered,
     * {@code evtchn_upcall_pending} set and {@code evtchn_upcall_mask} clear (acquire loads).
     */
    public boolean upcallDeliverable() {
        return vcpuInfo != null && vcpuInfo.upcallPendingAcquire() != 0 && vcpuInfo.upcallMaskAcquire() == 0;
    }

    /**
     * Whether upcalls can be delivered at all: an event callback is registered, or the
     * domain takes them at an IDT vector ({@code HVM_PARAM_CALLBACK_IRQ}).
     */
    boolean hasEventCallback() {
        VmExits cpuSide = vcpu.vmExits();
        return eventCallback != null || cpuSide != null && cpuSide.idtLoaded() && vcpu.domain().callbackVector() >= 0;
    }

    /** Event upcalls delivered so far. Any thread. */
    public long upcalls() {
        return (long) UPCALLS.getOpaque(this);
    }

    // ---------------------------------------------------------------- faults

    /**
     * Delivers {@code #PF} at {@code va} with x86 error code {@code errorCode} to the guest's
     * vector-14 handler, then (trap return is a return-to-guest point) pending upcalls; returns
     * when the handler returned, so the access is retried. Crashes the domain when there is no
     * handler or the fault happened inside it.
     */
    void pageFault(long va, int errorCode) {
        FAULTS.setOpaque(this, faults + 1);
        VmExits cpuSide = vcpu.vmExits();
        boolean idt = cpuSide != null && cpuSide.idtLoaded();
        TrapHandler h = idt ? null : traps[TrapVector.PF];
        if (!idt && h == null) {
            throw vcpu.crashFromGuestPath(String.format("page fault at %#x (error code %#x) on vCPU %d with no handler",
                    va, errorCode, vcpu.id()));
        }
        if (inFaultHandler) {
            throw vcpu.crashFromGuestPath(String.format(
                    "page fault at %#x (error code %#x) inside the page-fault handler of vCPU %d", va, errorCode,
                    vcpu.id()));
        }
        if (vcpuInfo != null) {
            vcpuInfo.cr2(va);
        }
        inFaultHandler = true;
        try {
            if (idt) {
                // A native kernel that loaded an IDT: through its gate for vector 14.
                cpuSide.deliver(TrapVector.PF, errorCode, va, false);
            } else {
                h.trap(cpu, TrapVector.PF, errorCode, va);
            }
        } catch (GuestAbort | StackOverflowError unwind) {
            throw unwind;
        } catch (Throwable e) {
            throw vcpu.crashFromGuestPath("exception in the page-fault handler of vCPU " + vcpu.id() + ": "
                    + GuestThrowables.describe(e));
        } finally {
            inFaultHandler = false;
        }
        deliverUpcalls();
    }

    /**
     * Delivers external interrupt {@code vector} (from the 8259 pair, a native domain's) to the
     * handler the trap table holds for it, as the CPU goes through the IDT's interrupt gate;
     * the caller clears and restores IF around it. Crashes the domain when the table has no
     * handler for the vector (on a PC: #NP, then a double and a triple fault).
     */
    void deliverInterrupt(int vector) {
        TrapHandler h = traps[vector & 0xFF];
        if (h == null) {
            throw vcpu.crashFromGuestPath("interrupt vector " + (vector & 0xFF) + " on vCPU " + vcpu.id()
                    + " with no handler in the trap table");
        }
        INTERRUPTS.setOpaque(this, interrupts + 1);
        try {
            h.trap(cpu, vector & 0xFF, 0, 0);
        } catch (GuestAbort | StackOverflowError unwind) {
            throw unwind;
        } catch (Throwable e) {
            throw vcpu.crashFromGuestPath("exception in the handler of interrupt vector " + (vector & 0xFF) + " of vCPU "
                    + vcpu.id() + ": " + GuestThrowables.describe(e));
        }
    }

    /**
     * Runs the handler a native kernel's IDT gate named for {@code vector} ({@link VmExits#deliver}
     * did the gate's checks and saves): an exception out of it crashes the domain.
     */
    void runGate(TrapHandler h, int vector, long errorCode, long address, boolean external) {
        if (external) {
            INTERRUPTS.setOpaque(this, interrupts + 1);
        }
        try {
            h.trap(cpu, vector, errorCode, address);
        } catch (GuestAbort | StackOverflowError unwind) {
            throw unwind;
        } catch (Throwable e) {
            throw vcpu.crashFromGuestPath("exception in the IDT handler of vector " + vector + " of vCPU " + vcpu.id()
                    + ": " + GuestThrowables.describe(e));
        }
    }

    /** External interrupts delivered so far. Any thread. */
    public long interrupts() {
        return (long) INTERRUPTS.getOpaque(this);
    }

    /** Page faults delivered to the guest so far. Any thread. */
    public long faults() {
        return (long) FAULTS.getOpaque(this);
    }
}
