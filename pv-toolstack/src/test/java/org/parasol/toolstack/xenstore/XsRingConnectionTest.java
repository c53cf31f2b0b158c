package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.XsWire;

/** xenstored's end of a domain's store page, driven by a raw guest that writes the bytes itself. */
class XsRingConnectionTest {
    private XsStore store;
    private Xenstored xsd;
    private final List<String> faults = new ArrayList<>();

    @BeforeEach
    void boot() {
        store = new XsStore(XsQuota.DEFAULT);
        xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
            }
        });
        XsConnection tools = new XsConnection(0, true, e -> { });
        store.connect(tools);
        xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, 1, 0, "/local/domain/1\0"));
        xsd.handle(tools, XsMessage.of(XsWire.XS_SET_PERMS, 2, 0, "/local/domain/1\0n1\0"));
    }

    private XsRingConnection serve(RawGuest guest, XsRingConnection.Limits limits) {
        return new XsRingConnection(xsd, 1, false, guest.page, 0, () -> guest.kicks++, limits,
                (ring, error, why) -> faults.add(error + ": " + why));
    }

    private static byte[] request(int type, int reqId, String payload) {
        return XsMessage.of(type, reqId, 0, payload).encode();
    }

    @Test
    @DisplayName("a request in req[] is answered in rsp[] with the same req_id; both indices are published and the guest kicked once")
    void shouldAnswerARequestFromTheRing() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_WRITE, 7, "data/k\0v"));
        guest.writeAll(request(XsWire.XS_READ, 8, "data/k\0"));

        assertThat(ring.service()).isFalse();

        guest.readAll();
        assertThat(guest.messages()).containsExactly(
                XsMessage.of(XsWire.XS_WRITE, 7, 0, "OK\0"),
                XsMessage.of(XsWire.XS_READ, 8, 0, "v"));
        assertThat(guest.intf.reqConsAcquire()).isEqualTo(guest.reqProd);
        assertThat(guest.kicks).isEqualTo(1);
        assertThat(guest.intf.serverFeatures() & XsWire.XENSTORE_SERVER_FEATURE_ERROR).isNotZero();
        assertThat(ring.requests()).isEqualTo(2);
    }

    @Test
    @DisplayName("golden bytes: the reply's xsd_sockmsg header is little-endian type, req_id, tx_id, len, then the payload")
    void shouldWriteXensBytes() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_READ, 0x0102_0304, "/nothing\0"));

        ring.service();
        guest.readAll();

        // fact sheet §14.1: XS_ERROR (16), the request's req_id, tx_id 0, len 7, "ENOENT\0"
        assertThat(guest.received.toByteArray()).containsExactly(
                16, 0, 0, 0, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0, 7, 0, 0, 0,
                'E', 'N', 'O', 'E', 'N', 'T', 0);
    }

    @Test
    @DisplayName("counters just below 2^32 wrap: a reply that straddles the end of rsp[] and the wraparound arrives whole")
    void shouldWrapIndicesAroundTwoToThe32() {
        RawGuest guest = new RawGuest(-5);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_WRITE, 1, "data/k\0" + "x".repeat(900)));
        ring.service();
        guest.readAll();
        guest.writeAll(request(XsWire.XS_READ, 2, "data/k\0"));
        ring.service();
        guest.readAll();

        assertThat(guest.messages()).containsExactly(
                XsMessage.of(XsWire.XS_WRITE, 1, 0, "OK\0"),
                XsMessage.of(XsWire.XS_READ, 2, 0, "x".repeat(900)));
        assertThat(Integer.compareUnsigned(guest.rspCons, 1024)).as("rsp_cons wrapped past 2^32").isLessThan(0);
        assertThat(Integer.compareUnsigned(guest.intf.reqConsAcquire(), 1024)).as("req_cons wrapped too").isLessThan(0);
    }

    @Test
    @DisplayName("Xen's order: XS_WATCH is answered OK first, then its initial event follows")
    void shouldAnswerTheWatchBeforeItsFirstEvent() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_WATCH, 3, "data\0tok\0"));

        ring.service();
        guest.readAll();

        assertThat(guest.messages()).containsExactly(
                XsMessage.of(XsWire.XS_WATCH, 3, 0, "OK\0"),
                XsMessage.of(XsWire.XS_WATCH_EVENT, 0, 0, "data\0tok\0"));
    }

    @Test
    @DisplayName("a watch event caused by another connection goes into the ring at once, with a kick")
    void shouldDeliverEventsCausedElsewhere() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        XsConnection tools = new XsConnection(0, true, e -> { });
        store.connect(tools);
        xsd.handle(tools, XsMessage.of(XsWire.XS_MKDIR, 8, 0, "/local/domain/1/data\0"));
        guest.writeAll(request(XsWire.XS_WATCH, 3, "/local/domain/1/data\0tok\0"));
        ring.service();
        guest.readAll();
        int kicks = guest.kicks;

        xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, 9, 0, "/local/domain/1/data/x\0y"));

        assertThat(guest.kicks).isEqualTo(kicks + 1);
        guest.readAll();
        assertThat(guest.messages()).last().isEqualTo(XsMessage.of(XsWire.XS_WATCH_EVENT, 0, 0, "/local/domain/1/data/x\0tok\0"));
    }

    @Test
    @DisplayName("hostile: req_prod more than a ring ahead of req_cons ends the connection with XENSTORE_ERROR_RINGIDX, no exception")
    void shouldStopServingARequestProducerTooFarAhead() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_WATCH, 3, "data\0tok\0"));
        ring.service();
        guest.intf.reqProdRelease(guest.reqProd + 1025);

        assertThatCode(ring::service).doesNotThrowAnyException();

        assertThat(ring.isServing()).isFalse();
        assertThat(ring.error()).isEqualTo(XsWire.XENSTORE_ERROR_RINGIDX);
        assertThat(guest.intf.errorAcquire()).isEqualTo(XsWire.XENSTORE_ERROR_RINGIDX);
        assertThat(faults).singleElement().asString().startsWith("2: req_prod");
        assertThat(ring.connection().watchCount()).as("its watches went with it").isZero();
    }

    @Test
    @DisplayName("hostile: req_prod behind req_cons is the same wrap-around lie and ends the connection")
    void shouldStopServingARequestProducerBehindTheConsumer() {
        RawGuest guest = new RawGuest(100);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.intf.reqProdRelease(99);

        ring.service();

        assertThat(ring.error()).isEqualTo(XsWire.XENSTORE_ERROR_RINGIDX);
    }

    @Test
    @DisplayName("hostile: rsp_cons moved past rsp_prod ends the connection instead of overwriting unread replies")
    void shouldStopServingAResponseConsumerAheadOfTheProducer() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.intf.rspConsRelease(50);
        guest.writeAll(request(XsWire.XS_READ, 1, "data\0"));

        ring.service();

        assertThat(ring.error()).isEqualTo(XsWire.XENSTORE_ERROR_RINGIDX);
        assertThat(faults).singleElement().asString().startsWith("2: rsp_cons");
    }

    @Test
    @DisplayName("hostile: a header announcing more than 4096 payload bytes ends the connection with XENSTORE_ERROR_PROTO")
    void shouldStopServingAnOversizedMessage() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        byte[] header = XsMessage.of(XsWire.XS_WRITE, 1, 0, "").encode();
        header[12] = 0x01;
        header[13] = 0x10; // len 4097
        guest.writeAll(header);

        ring.service();

        assertThat(ring.error()).isEqualTo(XsWire.XENSTORE_ERROR_PROTO);
        guest.writeAll(request(XsWire.XS_READ, 2, "data\0"));
        ring.service();
        assertThat(guest.unread()).as("nothing is served after that").isZero();
        assertThat(ring.requests()).isZero();
    }

    @Test
    @DisplayName("a guest scribbling on the indices xenstored produces (req_cons, rsp_prod) changes nothing: they are kept privately")
    void shouldIgnoreScribblesOnItsOwnIndices() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_WRITE, 1, "data/k\0v"));
        ring.service();
        guest.readAll();
        guest.intf.reqConsRelease(12345);
        guest.intf.rspProdRelease(999);

        guest.writeAll(request(XsWire.XS_READ, 2, "data/k\0"));
        ring.service();

        assertThat(ring.isServing()).isTrue();
        assertThat(guest.intf.rspProdAcquire()).as("published again from xenstored's own count").isEqualTo(guest.rspCons + 17);
        guest.readAll();
        assertThat(guest.messages()).last().isEqualTo(XsMessage.of(XsWire.XS_READ, 2, 0, "v"));
    }

    @Test
    @DisplayName("a guest that never reads its replies is throttled: at most the outstanding limit is answered, its ring is no longer read")
    void shouldThrottleAGuestThatNeverReads() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, new XsRingConnection.Limits(3, 16 * 1024));
        guest.writeAll(request(XsWire.XS_WRITE, 1, "data/k\0" + "v".repeat(1000)));
        ring.service();
        int offered = 0;
        for (int i = 0; i < 40; i++) {
            if (guest.offer(request(XsWire.XS_READ, 100 + i, "data/k\0"))) {
                offered++;
            }
            ring.service();
        }
        assertThat(offered).isEqualTo(40);

        assertThat(ring.outstanding()).isEqualTo(3);
        assertThat(ring.requests()).isEqualTo(4);
        int cons = guest.intf.reqConsAcquire();
        ring.service();
        assertThat(guest.intf.reqConsAcquire()).as("the ring is not read while throttled").isEqualTo(cons);

        for (int i = 0; i < 500 && (ring.requests() < 41 || ring.outstanding() > 0); i++) {
            guest.readAll();
            ring.service();
        }
        assertThat(ring.outstanding()).isZero();
        assertThat(ring.requests()).as("draining the replies lets it go on").isEqualTo(1 + 40);
    }

    @Test
    @DisplayName("watch events for a guest that never reads are dropped past the output bound, so its queue stays bounded")
    void shouldDropEventsPastTheOutputBound() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection.Limits limits = new XsRingConnection.Limits(20, 8 * 1024);
        XsRingConnection ring = serve(guest, limits);
        guest.writeAll(request(XsWire.XS_WATCH, 1, "/local/domain/1/data\0tok\0"));
        ring.service();
        XsConnection tools = new XsConnection(0, true, e -> { });
        store.connect(tools);

        for (int i = 0; i < 2000; i++) {
            xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, i, 0, "/local/domain/1/data/" + "n".repeat(200) + (i % 50) + "\0v"));
            assertThat(ring.queuedBytes()).isLessThanOrEqualTo(limits.outputBytes());
        }

        assertThat(ring.eventsDropped()).isGreaterThan(1000);
        assertThat(ring.isServing()).isTrue();
        guest.readAll();
        ring.service();
        assertThat(guest.messages()).first().isEqualTo(XsMessage.of(XsWire.XS_WATCH, 1, 0, "OK\0"));
    }

    @Test
    @DisplayName("closing the ring (XS_RELEASE) drops its watches and transactions and serves nothing more")
    void shouldForgetTheConnectionOnClose() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        guest.writeAll(request(XsWire.XS_WATCH, 1, "data\0tok\0"));
        guest.writeAll(request(XsWire.XS_TRANSACTION_START, 2, "\0"));
        ring.service();
        assertThat(ring.connection().watchCount()).isOne();
        assertThat(ring.connection().transactionCount()).isOne();

        ring.close();
        guest.readAll();
        int seen = guest.messages().size();
        guest.writeAll(request(XsWire.XS_READ, 3, "data\0"));
        ring.service();

        assertThat(ring.connection().watchCount()).isZero();
        assertThat(ring.connection().transactionCount()).isZero();
        guest.readAll();
        assertThat(guest.messages()).hasSize(seen);
        assertThat(faults).isEmpty();
    }

    @Test
    @DisplayName("a guest that refills its ring as fast as it is read (another vCPU) gets a budget of input per turn, then others have theirs")
    void shouldYieldAfterItsInputBudget() {
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = serve(guest, XsRingConnection.Limits.DEFAULT);
        byte[] write = request(XsWire.XS_WRITE, 1, "data/k\0v");
        // Each write fires this watch, whose sink refills the guest's ring: a producer that never stops.
        XsConnection spy = new XsConnection(0, true, e -> {
            guest.readAll();
            while (guest.offer(write)) {
                // fill the ring with whole requests
            }
        });
        store.connect(spy);
        xsd.handle(spy, XsMessage.of(XsWire.XS_WATCH, 1, 0, "/local/domain/1/data/k\0t\0"));

        boolean more = ring.service();

        assertThat(more).isTrue();
        assertThat(ring.requests()).isBetween((long) XsRingConnection.INPUT_BUDGET / write.length - 1,
                (long) XsRingConnection.INPUT_BUDGET / write.length + 1);
        assertThat(ring.isServing()).isTrue();
    }
    @Test
    @DisplayName("taking request bytes and putting reply bytes allocates nothing (steady path), however small the pieces")
    void shouldMoveBytesWithoutAllocating() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        store = new XsStore(new XsQuota(1000, 128, 10, 1024, 8192, 5, 1024));
        xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
            }
        });
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = new XsRingConnection(xsd, 0, true, guest.page, 0, () -> guest.kicks++, (r, e, w) -> { });
        byte[] write = request(XsWire.XS_WRITE, 1, "/big\0" + "b".repeat(4000));
        byte[] read = request(XsWire.XS_READ, 2, "/big\0");
        // Until the JIT has compiled the path, the interpreter boxes var-handle coordinates:
        // the first rounds warm it up, and only the last one is measured, mid-message.
        long in = 0;
        long out = 0;
        int taken = 0;
        for (int round = 0; round < 8; round++) {
            boolean measured = round == 7;
            // In: a 4021-byte request fed one byte per step.
            int at = guest.write(write, 0, 16);
            long before = 0;
            while (at < write.length) {
                if (measured && at == 1000) {
                    before = threads.getCurrentThreadAllocatedBytes();
                }
                at += guest.write(write, at, 1);
                ring.service();
                if (measured && at == 3000) {
                    in = threads.getCurrentThreadAllocatedBytes() - before;
                }
            }
            guest.readAll();
            // Out: the 4016-byte reply to a read, taken one byte per step.
            guest.writeAll(read);
            ring.service();
            for (int got = 0; got < 4016; got++) {
                if (measured && got == 1000) {
                    before = threads.getCurrentThreadAllocatedBytes();
                }
                taken += guest.skip(1);
                ring.service();
                if (measured && got == 3000) {
                    out = threads.getCurrentThreadAllocatedBytes() - before;
                }
            }
        }
        assertThat(guest.messages()).hasSize(8).containsOnly(XsMessage.of(XsWire.XS_WRITE, 1, 0, "OK\0"));

        assertThat(taken).as("the replies were flowing all along").isEqualTo(8 * 4016);
        assertThat(in).as("bytes allocated over 2000 steps in").isLessThan(1024);
        assertThat(out).as("bytes allocated over 2000 steps out").isLessThan(1024);
    }
    @Test
    @DisplayName("a request that closes its own ring (XS_RELEASE reaching the ring it came on) leaves nothing queued and throws nothing")
    void shouldSurviveARequestThatClosesItsOwnRing() {
        XsRingConnection[] self = new XsRingConnection[1];
        xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
                self[0].close();
            }
        });
        RawGuest guest = new RawGuest(0);
        self[0] = new XsRingConnection(xsd, 0, true, guest.page, 0, () -> guest.kicks++, (r, e, w) -> faults.add(w));
        guest.writeAll(request(XsWire.XS_INTRODUCE, 1, "5\0" + "77\0" + "3\0"));
        guest.writeAll(request(XsWire.XS_RELEASE, 2, "5\0"));
        guest.writeAll(request(XsWire.XS_READ, 3, "/local\0"));

        assertThatCode(self[0]::service).doesNotThrowAnyException();

        assertThat(self[0].isServing()).isFalse();
        assertThat(self[0].queuedBytes()).isZero();
        assertThat(self[0].outstanding()).isZero();
        assertThat(self[0].requests()).isEqualTo(2);
        guest.readAll();
        assertThat(guest.messages()).as("closing drops the output not yet in the ring").isEmpty();
        assertThat(xsd.isIntroduced(5)).isFalse();
        assertThat(faults).isEmpty();
    }
}
