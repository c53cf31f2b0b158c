package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.XenbusException;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.abi.XsWire;

/** xenstored's store ring against any cut of the byte stream, against hostile guests, and against watch floods. */
class XsRingProperties {

    private static Xenstored daemon(XsStore store) {
        return new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
            }
        });
    }

    /** A store where domain 1 owns its home, as the toolstack leaves it. */
    private static Xenstored withHome(XsQuota quota) {
        Xenstored xsd = daemon(new XsStore(quota));
        XsConnection tools = new XsConnection(0, true, e -> { });
        xsd.store().connect(tools);
        xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, 1, 0, "/local/domain/1\0"));
        xsd.handle(tools, XsMessage.of(XsWire.XS_SET_PERMS, 2, 0, "/local/domain/1\0n1\0"));
        return xsd;
    }

    // ---------------------------------------------------------------- (a) any cut, any start

    @Provide
    Arbitrary<List<XsMessage>> requests() {
        Arbitrary<String> path = Arbitraries.of("data", "data/a", "data/a/b", "data/c", "/local/domain/1/data/d", "data//bad");
        Arbitrary<String> value = Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(1500);
        Arbitrary<XsMessage> read = path.map(p -> XsMessage.of(XsWire.XS_READ, 0, 0, p + "\0"));
        Arbitrary<XsMessage> write = Combinators.combine(path, value).as((p, v) -> XsMessage.of(XsWire.XS_WRITE, 0, 0, p + "\0" + v));
        Arbitrary<XsMessage> mkdir = path.map(p -> XsMessage.of(XsWire.XS_MKDIR, 0, 0, p + "\0"));
        Arbitrary<XsMessage> rm = path.map(p -> XsMessage.of(XsWire.XS_RM, 0, 0, p + "\0"));
        Arbitrary<XsMessage> ls = path.map(p -> XsMessage.of(XsWire.XS_DIRECTORY, 0, 0, p + "\0"));
        Arbitrary<XsMessage> watch = path.map(p -> XsMessage.of(XsWire.XS_WATCH, 0, 0, p + "\0tok\0"));
        Arbitrary<XsMessage> unwatch = path.map(p -> XsMessage.of(XsWire.XS_UNWATCH, 0, 0, p + "\0tok\0"));
        Arbitrary<XsMessage> start = Arbitraries.just(XsMessage.of(XsWire.XS_TRANSACTION_START, 0, 0, "\0"));
        Arbitrary<XsMessage> inTx = Combinators.combine(Arbitraries.integers().between(1, 3), path, value)
                .as((tx, p, v) -> XsMessage.of(XsWire.XS_WRITE, 0, tx, p + "\0" + v));
        Arbitrary<XsMessage> end = Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.of("T", "F"))
                .as((tx, how) -> XsMessage.of(XsWire.XS_TRANSACTION_END, 0, tx, how + "\0"));
        Arbitrary<XsMessage> junk = Arbitraries.integers().between(0, 40)
                .map(t -> XsMessage.of(t, 0, 0, "x"));
        Arbitrary<XsMessage> any = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, read), net.jqwik.api.Tuple.of(4, write), net.jqwik.api.Tuple.of(1, mkdir),
                net.jqwik.api.Tuple.of(1, rm), net.jqwik.api.Tuple.of(2, ls), net.jqwik.api.Tuple.of(1, watch),
                net.jqwik.api.Tuple.of(1, unwatch), net.jqwik.api.Tuple.of(1, start), net.jqwik.api.Tuple.of(2, inTx),
                net.jqwik.api.Tuple.of(1, end), net.jqwik.api.Tuple.of(1, junk));
        return any.list().ofMinSize(1).ofMaxSize(40).map(list -> {
            List<XsMessage> numbered = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                XsMessage m = list.get(i);
                numbered.add(new XsMessage(m.type(), 1000 + i, m.txId(), m.payload()));
            }
            return numbered;
        });
    }

    @Provide
    Arbitrary<List<Integer>> pieces() {
        return Arbitraries.integers().between(1, 1100).list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 150)
    @Label("(a) requests cut into ring writes and reads of any sizes, counters starting just below 2^32, get the replies of direct calls")
    void shouldAnswerAnyCutAsDirectCallsWould(@ForAll("requests") List<XsMessage> requests,
            @ForAll("pieces") List<Integer> writes, @ForAll("pieces") List<Integer> reads,
            @ForAll @IntRange(min = 1, max = 600) int belowWrap) {
        // What xenstored says when called directly: each reply, then the events its request fired.
        Xenstored direct = withHome(XsQuota.DEFAULT);
        List<XsMessage> expected = new ArrayList<>();
        List<XsMessage> events = new ArrayList<>();
        XsConnection c = new XsConnection(1, false, e -> {
            events.add(e);
        });
        direct.store().connect(c);
        for (XsMessage r : requests) {
            XsMessage reply = direct.handle(c, r);
            expected.add(reply);
            expected.addAll(events);
            for (int i = 0; i < events.size(); i++) {
                c.eventDelivered();
            }
            events.clear();
        }

        // The same requests through the ring.
        Xenstored served = withHome(XsQuota.DEFAULT);
        RawGuest guest = new RawGuest(-belowWrap);
        XsRingConnection ring = new XsRingConnection(served, 1, false, guest.page, 0, () -> guest.kicks++,
                (r, error, why) -> { throw new AssertionError(why); });
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        requests.forEach(m -> stream.writeBytes(m.encode()));
        byte[] bytes = stream.toByteArray();
        int at = 0;
        for (int step = 0; step < 100_000
                && (at < bytes.length || guest.unread() > 0 || ring.outstanding() > 0 || ring.queuedBytes() > 0); step++) {
            if (at < bytes.length) {
                at += guest.write(bytes, at, Math.min(writes.get(step % writes.size()), bytes.length - at));
            }
            ring.service();
            guest.read(reads.get(step % reads.size()));
        }

        assertThat(at).isEqualTo(bytes.length);
        assertThat(guest.messages()).containsExactlyElementsOf(expected);
        assertThat(ring.isServing()).isTrue();
    }

    // ---------------------------------------------------------------- (b) hostile guests

    /** One thing a hostile guest does to its page. */
    record Attack(int kind, int value, byte[] bytes) {
        @Override
        public String toString() {
            return switch (kind) {
                case 0 -> "req_prod := " + Integer.toUnsignedString(value);
                case 1 -> "rsp_cons := " + Integer.toUnsignedString(value);
                case 2 -> "req_cons/rsp_prod := " + Integer.toUnsignedString(value);
                case 3 -> bytes.length + " random bytes";
                case 4 -> "header of type " + value + " announcing " + bytes.length + " bytes";
                default -> "an honest-looking message of type " + value;
            };
        }
    }

    @Provide
    Arbitrary<List<Attack>> attacks() {
        Arbitrary<Integer> index = Arbitraries.oneOf(Arbitraries.integers(), Arbitraries.integers().between(-2048, 2048));
        Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(1100);
        return Combinators.combine(Arbitraries.integers().between(0, 5), index, bytes).as(Attack::new).list().ofMaxSize(12);
    }

    @Property(tries = 200)
    @Label("(b) hostile indices and malformed or oversized messages end that connection with an error (or get an error reply), never throw, and a well-behaved connection on the same xenstored is still served")
    void shouldSurviveHostileGuests(@ForAll("attacks") List<Attack> attacks, @ForAll @IntRange(min = 0, max = 5000) int len) {
        Xenstored xsd = withHome(XsQuota.DEFAULT);
        XsConnection tools = new XsConnection(0, true, e -> { });
        xsd.store().connect(tools);
        xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, 1, 0, "/local/domain/2\0"));
        xsd.handle(tools, XsMessage.of(XsWire.XS_SET_PERMS, 2, 0, "/local/domain/2\0n2\0"));
        RawGuest bad = new RawGuest(0);
        List<Integer> badErrors = new ArrayList<>();
        XsRingConnection badRing = new XsRingConnection(xsd, 1, false, bad.page, 0, () -> bad.kicks++,
                (r, error, why) -> badErrors.add(error));
        RawGuest good = new RawGuest(-7);
        XsRingConnection goodRing = new XsRingConnection(xsd, 2, false, good.page, 0, () -> good.kicks++,
                (r, error, why) -> { throw new AssertionError("the good guest was cut off: " + why); });
        bad.writeAll(XsMessage.of(XsWire.XS_WATCH, 1, 0, "data\0t\0").encode());
        badRing.service();

        int n = 0;
        for (Attack a : attacks) {
            switch (a.kind()) {
                case 0 -> bad.intf.reqProdRelease(a.value());
                case 1 -> bad.intf.rspConsRelease(a.value());
                case 2 -> {
                    bad.intf.reqConsRelease(a.value());
                    bad.intf.rspProdRelease(a.value());
                }
                case 3 -> bad.write(a.bytes(), 0, a.bytes().length);
                case 4 -> {
                    byte[] h = XsMessage.of(a.value(), 9, 0, "").encode();
                    h[12] = (byte) len;
                    h[13] = (byte) (len >>> 8);
                    bad.write(h, 0, h.length);
                    bad.write(a.bytes(), 0, Math.min(a.bytes().length, len));
                }
                default -> {
                    byte[] m = XsMessage.of(a.value(), 9, a.value() & 3, "data/x\0" + a.value()).encode();
                    bad.write(m, 0, m.length);
                }
            }
            assertThatCode(badRing::service).doesNotThrowAnyException();
            bad.read(Math.floorMod(a.value(), 1100));

            // The good guest, meanwhile, is answered as always.
            String key = "data/k" + n++;
            good.writeAll(XsMessage.of(XsWire.XS_WRITE, 2 * n, 0, key + "\0v" + n).encode());
            good.writeAll(XsMessage.of(XsWire.XS_READ, 2 * n + 1, 0, key + "\0").encode());
            goodRing.service();
            good.readAll();
            List<XsMessage> got = good.messages();
            assertThat(got.subList(got.size() - 2, got.size())).containsExactly(
                    XsMessage.of(XsWire.XS_WRITE, 2 * n, 0, "OK\0"),
                    XsMessage.of(XsWire.XS_READ, 2 * n + 1, 0, "v" + n));
        }

        assertThat(badRing.error()).isIn(XsWire.XENSTORE_ERROR_NONE, XsWire.XENSTORE_ERROR_RINGIDX, XsWire.XENSTORE_ERROR_PROTO);
        assertThat(badErrors).hasSizeLessThanOrEqualTo(1);
        if (!badRing.isServing()) {
            assertThat(bad.intf.errorAcquire()).isEqualTo(badRing.error());
            assertThat(badRing.connection().watchCount()).isZero();
            assertThat(badRing.queuedBytes()).isZero();
        }
        assertThat(goodRing.isServing()).isTrue();
    }

    @Property(tries = 50)
    @Label("(b) a message that is well framed but malformed inside gets an XS_ERROR reply, and the connection goes on")
    void shouldAnswerMalformedMessagesWithErrors(@ForAll @IntRange(min = 0, max = 0xFFFF) int type,
            @ForAll @Size(max = 200) byte[] payload) {
        Xenstored xsd = withHome(XsQuota.DEFAULT);
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = new XsRingConnection(xsd, 1, false, guest.page, 0, () -> { },
                (r, error, why) -> { throw new AssertionError(why); });
        guest.writeAll(new XsMessage(type, 5, 0, payload).encode());
        guest.writeAll(XsMessage.of(XsWire.XS_GET_DOMAIN_PATH, 6, 0, "1\0").encode());

        ring.service();
        guest.readAll();

        List<XsMessage> got = guest.messages().stream().filter(m -> m.type() != XsWire.XS_WATCH_EVENT).toList();
        assertThat(got).hasSize(2);
        assertThat(got.get(0).reqId()).isEqualTo(5);
        if (got.get(0).type() == XsWire.XS_ERROR) {
            assertThat(XsWire.isWireErrorName(got.get(0).text().replace("\0", ""))).isTrue();
        } else {
            assertThat(got.get(0).type()).isEqualTo(type);
        }
        assertThat(got.get(1)).isEqualTo(XsMessage.of(XsWire.XS_GET_DOMAIN_PATH, 6, 0, "/local/domain/1\0"));
    }

    // ---------------------------------------------------------------- (c) watch floods

    @Property(tries = 30)
    @Label("(c) a guest that floods watches hits the watch quota (E2BIG, as xenstored answers) instead of growing the store")
    void shouldRefuseWatchesPastTheQuota(@ForAll @IntRange(min = 1, max = 300) int watches) {
        XsQuota quota = XsQuota.DEFAULT;
        XenbusHarness h = new XenbusHarness(quota);
        XenbusHarness.Guest d1 = h.guest(1, -1);
        List<XenbusWatch> all = new ArrayList<>();
        for (int i = 0; i < watches; i++) {
            all.add(d1.xenbus.watch("data/w" + i, p -> { }));
            if (i % 50 == 49) {
                h.pump(); // the client's own bound on waiting requests is not what this is about
            }
        }

        h.pump();

        int accepted = Math.min(watches, quota.watches());
        assertThat(all.stream().map(XenbusWatch::registered).filter(p -> !p.isFailed())).hasSize(accepted);
        assertThat(all.stream().map(XenbusWatch::registered).filter(Promise::isFailed))
                .allMatch(p -> XenbusException.is(p.failure(), "E2BIG"));
        assertThat(d1.ring.connection().watchCount()).isEqualTo(accepted);
        assertThat(d1.xenbus.watchCount()).isEqualTo(accepted);
        assertThat(d1.ring.isServing()).isTrue();
    }

    @Property(tries = 30)
    @Label("(c) events for a guest that watches and never reads are bounded in bytes; the rest are dropped and counted")
    void shouldBoundEventsForAGuestThatNeverReads(@ForAll @IntRange(min = 1, max = 128) int watches,
            @ForAll @IntRange(min = 1, max = 400) int writes) {
        Xenstored xsd = withHome(XsQuota.DEFAULT);
        XsRingConnection.Limits limits = new XsRingConnection.Limits(20, 16 * 1024);
        RawGuest guest = new RawGuest(0);
        XsRingConnection ring = new XsRingConnection(xsd, 1, false, guest.page, 0, () -> { }, limits,
                (r, error, why) -> { throw new AssertionError(why); });
        for (int i = 0; i < watches; i++) {
            guest.writeAll(XsMessage.of(XsWire.XS_WATCH, i, 0, "/local/domain/1/data\0token-" + i + "\0").encode());
            ring.service();
            guest.readAll();
        }
        XsConnection tools = new XsConnection(0, true, e -> { });
        xsd.store().connect(tools);

        for (int i = 0; i < writes; i++) {
            xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, i, 0, "/local/domain/1/data/x\0" + i));
            assertThat(ring.queuedBytes()).isLessThanOrEqualTo(limits.outputBytes());
        }

        // Each write fires every watch once (the first also for creating data/): 45 to 49 bytes an
        // event (header, path, token). Past the ring and the bound some must go, and while they
        // all fit in the bound none may.
        long produced = (long) watches * writes;
        if (produced * 47 > limits.outputBytes() + 1024) {
            assertThat(ring.eventsDropped()).as("%d events produced", produced).isPositive();
        } else if ((produced + watches) * 49 <= limits.outputBytes()) {
            assertThat(ring.eventsDropped()).isZero();
        }
        assertThat(ring.isServing()).isTrue();
    }
}
