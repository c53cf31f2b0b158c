package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.x86.Platform;
import org.parasol.hypervisor.event.EventChannels;
import org.parasol.hypervisor.hvm.Ne2000;
import org.parasol.hypervisor.hvm.Pic8259;

/**
 * A native domain's NE2000 ({@link Ne2000}) and its wire: the port of dom0's bridge that
 * carries its frames, as QEMU's NIC model sits on a tap in the bridge of an HVM guest's dom0.
 * Parasol's device models run in the hypervisor (deviation 28), so the wire is two privileged
 * calls of the domain that attached it (its back end, dom0) and one port of the back end's:
 *
 * <pre>
 *  dom0 bridge port deliver ──emulatedNicDeliver──► card.receive ──► ring, ISR.PRX ──► IRQ 10 ──► vCPU 0 woken
 *  guest CR.TXP ──► card's transmit queue (32) ──► raise the back end's port (a Xen-consumer port)
 *  dom0's handler ──emulatedNicTake (until 0)──► frame into dom0's memory ──► bridge.input
 * </pre>
 *
 * <p>The back end's port is raised after the guest's access that queued a frame, under the back
 * end's event table's reader lock (which a writer holds only inside one of the back end's port
 * operations), and the back end always empties the queue, so no frame waits for a later one.
 * Nothing here waits on anything the guest holds: the card's lock guards only the card, and
 * the back end never waits on it for longer than one copy.
 */
final class EmulatedNic {
    private final Ne2000 card;
    private final Domain backend;
    /** The port's owner in the back end's table: dom0 has nothing to tell the card on it (frames come by call). */
    private final EventChannels.XenConsumer consumer = p -> {
    };
    private int port;
    /** The card's transmit count at the guest's last access (the guest's vCPU 0 only). */
    private long lastTransmitted;

    private EmulatedNic(Ne2000 card, Domain backend) {
        this.card = card;
        this.backend = backend;
    }

    /**
     * A card with address {@code mac} for {@code target}, served by {@code backend}: allocates the
     * back end's port; returns the NIC, or null when the back end has no port left.
     */
    static EmulatedNic create(Domain target, Domain backend, byte[] mac) {
        Pic8259 pic = target.pic();
        Ne2000 card = new Ne2000(mac, level -> {
            pic.setIrq(Platform.NE2K_IRQ, level);
            if (level) {
                target.vcpu(0).kick(); // a halted vCPU 0 takes the interrupt
            }
        });
        EmulatedNic nic = new EmulatedNic(card, backend);
        int p = backend.events().allocXenConsumer(nic.consumer);
        if (p < 0) {
            return null;
        }
        nic.port = p;
        return nic;
    }

    Ne2000 card() {
        return card;
    }

    Domain backend() {
        return backend;
    }

    /** The back end's port. */
    int port() {
        return port;
    }

    /** A read of the card's port {@code offset} by the guest. */
    long read(int offset, int size) {
        long v = card.read(offset, size);
        afterAccess();
        return v;
    }

    /** A write of the card's port {@code offset} by the guest. */
    void write(int offset, int size, long value) {
        card.write(offset, size, value);
        afterAccess();
    }

    /**
     * After the guest's access: a frame it transmitted raises the back end's port (Xen's
     * notify_via_xen_event_channel; the back end's table's reader lock, held for a few
     * instructions).
     */
    private void afterAccess() {
        long t = card.transmitted();
        if (t != lastTransmitted) {
            lastTransmitted = t;
            backend.events().raiseXenConsumer(port, consumer);
        }
    }

    /** dom0's frame for the card, {@code length} bytes of {@code staging}; whether the card stored it. */
    boolean deliver(MemorySegment staging, int length) {
        return card.receive(staging, 0, length);
    }

    /** The card's oldest transmitted frame into {@code staging}; its length, 0 when none. */
    int take(MemorySegment staging) {
        return card.takeTransmitted(staging, 0);
    }

    /** The domain died: the back end's port is closed (a back end that died first closed it already). */
    void close() {
        backend.events().freeXenConsumer(port, consumer);
    }
}
