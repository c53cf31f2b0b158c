package org.parasol.guest.pvops;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.EventCallback;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.TrapHandler;

/**
 * The one seam between the guest kernel and the (virtual) machine, in the manner of Linux's
 * {@code pv_ops}: every privileged thing the kernel does — the event mask (its interrupt
 * flag), page-table updates, the address-space switch, TLB flushes, timer programming,
 * console output, reading the clocks, halting and shutting down — goes through this
 * interface and nowhere else.
 *
 * <pre>
 *   RunLoop  Timers  PageTables  Console  Kernel
 *      \       |        |          |       /
 *       +------+--------+----------+------+
 *                      PvOps
 *          XenPvOps (hypercalls)  |  a native implementation
 *                                 |  (privileged instructions, trap-and-emulate)
 * </pre>
 *
 * <p>{@link XenPvOps} implements it with hypercalls; a native implementation that executes
 * privileged instructions against emulated hardware slots in beside it, so the same kernel
 * and applications run unchanged on either.
 *
 * <p>Lazy MMU mode: between {@link #enterLazyMmu} and {@link #leaveLazyMmu}, {@link #setPte}
 * may queue updates instead of applying them, as Linux's {@code arch_enter_lazy_mmu_mode};
 * they all take effect, in order, by the time {@code leaveLazyMmu} returns. Outside it every
 * update takes effect before {@code setPte} returns.
 *
 * <p>Invariants: one instance per vCPU, used only on that vCPU's thread.
 */
public interface PvOps {

    // ---------------------------------------------------------------- entry points

    /** What the kernel runs on, for the banner: for example {@code "Xen 4.19"}. */
    String platformName();

    /**
     * Installs the code the machine enters when events are pending (Xen's event callback;
     * natively, the interrupt vector).
     */
    void installEventCallback(EventCallback callback);

    /** Installs the handler of exception {@code vector} (Xen's trap table; natively, the IDT). */
    void installTrapHandler(int vector, TrapHandler handler);

    // ---------------------------------------------------------------- the event mask

    /** {@code local_irq_save}: masks event upcalls and returns whether they were enabled. */
    boolean saveAndDisableEvents();

    /**
     * {@code local_irq_restore}: enables upcalls again if {@code enabled}, delivering at once
     * any event that became pending while they were masked.
     */
    void restoreEvents(boolean enabled);

    /**
     * {@code safe_halt}: with upcalls masked by the caller, enables them and sleeps until an
     * event is pending, atomically, so an event that arrives between the caller's last check
     * and the halt still wakes it. Pending events are delivered before it returns, with
     * upcalls left enabled.
     */
    void safeHalt();

    // ---------------------------------------------------------------- page tables

    /**
     * Writes page-table entry {@code pte} at machine address {@code pteMachineAddress} (a
     * slot of one of the domain's page-table frames), validated by the hypervisor.
     *
     * @throws MmuException if the update is refused
     */
    void setPte(long pteMachineAddress, long pte);

    /**
     * Writes the L1 entry that maps virtual address {@code va} in the current address
     * space and drops {@code va}'s stale TLB entry ({@code update_va_mapping} with
     * {@code UVMF_INVLPG}). Applies any queued lazy updates first.
     *
     * @throws MmuException if the update is refused
     */
    void setPteForVa(long va, long pte);

    /** Starts batching {@link #setPte} updates. */
    void enterLazyMmu();

    /** Applies every queued update and leaves lazy mode. */
    void leaveLazyMmu();

    /**
     * {@code arch_flush_lazy_mmu_mode}: applies every queued update now and stays in lazy
     * mode (for when the kernel must read back what it queued, such as a new table's hook).
     */
    void flushLazyMmu();

    /** {@code write_cr3}: switches this vCPU to the address space whose L4 is {@code l4}. */
    void switchAddressSpace(Mfn l4);

    /** Flushes this vCPU's whole TLB. */
    void flushTlb();

    /** Drops this vCPU's TLB entry for {@code va} ({@code invlpg}). */
    void flushTlbOne(long va);

    // ---------------------------------------------------------------- time

    /** Monotonic system time in nanoseconds since the hypervisor booted. */
    long systemTime();

    /** Wall-clock time in nanoseconds since the Unix epoch. */
    long wallClock();

    /**
     * Stops the periodic tick the machine starts with (Xen's default 10 ms timer), so that
     * only {@link #programTimer} raises timer events: the kernel is tickless.
     */
    void stopPeriodicTick();

    /**
     * Programs this vCPU's one-shot timer for absolute system time {@code deadline}
     * ({@code 0} cancels it). Expiry raises the timer event ({@code VIRQ_TIMER}).
     */
    void programTimer(long deadline);

    // ---------------------------------------------------------------- console and power

    /** Writes {@code length} bytes of {@code bytes} from {@code offset} to the console. */
    void consoleWrite(MemorySegment bytes, long offset, long length);

    /**
     * Ends the domain with {@code reason} ({@code SHUTDOWN_poweroff}, {@code _reboot},
     * {@code _crash}). Does not return: the vCPU unwinds with
     * {@link org.parasol.hypercall.GuestAbort}.
     */
    void shutdown(int reason);
}
