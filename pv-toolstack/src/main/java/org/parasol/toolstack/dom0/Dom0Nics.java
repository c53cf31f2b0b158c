package org.parasol.toolstack.dom0;

import java.util.HashMap;
import java.util.Map;

import org.parasol.drivers.net.Bridge;
import org.parasol.drivers.net.NetBackend;
import org.parasol.drivers.net.Vif;
import org.parasol.drivers.net.VifStatistics;
import org.parasol.guest.event.PortHandler;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.GuestOutOfMemoryException;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Port;

/**
 * The emulated NICs of native domains on dom0's bridges: a native domain's {@code vif=} entry
 * becomes an NE2000 in the hypervisor's device model (deviation 36), and this is the other end
 * of its wire, a port of the bridge the entry names, as QEMU's tap is for an HVM guest's card
 * on {@code xenbr0}.
 *
 * <pre>
 *  bridge ──deliver(va, len)──► emulatedNicDeliver ──► the card's receive ring (full: dropped, counted there)
 *  the card's port raised ──► serve: emulatedNicTake until 0 (at most BUDGET a pass) ──► bridge.input
 * </pre>
 *
 * <p>Runs on dom0's vCPU 0 run loop, as netback and the uplink do. A card whose domain is gone
 * answers {@code -ESRCH}: the port is taken off the bridge.
 */
final class Dom0Nics {
    /** Frames taken from a card per pass of the run loop. */
    static final int BUDGET = 64;

    private final Kernel k;
    private final NetBackend netback;
    private final Map<Integer, Card> cards = new HashMap<>();

    /** One card: a bridge port, dom0's page its frames cross, the port the hypervisor raises. */
    private final class Card implements Bridge.Port {
        final int domid;
        final Bridge bridge;
        final PageRun staging;
        Port port;
        /** What handles {@link #port} here: detached by identity, since the hypervisor may close the port first. */
        PortHandler handler;
        boolean closed;
        final int devid;
        long in;
        long out;
        long inBytes;
        long outBytes;
        long dropped;

        Card(int domid, int devid, Bridge bridge, PageRun staging) {
            this.domid = domid;
            this.devid = devid;
            this.bridge = bridge;
            this.staging = staging;
        }

        /** A frame for the card: copied into its ring by the hypervisor now, or dropped. */
        @Override
        public boolean deliver(long va, int length) {
            if (closed) {
                return false;
            }
            long rc = k.cpu().emulatedNicDeliver(domid, va, length);
            if (rc == 0) {
                in++;
                inBytes += length;
                return true;
            }
            dropped++;
            if (rc == -Errno.ESRCH) {
                k.execute(() -> forget(domid));
            }
            return false;
        }

        /** The frames the card sent, onto the bridge; whether some may be left. */
        boolean serve() {
            int moved = 0;
            while (!closed && moved < BUDGET) {
                long n = k.cpu().emulatedNicTake(domid, staging.va());
                if (n < 0) {
                    forget(domid);
                    return false;
                }
                if (n == 0) {
                    return false;
                }
                out++;
                outBytes += n;
                moved++;
                bridge.input(this, staging.va(), (int) n);
                bridge.flush(); // the next frame reuses the staging page
            }
            return moved == BUDGET;
        }
    }

    Dom0Nics(Kernel k, NetBackend netback) {
        this.k = k;
        this.netback = netback;
    }

    /**
     * Gives native domain {@code domid} an NE2000 for {@code vif} on the bridge it names.
     *
     * @return what to log
     */
    String attach(int domid, DeviceSpec vif) throws Builder.BuildException {
        if (!vif.backend().equals(DeviceSpec.DOM0)) {
            throw new Builder.BuildException("attaching vif " + vif.devid() + ": an emulated NIC is on dom0's bridge,"
                    + " not a driver domain's (backend=" + vif.backend() + ")", 0);
        }
        if (cards.containsKey(domid)) {
            throw new Builder.BuildException("attaching vif " + vif.devid() + ": a native domain has one NE2000", 0);
        }
        String mac = vif.mac(domid);
        long bits = Vif.parseMac(mac);
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (bits >>> (40 - 8 * i));
        }
        PageRun staging;
        try {
            staging = k.memory().allocatePages(1);
        } catch (GuestOutOfMemoryException e) {
            throw new Builder.BuildException("a page for d" + domid + "'s NE2000", -Errno.ENOMEM);
        }
        long rc = k.cpu().attachEmulatedNic(domid, b);
        if (rc < 0) {
            k.memory().freePages(staging);
            throw new Builder.BuildException("attaching d" + domid + "'s NE2000", rc);
        }
        Bridge bridge = netback.bridge(vif.params().get("bridge"));
        Card c = new Card(domid, vif.devid(), bridge, staging);
        c.port = Port.of((int) rc);
        cards.put(domid, c);
        bridge.attach(c);
        c.handler = k.loop().deferred(p -> serve(c));
        k.events().attach(c.port, c.handler);
        return "vif " + vif.devid() + " as an NE2000 (0x300, IRQ 10, " + mac + ") on " + bridge.name();
    }

    /**
     * Each card's counters as the guest sees them: what it transmitted ({@code tx}: frames
     * dom0 took off the card) and received ({@code rx}: frames the card stored; the ones its
     * full ring refused are {@code rx_dropped}).
     */
    java.util.List<VifStatistics> statistics() {
        java.util.List<VifStatistics> out = new java.util.ArrayList<>();
        for (Card c : cards.values()) {
            out.add(new VifStatistics(c.domid, c.devid, c.outBytes, c.out, 0, c.inBytes, c.in, c.dropped));
        }
        return out;
    }

    private void serve(Card c) {
        if (cards.get(c.domid) == c && c.serve()) {
            k.execute(() -> serve(c));
        }
    }

    /** Domain {@code domid} is ending: its card leaves the bridge (the hypervisor closes the port). */
    void forget(int domid) {
        Card c = cards.remove(domid);
        if (c == null) {
            return;
        }
        c.closed = true;
        c.bridge.detach(c);
        k.events().detach(c.port, c.handler);
        k.memory().freePages(c.staging);
        k.println("dom0: d" + domid + "'s NE2000 left " + c.bridge.name() + " (" + c.in + " frames in, " + c.out
                + " out, " + c.dropped + " not taken)");
    }
}
