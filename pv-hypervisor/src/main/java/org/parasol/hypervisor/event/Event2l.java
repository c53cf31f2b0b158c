package org.parasol.hypervisor.event;

import java.util.Objects;

import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.VcpuInfo;

/**
 * Xen's 2-level event ABI, the hypervisor's half (Xen's {@code event_2l.c}): what raising,
 * clearing and unmasking a port does to a domain's {@code shared_info} page, in Xen's order.
 *
 * <pre>
 *  set_pending(port, v):  test_and_set(evtchn_pending[port])         already set: no new edge, stop
 *                         mask[port] clear and
 *                           test_and_set(v.evtchn_pending_sel, port/64) was clear
 *                             -> mark v events-pending: test_and_set(v.evtchn_upcall_pending),
 *                                kick v if it was clear
 *                         wake any vCPU polling the port (SCHEDOP_poll), masked or not
 *  unmask(port, v):       test_and_clear(mask[port]) was set and pending[port] set and
 *                           test_and_set(v.evtchn_pending_sel, port/64) was clear
 *                             -> mark v events-pending
 * </pre>
 *
 * <p>The page is read and written only through the ABI's {@link SharedInfo} and
 * {@link VcpuInfo} flyweights, the same classes the guest reads it with, each wrapped once over
 * the machine page here and never re-pointed, so they may be used from any thread: senders
 * from other domains' vCPUs, VIRQs from the timer thread. We can't trust the guest, which
 * writes the same page concurrently: every bit is changed with an atomic operation, and
 * {@code evtchn_upcall_pending} with a compare-and-set over the word that also holds the
 * guest's {@code evtchn_upcall_mask}, so neither side loses the other's store.
 *
 * <p>Only vCPUs below {@link SharedInfo#XEN_LEGACY_MAX_VCPUS} have a {@code vcpu_info} slot
 * (Parasol has no {@code VCPUOP_register_vcpu_info}); events for another vCPU stay pending in
 * {@code evtchn_pending} and are seen by polling. Nothing here allocates or takes a lock;
 * callers hold the event lock that keeps the port's binding stable.
 */
public final class Event2l implements EventChannels.Notifier {

    /** What marking events pending needs from the scheduler. */
    public interface Wakeups {
        /** vCPU {@code vcpu}'s {@code evtchn_upcall_pending} went from 0 to 1: wake it if it waits. */
        void kick(int vcpu);

        /** {@code port} became pending: wake every vCPU polling (Xen's {@code evtchn_check_pollers}). */
        void wakePollers(int port);
    }

    private final SharedInfo shared;
    private final VcpuInfo[] vcpuInfo;
    private final Wakeups wakeups;

    /**
     * The 2-level ABI over the {@code shared_info} page {@code page} (its start), for a domain
     * of {@code vcpus} vCPUs.
     */
    public Event2l(SharedBuffer page, int vcpus, Wakeups wakeups) {
        this.shared = new SharedInfo().wrap(page, 0);
        this.vcpuInfo = new VcpuInfo[Math.min(vcpus, SharedInfo.XEN_LEGACY_MAX_VCPUS)];
        for (int i = 0; i < vcpuInfo.length; i++) {
            vcpuInfo[i] = shared.vcpuInfo(i, new VcpuInfo());
        }
        this.wakeups = Objects.requireNonNull(wakeups, "wakeups");
    }

    /** The domain's {@code shared_info}, wrapped for good: safe to use from any thread. */
    public SharedInfo sharedInfo() {
        return shared;
    }

    /**
     * vCPU {@code vcpu}'s {@code vcpu_info} slot, wrapped for good, or {@code null} for a vCPU
     * beyond the slots of the page.
     */
    public VcpuInfo vcpuInfo(int vcpu) {
        return vcpu >= 0 && vcpu < vcpuInfo.length ? vcpuInfo[vcpu] : null;
    }

    /** {@code evtchn_2l_set_pending}: raises {@code port} (a valid port) towards vCPU {@code vcpu}. */
    @Override
    public void setPending(int port, int vcpu) {
        if (shared.testAndSetPending(port)) {
            return; // no new edge
        }
        VcpuInfo v = vcpuInfo(vcpu);
        if (v != null && !shared.isMasked(port) && !v.testAndSetPendingSel(port >>> 6)) {
            markEventsPending(vcpu, v);
        }
        wakeups.wakePollers(port);
    }

    /** {@code evtchn_2l_clear_pending}: a closed port's pending bit goes. */
    @Override
    public void clearPending(int port) {
        shared.testAndClearPending(port);
    }

    /**
     * {@code evtchn_2l_unmask}: clears {@code port}'s mask bit and, if it was set while the port
     * is pending, raises the selector and the upcall on the port's notify vCPU {@code vcpu}: the
     * edge the mask swallowed.
     */
    @Override
    public void unmask(int port, int vcpu) {
        VcpuInfo v = vcpuInfo(vcpu);
        if (shared.testAndClearMask(port) && shared.isPending(port) && v != null
                && !v.testAndSetPendingSel(port >>> 6)) {
            markEventsPending(vcpu, v);
        }
    }

    /** {@code evtchn_2l_is_pending}. */
    public boolean isPending(int port) {
        return shared.isPending(port);
    }

    /** {@code evtchn_2l_is_masked}. */
    public boolean isMasked(int port) {
        return shared.isMasked(port);
    }

    /** {@code vcpu_mark_events_pending}: upcall pending, and a kick when it is a new one. */
    private void markEventsPending(int vcpu, VcpuInfo v) {
        if (!v.testAndSetUpcallPending()) {
            wakeups.kick(vcpu);
        }
    }
}
