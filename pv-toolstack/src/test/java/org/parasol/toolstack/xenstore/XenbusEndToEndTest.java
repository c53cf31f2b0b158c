package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.sched.Promise;
import org.parasol.guest.xenbus.Xenbus;
import org.parasol.guest.xenbus.XenbusException;
import org.parasol.guest.xenbus.XenbusTransaction;
import org.parasol.guest.xenbus.XenbusWatch;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.hypercall.abi.XsWire;

/**
 * The guest kernel's xenbus client against xenstored's ring server over one shared page, with
 * no dom0 and no hypervisor: the requests a front end and a back end make, end to end.
 */
class XenbusEndToEndTest {
    private XenbusHarness h;
    private XenbusHarness.Guest d1;
    private Xenbus xb;

    @BeforeEach
    void boot() {
        h = new XenbusHarness(XsQuota.DEFAULT);
        d1 = h.guest(1, -300); // indices just below 2^32: they wrap during the test
        xb = d1.xenbus;
    }

    @Test
    @DisplayName("write, read, mkdir, directory and rm go through the ring; relative paths are under the domain's home")
    void shouldReadAndWriteThroughTheRing() {
        h.await(xb.write("data/a", "1"));
        h.await(xb.write("/local/domain/1/data/b", "two"));
        h.await(xb.mkdir("data/c"));

        assertThat(h.await(xb.read("data/a"))).isEqualTo("1");
        assertThat(h.await(xb.read("/local/domain/1/data/b"))).isEqualTo("two");
        assertThat(h.await(xb.directory("data"))).containsExactly("a", "b", "c");
        assertThat(h.await(xb.readOptional(XenbusTransaction.NONE, "data/c"))).contains("");

        h.await(xb.rm("data/b"));
        assertThat(h.await(xb.directory("data"))).containsExactly("a", "c");
        assertThat(h.await(xb.readOptional(XenbusTransaction.NONE, "data/b"))).isEmpty();
    }

    @Test
    @DisplayName("a refused request fails its promise with xenstored's errno name (ENOENT, EACCES)")
    void shouldFailWithXenstoredsErrno() {
        h.tool(XsWire.XS_WRITE, "/local/domain/0/x\0v");
        Throwable missing = h.failure(xb.read("data/none"));
        Throwable foreign = h.failure(xb.read("/local/domain/0/x"));

        assertThat(missing).isInstanceOf(XenbusException.class);
        assertThat(((XenbusException) missing).error()).isEqualTo("ENOENT");
        assertThat(((XenbusException) missing).type()).isEqualTo(XsWire.XS_READ);
        assertThat(XenbusException.is(foreign, "EACCES")).as(foreign.toString()).isTrue();
    }

    @Test
    @DisplayName("a value of 4000 bytes (several ring-fulls each way) goes out and comes back whole")
    void shouldCarryMessagesLargerThanTheRing() {
        String big = "z".repeat(2000) + "y".repeat(2000);
        XsQuota roomy = new XsQuota(1000, 128, 10, 1024, 8192, 5, 1024);
        h = new XenbusHarness(roomy);
        xb = h.guest(1, -1).xenbus;

        h.await(xb.write("data/big", big));

        assertThat(h.await(xb.read("data/big"))).isEqualTo(big);
    }

    @Test
    @DisplayName("replies find their requests by req_id: forty requests in flight at once, more than the slots, all answered right")
    void shouldMatchManyConcurrentRequests() {
        List<Promise<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            writes.add(xb.write("data/k" + i, "v" + i));
        }
        List<Promise<String>> reads = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            reads.add(xb.read("data/k" + i));
        }
        assertThat(xb.inFlight()).isEqualTo(Xenbus.MAX_IN_FLIGHT);
        assertThat(xb.waiting()).isEqualTo(80 - Xenbus.MAX_IN_FLIGHT);

        h.pump();

        for (int i = 0; i < 40; i++) {
            assertThat(writes.get(i).isDone()).isTrue();
            assertThat(reads.get(i).value()).isEqualTo("v" + i);
        }
        assertThat(xb.inFlight()).isZero();
        assertThat(xb.strayReplies()).isZero();
    }

    @Test
    @DisplayName("get/set perms: the first entry is the owner; another domain can read once granted")
    void shouldGetAndSetPermissions() {
        XenbusHarness.Guest d2 = h.guest(2, 0);
        h.await(xb.write("data/shared", "hello"));

        assertThat(h.await(xb.getPerms(XenbusTransaction.NONE, "data/shared"))).containsExactly("n1");
        assertThat(XenbusException.is(h.failure(d2.xenbus.read("/local/domain/1/data/shared")), "EACCES")).isTrue();

        h.await(xb.setPerms(XenbusTransaction.NONE, "data/shared", List.of("n1", "r2")));

        assertThat(h.await(xb.getPerms(XenbusTransaction.NONE, "data/shared"))).containsExactly("n1", "r2");
        assertThat(h.await(d2.xenbus.read("/local/domain/1/data/shared"))).isEqualTo("hello");
        assertThat(h.await(xb.getDomainPath(7))).isEqualTo("/local/domain/7");
    }

    @Test
    @DisplayName("a watch fires once on registration, then for each change below its path from anyone, and not after unwatch")
    void shouldFireWatches() {
        List<String> fired = new ArrayList<>();
        h.await(xb.mkdir("data")); // so that the writes below create only the nodes they name
        XenbusWatch w = xb.watch("data", fired::add);
        h.await(w.registered());
        assertThat(fired).containsExactly("data");

        h.tool(XsWire.XS_WRITE, "/local/domain/1/data/x\0" + "1");
        h.await(xb.write("data/y", "2"));
        h.pump();
        assertThat(fired).containsExactly("data", "data/x", "data/y");

        h.await(w.unwatch());
        h.tool(XsWire.XS_WRITE, "/local/domain/1/data/z\0" + "3");
        h.pump();
        assertThat(fired).hasSize(3);
        assertThat(xb.watchCount()).isZero();
        assertThat(d1.ring.connection().watchCount()).isZero();
    }

    @Test
    @DisplayName("a transaction's writes are seen by others only after commit; an abort drops them")
    void shouldCommitAndAbortTransactions() {
        XenbusTransaction tx = h.await(xb.transactionStart());
        h.await(xb.write(tx, "data/t", "in-tx"));
        assertThat(h.await(xb.readOptional(XenbusTransaction.NONE, "data/t"))).isEmpty();
        assertThat(h.await(xb.read(tx, "data/t"))).isEqualTo("in-tx");
        h.await(xb.transactionEnd(tx, true));
        assertThat(h.await(xb.read("data/t"))).isEqualTo("in-tx");

        XenbusTransaction aborted = h.await(xb.transactionStart());
        h.await(xb.write(aborted, "data/t", "dropped"));
        h.await(xb.transactionEnd(aborted, false));
        assertThat(h.await(xb.read("data/t"))).isEqualTo("in-tx");
    }

    @Test
    @DisplayName("xenstore.txt: a commit that conflicts fails with EAGAIN, and transaction() runs the body again on fresh values")
    void shouldRetryATransactionOnEagain() {
        h.await(xb.write("data/counter", "0"));
        int[] attempts = {0};

        Promise<Long> done = xb.transaction(tx -> xb.readUnsigned(tx, "data/counter", -1).then(v -> {
            if (attempts[0]++ == 0) {
                h.tool(XsWire.XS_WRITE, "/local/domain/1/data/counter\0" + "100"); // someone else, meanwhile
            }
            return xb.write(tx, "data/counter", Long.toString(v + 1)).map(x -> v + 1);
        }));

        assertThat(h.await(done)).isEqualTo(101L);
        assertThat(attempts[0]).isEqualTo(2);
        assertThat(xb.transactionRetries()).isOne();
        assertThat(h.await(xb.read("data/counter"))).isEqualTo("101");
    }

    @Test
    @DisplayName("two domains incrementing one counter in transactions, interleaved: every increment counts (serializable through EAGAIN)")
    void shouldSerializeConcurrentIncrements() {
        XenbusHarness.Guest d2 = h.guest(2, 1 << 31);
        h.await(xb.write("data/counter", "0"));
        h.await(xb.setPerms(XenbusTransaction.NONE, "data/counter", List.of("n1", "b2")));
        String counter = "/local/domain/1/data/counter";
        List<Promise<Long>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            for (Xenbus client : List.of(xb, d2.xenbus)) {
                all.add(client.transaction(tx -> client.readUnsigned(tx, counter, -1)
                        .then(v -> client.write(tx, counter, Long.toString(v + 1)).map(x -> v + 1))));
            }
        }

        h.pump();

        assertThat(all).allMatch(p -> p.isDone() && !p.isFailed());
        assertThat(h.await(xb.read(counter))).isEqualTo("20");
        assertThat(xb.transactionRetries() + d2.xenbus.transactionRetries()).isPositive();
    }

    @Test
    @DisplayName("a missing feature key reads as declined; a non-zero one as offered")
    void shouldReadFeatures() {
        h.await(xb.writeFeature(XenbusTransaction.NONE, "data/dev", "feature-sg", true));
        h.await(xb.writeFeature(XenbusTransaction.NONE, "data/dev", "feature-gso-tcpv4", false));
        h.await(xb.write("data/dev/feature-junk", "yes"));

        assertThat(h.await(xb.readFeature("data/dev", "feature-sg"))).isTrue();
        assertThat(h.await(xb.readFeature("data/dev", "feature-gso-tcpv4"))).isFalse();
        assertThat(h.await(xb.readFeature("data/dev", "feature-persistent"))).isFalse();
        assertThat(h.await(xb.readFeature("data/dev", "feature-junk"))).isFalse();
    }

    @Test
    @DisplayName("switchState writes only a change: the other end's watch does not fire for the same state twice")
    void shouldSwitchStateOnlyOnChange() {
        List<String> fired = new ArrayList<>();
        h.await(xb.switchState("data/dev/state", XenbusState.INITIALISING));
        h.await(xb.watch("data/dev/state", fired::add).registered());

        h.await(xb.switchState("data/dev/state", XenbusState.INITIALISING));
        h.pump();
        assertThat(fired).hasSize(1); // the registration's own event only
        h.await(xb.switchState("data/dev/state", XenbusState.INIT_WAIT));
        h.pump();

        assertThat(fired).hasSize(2);
        assertThat(h.await(xb.read("data/dev/state"))).isEqualTo("2");
        assertThat(h.await(xb.readState("data/dev/state"))).isEqualTo(XenbusState.INIT_WAIT);
        assertThat(h.await(xb.readState("data/dev/none"))).isEqualTo(XenbusState.UNKNOWN);
    }

    @Test
    @DisplayName("fact sheet §15: a front end in d1 and a back end in dom0 go Initialising → InitWait → Initialised → Connected → Closing → Closed")
    void shouldRunTheFrontBackHandshake() {
        XenbusHarness.Guest d0 = h.guest(0, 12345);
        String front = "/local/domain/1/device/vif/0";
        String back = "/local/domain/0/backend/vif/1/0";
        // The toolstack makes both directories, each end owning its own and readable by the other.
        h.tool(XsWire.XS_WRITE, front + "/backend\0" + back);
        h.tool(XsWire.XS_WRITE, front + "/state\0" + "1");
        h.tool(XsWire.XS_SET_PERMS, front + "\0n1\0r0\0");
        h.tool(XsWire.XS_SET_PERMS, front + "/state\0n1\0r0\0");
        h.tool(XsWire.XS_SET_PERMS, front + "/backend\0n1\0r0\0");
        h.tool(XsWire.XS_WRITE, back + "/frontend\0" + front);
        h.tool(XsWire.XS_WRITE, back + "/state\0" + "1");
        h.tool(XsWire.XS_SET_PERMS, back + "\0n0\0r1\0");
        h.tool(XsWire.XS_SET_PERMS, back + "/state\0n0\0r1\0");
        Xenbus fe = d1.xenbus;
        Xenbus be = d0.xenbus;
        List<String> log = new ArrayList<>();
        String[] ringRef = new String[1];

        // Back end: publish features, InitWait; on the front's Initialised read its ring, Connected;
        // on its Closing, Closing; on its Closed, Closed.
        Promise<XenbusState> backDone = be.writeFeature(XenbusTransaction.NONE, back, "feature-sg", true)
                .then(x -> be.switchState(back + "/state", XenbusState.INIT_WAIT))
                .then(x -> be.waitForState(front + "/state", s -> s.wire() >= XenbusState.INITIALISED.wire()))
                .then(s -> {
                    log.add("back saw " + s);
                    return be.read(front + "/ring-ref");
                })
                .then(ref -> {
                    ringRef[0] = ref;
                    return be.switchState(back + "/state", XenbusState.CONNECTED);
                })
                .then(x -> be.waitForState(front + "/state", s -> s.wire() >= XenbusState.CLOSING.wire()))
                .then(s -> {
                    log.add("back saw " + s);
                    return be.switchState(back + "/state", XenbusState.CLOSING);
                })
                .then(x -> be.waitForState(front + "/state", s -> s == XenbusState.CLOSED))
                .then(s -> be.switchState(back + "/state", XenbusState.CLOSED).map(x -> s));

        // Front end: wait for InitWait, read the back's features (declined ones are simply
        // missing), publish ring and state in one transaction, wait for Connected, Connected;
        // then close down.
        boolean[] features = new boolean[2];
        Promise<XenbusState> frontDone = fe.waitForState(back + "/state", s -> s.wire() >= XenbusState.INIT_WAIT.wire())
                .then(s -> {
                    log.add("front saw " + s);
                    return fe.readFeature(back, "feature-sg");
                })
                .then(sg -> {
                    features[0] = sg;
                    return fe.readFeature(back, "feature-gso-tcpv4");
                })
                .then(gso -> {
                    features[1] = gso;
                    return fe.transaction(tx -> fe.write(tx, front + "/ring-ref", "8")
                            .then(x -> fe.write(tx, front + "/event-channel", "5"))
                            .then(x -> fe.write(tx, front + "/state", Integer.toString(XenbusState.INITIALISED.wire()))));
                })
                .then(x -> fe.waitForState(back + "/state", s -> s == XenbusState.CONNECTED))
                .then(s -> {
                    log.add("front saw " + s);
                    return fe.switchState(front + "/state", XenbusState.CONNECTED);
                })
                .then(x -> fe.switchState(front + "/state", XenbusState.CLOSING))
                .then(x -> fe.waitForState(back + "/state", s -> s.wire() >= XenbusState.CLOSING.wire()))
                .then(s -> {
                    log.add("front saw " + s);
                    return fe.switchState(front + "/state", XenbusState.CLOSED);
                })
                .then(x -> fe.waitForState(back + "/state", s -> s == XenbusState.CLOSED));

        assertThat(h.await(frontDone)).isEqualTo(XenbusState.CLOSED);
        assertThat(h.await(backDone)).isEqualTo(XenbusState.CLOSED);
        assertThat(log).containsExactly("front saw INIT_WAIT", "back saw INITIALISED", "front saw CONNECTED",
                "back saw CLOSING", "front saw CLOSING");
        assertThat(ringRef[0]).isEqualTo("8");
        assertThat(features).containsExactly(true, false);
        assertThat(fe.watchCount()).as("each wait removed its watch").isZero();
        assertThat(be.watchCount()).isZero();
        assertThat(h.tool(XsWire.XS_READ, front + "/state\0")).isEqualTo("6");
        assertThat(h.tool(XsWire.XS_READ, back + "/state\0")).isEqualTo("6");
        assertThat(h.faults).isEmpty();
        assertThat(Optional.ofNullable(fe.broken())).isEmpty();
    }
}
