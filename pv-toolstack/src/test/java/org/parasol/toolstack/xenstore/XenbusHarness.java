package org.parasol.toolstack.xenstore;

import java.util.ArrayList;
import java.util.List;

import org.parasol.guest.FakePvOps;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.sched.RunLoop;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypercall.io.XenstoreDomainInterface;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * xenstored and guests without dom0 or a hypervisor: each guest is a run loop with the
 * kernel's {@link Xenbus} client over one page of flat guest memory, and xenstored serves the
 * same page through an {@link XsRingConnection} over the page's segment. The two notify
 * functions only raise a flag each, as an event channel only sets a pending bit; {@link #pump}
 * delivers them, runs xenstored and the guests' tasks, until nothing moves.
 */
final class XenbusHarness {
    static final long PAGE_VA = 0x40_0000L;

    final XsStore store;
    final Xenstored xsd;
    /** dom0's tools, straight into xenstored (the toolstack's own connection). */
    final XsConnection tools;
    final List<Guest> guests = new ArrayList<>();
    final List<Throwable> crashes = new ArrayList<>();
    final List<String> faults = new ArrayList<>();
    private int toolsReqId;

    /** One domain: its run loop, its page, its client, and xenstored's end of its ring. */
    final class Guest {
        final int domid;
        final FakePvOps ops = new FakePvOps();
        final RunLoop loop = new RunLoop(ops, crashes::add);
        final FlatGuestMemory memory = new FlatGuestMemory(PAGE_VA, 4096);
        final GuestMemoryBuffer page = new GuestMemoryBuffer(memory, PAGE_VA, 4096);
        final XsRingConnection ring;
        final Xenbus xenbus;
        boolean kickedServer;
        boolean kickedGuest;

        Guest(int domid, boolean privileged, int firstIndex) {
            this.domid = domid;
            long start = Integer.toUnsignedLong(firstIndex);
            new XenstoreDomainInterface().wrap(page, 0).reqCons(start).reqProd(start).rspCons(start).rspProd(start);
            ring = new XsRingConnection(xsd, domid, privileged, new SegmentBuffer(memory.segment), 0,
                    () -> kickedGuest = true, (r, error, why) -> faults.add("d" + domid + ": " + why));
            xenbus = new Xenbus(loop, page, 0, () -> kickedServer = true);
        }
    }

    XenbusHarness(XsQuota quota) {
        store = new XsStore(quota);
        xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
            }
        });
        tools = new XsConnection(0, true, e -> { });
        store.connect(tools);
    }

    /** Domain {@code domid} with a home it owns, its ring's indices starting at {@code firstIndex}. */
    Guest guest(int domid, int firstIndex) {
        if (domid != 0) {
            tool(XsWire.XS_WRITE, "/local/domain/" + domid + "\0");
            tool(XsWire.XS_SET_PERMS, "/local/domain/" + domid + "\0n" + domid + "\0");
        }
        Guest g = new Guest(domid, domid == 0, firstIndex);
        guests.add(g);
        return g;
    }

    /** A request from dom0's tools; returns the reply's text, or "ERR:" and the errno name. */
    String tool(int type, String payload) {
        XsMessage reply = xsd.handle(tools, XsMessage.of(type, ++toolsReqId, 0, payload));
        return reply.type() == XsWire.XS_ERROR ? "ERR:" + reply.text().replace("\0", "") : reply.text();
    }

    /** Delivers kicks, serves rings and runs tasks until nothing moves. */
    void pump() {
        for (int round = 0; round < 1_000_000; round++) {
            boolean busy = false;
            for (Guest g : guests) {
                if (g.kickedServer) {
                    g.kickedServer = false;
                    busy = true;
                    if (g.ring.service()) {
                        g.kickedServer = true; // it yielded with input left
                    }
                }
                if (g.kickedGuest) {
                    g.kickedGuest = false;
                    busy = true;
                    g.loop.execute(g.xenbus::onEvent); // the store port's deferred handler
                }
                while (g.loop.readyTasks() > 0) {
                    busy = true;
                    g.ops.onHalt = () -> { }; // a halt returns at once: the harness is the event source
                    g.loop.runOnce();
                }
            }
            if (!busy) {
                if (!crashes.isEmpty()) {
                    throw new AssertionError("a task crashed", crashes.get(0));
                }
                return;
            }
        }
        throw new AssertionError("the store never went quiet");
    }

    /** Pumps until the store is quiet, then the value of {@code p}, which must have completed. */
    <T> T await(Promise<T> p) {
        pump();
        if (!p.isDone()) {
            throw new AssertionError("the promise is still pending after the store went quiet");
        }
        if (p.isFailed()) {
            throw new AssertionError("the promise failed", p.failure());
        }
        return p.value();
    }

    /** Pumps until the store is quiet, then the failure of {@code p}, which must have failed. */
    Throwable failure(Promise<?> p) {
        pump();
        if (!p.isFailed()) {
            throw new AssertionError("the promise did not fail: " + (p.isDone() ? p.value() : "pending"));
        }
        return p.failure();
    }
}
