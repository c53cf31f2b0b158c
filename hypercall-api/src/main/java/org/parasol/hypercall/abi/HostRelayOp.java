package org.parasol.hypercall.abi;

import org.parasol.hypercall.Hypercall;

/**
 * Parasol's host relay ({@code parasol_host_relay_op}, hypercall 55, x86's
 * unused {@code __HYPERVISOR_arch_7}): how the control domain reaches connections the host
 * accepts on its side of the machine, such as dom0's tools on xenstored's Unix socket
 * (deviations §16). Register-shaped, no structure: {@code (cmd, slot, mfn)}.
 *
 * <p>The host offers a connection in a <em>slot</em>; the hypervisor raises the global
 * {@link #VIRQ} in the privileged domain. The domain asks each slot's {@link #STATUS}, and
 * {@link #ATTACH}es an offered one with a page of its own memory: the hypervisor pins the
 * page (a general and a writable type reference, as Xen pins a page a guest registers, such
 * as the FIFO event control block) and shares it with the host, and binds a new port of the
 * caller whose remote end is the host (a Xen-consumer channel: an unbound port whose sends
 * the hypervisor hands to a callback, Xen's {@code alloc_unbound_xen_event_channel}). The
 * domain {@link #DETACH}es a slot when it is done, or when the host {@link #HUNG_UP}: the
 * port is closed, the page unpinned, the slot free again.
 *
 * <pre>
 *  FREE --host offers--&gt; OFFERED --ATTACH--&gt; ATTACHED --host hangs up--&gt; HUNG_UP
 *    ^                      |  host hangs up     |  DETACH                  |  DETACH
 *    +----------------------+--------------------+--------------------------+
 * </pre>
 *
 * <p>Only the privileged control domain (dom0: the host creates it privileged, and no domain
 * a toolstack builds ever is) may use it: anyone else gets {@code -EPERM} for every command.
 */
public final class HostRelayOp {
    private HostRelayOp() {
    }

    /** The hypercall number: {@code __HYPERVISOR_arch_7}, which x86 Xen leaves unused. */
    public static final int HYPERCALL = Hypercall.ARCH_7;
    /** The global VIRQ the host raises when a slot is offered or hung up: {@code VIRQ_ARCH_7}. */
    public static final int VIRQ = Virq.ARCH_7;

    /** {@code (SLOTS)}: how many slots the host has (its bound on concurrent connections). */
    public static final int SLOTS = 0;
    /** {@code (STATUS, slot)}: the slot's state, {@link #FREE} .. {@link #HUNG_UP}; {@code -EINVAL} for no such slot. */
    public static final int STATUS = 1;
    /**
     * {@code (ATTACH, slot, mfn)}: shares the caller's page {@code mfn} with the host for an
     * {@link #OFFERED} slot and answers the new port. {@code -EINVAL}: no such slot, a slot
     * that is not offered, or a frame the caller does not own or that cannot be a writable
     * page (a page table, one pinned); {@code -ENOSPC}: no free port.
     */
    public static final int ATTACH = 2;
    /**
     * {@code (DETACH, slot)}: the slot's port is closed and its page unpinned (the caller may
     * reuse it at once: the host no longer touches it), or an offered slot is refused; the
     * host hears of it and ends its connection. {@code -EINVAL}: no such slot, or a free one.
     */
    public static final int DETACH = 3;
    /**
     * {@code (KIND, slot)}: what the host offers in the slot, {@link #KIND_XENSTORED} or
     * {@link #KIND_NET_UPLINK}, so that the domain serves each slot with the right protocol;
     * {@code -EINVAL}: no such slot, or a free one.
     */
    public static final int KIND = 4;

    /** Slot kind: a client of xenstored's Unix socket; the page is a {@code xenstore_domain_interface}. */
    public static final int KIND_XENSTORED = 0;
    /**
     * Slot kind: a bridge's uplink to a host TAP device; the page is a
     * {@link org.parasol.hypercall.io.FrameRelayPage} of Ethernet frames both ways.
     */
    public static final int KIND_NET_UPLINK = 1;

    /** Slot state: nothing there. */
    public static final int FREE = 0;
    /** Slot state: the host has a connection waiting for the domain to attach it. */
    public static final int OFFERED = 1;
    /** Slot state: attached: the page and port carry the connection. */
    public static final int ATTACHED = 2;
    /** Slot state: the host's end closed; the domain should detach. */
    public static final int HUNG_UP = 3;
}
