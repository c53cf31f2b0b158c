package org.parasol.toolstack.dom0;

import org.parasol.drivers.net.NetBackend;
import org.parasol.guest.event.PortHandler;
import org.parasol.guest.event.EventChannelException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.GuestOutOfMemoryException;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.HostRelayCalls;
import org.parasol.toolstack.xenstore.XsRingConnection;
import org.parasol.toolstack.xenstore.Xenstored;

/**
 * xenstored's socket clients, as dom0 serves them: each connection the host accepts on
 * xenstored's Unix socket reaches dom0 through the host relay ({@link HostRelayOp}) and is
 * served here as one privileged store connection of dom0's tools, with its own watches and
 * transactions, exactly as C xenstored treats each client of {@code /run/xenstored/socket}.
 * The bytes on the relay's page are the socket's byte stream, {@code xs_wire} messages, laid
 * out as a {@code xenstore_domain_interface}: the host writes requests and reads replies as
 * a domain's xenbus does, and dom0 serves the page with the same {@link XsRingConnection} as a
 * domain's store ring.
 *
 * <pre>
 *  VIRQ_ARCH_7 (a slot offered or hung up)
 *    for each slot: STATUS
 *      OFFERED, not ours:  a zeroed page of dom0's own; ATTACH(slot, mfn) -&gt; port;
 *                          an XsRingConnection (privileged, domid 0) over the page, served
 *                          on the run loop whenever the port fires
 *      HUNG_UP, ours:      the connection closed (watches, transactions gone);
 *                          DETACH(slot); the page back to dom0's allocator
 *  a client breaking the protocol: its connection ends, and the slot is detached, which
 *  tells the host to close the socket
 * </pre>
 *
 * <p>Slots the host offers as {@link HostRelayOp#KIND_NET_UPLINK} are a bridge's uplink to a
 * host TAP device instead, served by {@link Dom0Uplink}.
 *
 * <p>Everything runs on dom0's vCPU 0 run loop, like the rest of xenstored. A host without a
 * relay for it (a dom0 without privilege: {@code -EPERM}) leaves this idle.
 */
final class Dom0SocketRelay {
    /** One attached slot: its page, its port, its store connection. */
    private final class Client {
        final int slot;
        final PageRun page;
        final Port port;
        final XsRingConnection ring;
        /** What handles {@link #port} here (detached by identity). */
        PortHandler handler;

        Client(int slot, PageRun page, Port port, XsRingConnection ring) {
            this.slot = slot;
            this.page = page;
            this.port = port;
            this.ring = ring;
        }
    }

    private final Kernel k;
    private final Xenstored xenstored;
    private final HostRelayCalls relay;
    private final EventChannelCalls evtchn;
    private final Client[] clients;
    private final BoundPort virq;
    /** The bridges' uplinks to the host's TAP devices: the slots the host offers as {@code KIND_NET_UPLINK}. */
    private final Dom0Uplink uplinks;
    private long served;

    private Dom0SocketRelay(Kernel k, Xenstored xenstored, HostRelayCalls relay, int slots, NetBackend netback,
            String uplinkBridge) {
        this.k = k;
        this.uplinks = new Dom0Uplink(k, relay, netback, uplinkBridge);
        this.xenstored = xenstored;
        this.relay = relay;
        this.evtchn = new EventChannelCalls(k.cpu(), k.argumentPage());
        this.clients = new Client[slots];
        this.virq = k.events().bindVirq(Virq.PARASOL_HOST_RELAY, k.loop().deferred(p -> scan()));
    }

    /**
     * Starts serving the host's socket clients, or returns null when the host has no relay
     * for this domain (then only the domains' rings reach xenstored).
     */
    static Dom0SocketRelay start(Kernel k, Xenstored xenstored, NetBackend netback, String uplinkBridge) {
        HostRelayCalls relay = new HostRelayCalls(k.cpu());
        long slots = relay.slots();
        if (slots <= 0) {
            return null;
        }
        try {
            Dom0SocketRelay r = new Dom0SocketRelay(k, xenstored, relay, (int) Math.min(slots, 4096), netback,
                    uplinkBridge);
            r.scan(); // a client that connected before the VIRQ was bound
            return r;
        } catch (EventChannelException e) {
            k.println("dom0: xenstored: no socket relay: " + e.getMessage());
            return null;
        }
    }

    /** On the VIRQ: attach each newly offered slot, let go of each hung-up one. */
    private void scan() {
        for (int slot = 0; slot < clients.length; slot++) {
            long st = relay.status(slot);
            Client c = clients[slot];
            if (uplinks.owns(slot)) {
                uplinks.status(slot, st);
            } else if (st == HostRelayOp.OFFERED && c == null) {
                if (relay.kind(slot) == HostRelayOp.KIND_NET_UPLINK) {
                    uplinks.attach(slot);
                } else {
                    attach(slot);
                }
            } else if (c != null && st != HostRelayOp.ATTACHED) {
                if (st == HostRelayOp.HUNG_UP) {
                    // What the client sent before it hung up is carried out, as C xenstored
                    // runs each whole request it read before the end of the stream; the
                    // replies go nowhere.
                    c.ring.service();
                }
                drop(c); // hung up, or gone under us
            }
        }
    }

    private void attach(int slot) {
        PageRun page;
        try {
            page = k.memory().allocatePages(1);
        } catch (GuestOutOfMemoryException e) {
            k.println("xenstored: no page for socket client " + slot + "; refused");
            relay.detach(slot);
            return;
        }
        Mfn mfn = k.memory().mfn(page.pfn());
        long rc = relay.attach(slot, mfn);
        if (rc < 0) {
            k.memory().freePages(page);
            if (rc != -Errno.EINVAL) { // EINVAL: withdrawn meanwhile; anything else: refuse it
                k.println("xenstored: socket client " + slot + " cannot be attached (" + Builder.errnoName(rc) + ")");
                relay.detach(slot);
            }
            return;
        }
        Port port = Port.of((int) rc);
        XsRingConnection ring = new XsRingConnection(xenstored, 0, true,
                new GuestMemoryBuffer(k.cpu().memory(), page.va(), Mmu.PAGE_SIZE), 0, () -> evtchn.send(port),
                XsRingConnection.Limits.RELAYED, (r, error, why) -> {
                    k.println("xenstored: socket client " + slot + " broke the protocol (" + why + "); disconnected");
                    k.execute(() -> hangUp(slot, r));
                });
        Client c = new Client(slot, page, port, ring);
        clients[slot] = c;
        served++;
        c.handler = k.loop().deferred(p -> serve(c));
        k.events().attach(port, c.handler);
        serve(c); // what the host wrote before the port was ours
    }

    /** Runs a client's ring; input left after its budget runs again after the other tasks. */
    private void serve(Client c) {
        if (clients[c.slot] == c && c.ring.service()) {
            k.execute(() -> serve(c));
        }
    }

    /** dom0 ends a client (it broke the protocol): the slot is detached, and the host closes the socket. */
    private void hangUp(int slot, XsRingConnection ring) {
        Client c = clients[slot];
        if (c != null && c.ring == ring) {
            drop(c);
        }
    }

    /** In reverse of {@link #attach}: the connection, the handler, the slot (port and pin), the page. */
    private void drop(Client c) {
        clients[c.slot] = null;
        c.ring.close();
        k.events().detach(c.port, c.handler);
        relay.detach(c.slot);
        k.memory().freePages(c.page);
    }

    /** Socket clients served since boot. */
    long served() {
        return served;
    }

    /** Socket clients connected now. */
    int connected() {
        int n = 0;
        for (Client c : clients) {
            if (c != null) {
                n++;
            }
        }
        return n;
    }

    /** Ends every client and stops listening (dom0 powering off). */
    void close() {
        for (Client c : clients) {
            if (c != null) {
                drop(c);
            }
        }
        uplinks.close();
        virq.close();
    }
}
