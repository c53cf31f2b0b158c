package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.HostRelayOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.HostRelayCalls;
import org.parasol.hypercall.guest.MmuCalls;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.HostRelay;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * The host relay ({@code parasol_host_relay_op}, hypercall 55) from a bare privileged dom0 and
 * a bare unprivileged guest, with the test as the host: who may use it, every refusal, the
 * page shared and pinned, the Xen-consumer port both ways, hang-up, detach, and dom0's death.
 */
class HostRelayTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private BareGuest dom0;
    private BareGuest guest;
    private HostRelayCalls relay;
    private EventChannelCalls ev;
    private HostRelay host;

    /** What the host's endpoint heard, in order. */
    private final List<String> heard = new CopyOnWriteArrayList<>();
    private final HostRelay.Endpoint endpoint = new HostRelay.Endpoint() {
        @Override
        public void attached(HostRelay.Channel c) {
            heard.add("attached " + c.slot());
        }

        @Override
        public void notified(HostRelay.Channel c) {
            heard.add("notified " + c.slot());
        }

        @Override
        public void detached(HostRelay.Channel c) {
            heard.add("detached " + c.slot());
        }
    };

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        dom0 = BareGuest.create(hv, new DomainConfig("Domain-0", 1024, 1024, 1, null, "", true, null, null, null));
        guest = BareGuest.create(hv, "guest", 1024);
        assertThat(dom0.domain.privileged()).isTrue();
        relay = new HostRelayCalls(dom0.cpu);
        ev = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        host = hv.hostRelay();
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** The MFN behind one of dom0's boot-mapped pages. */
    private static Mfn mfnOf(BareGuest g, long va) {
        StartInfo si = new StartInfo().wrap(new GuestMemoryBuffer(g.mem, g.domain.startInfoVa(), StartInfo.SIZE), 0);
        long pfn = (va - org.parasol.hypercall.StartOfDay.VIRT_BASE) >>> 12;
        return Mfn.of(g.mem.getLong(si.mfnList() + pfn * 8));
    }

    @Test
    @DisplayName("only the privileged control domain may use it: anyone else gets -EPERM for every command")
    void shouldRefuseEveryoneButDom0() {
        HostRelayCalls theirs = new HostRelayCalls(guest.cpu);
        assertThat(host.offer(endpoint)).isNotNull();
        assertThat(theirs.slots()).isEqualTo(-Errno.EPERM);
        assertThat(theirs.status(0)).isEqualTo(-Errno.EPERM);
        assertThat(theirs.attach(0, mfnOf(guest, guest.scratch2))).isEqualTo(-Errno.EPERM);
        assertThat(theirs.detach(0)).isEqualTo(-Errno.EPERM);
        assertThat(relay.status(0)).isEqualTo(HostRelayOp.OFFERED);
    }

    @Test
    @DisplayName("bad commands, slots and pages are -EINVAL, and change nothing")
    void shouldRefuseBadArguments() {
        assertThat(relay.slots()).isEqualTo(HostRelay.DEFAULT_SLOTS);
        assertThat(relay.status(-1)).isEqualTo(-Errno.EINVAL);
        assertThat(relay.status(HostRelay.DEFAULT_SLOTS)).isEqualTo(-Errno.EINVAL);
        assertThat(dom0.cpu.hypercall(HostRelayOp.HYPERCALL, 99, 0, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(dom0.cpu.hypercall(HostRelayOp.HYPERCALL, -1, 0, 0)).isEqualTo(-Errno.EINVAL);
        assertThat(relay.attach(0, mfnOf(dom0, dom0.scratch2))).as("a free slot").isEqualTo(-Errno.EINVAL);
        assertThat(relay.detach(0)).as("a free slot").isEqualTo(-Errno.EINVAL);

        HostRelay.Channel c = host.offer(endpoint);
        assertThat(relay.attach(c.slot(), mfnOf(guest, guest.scratch2))).as("another domain's page").isEqualTo(-Errno.EINVAL);
        assertThat(relay.attach(c.slot(), Mfn.of(hv.frames().frameCount() + 5))).as("no such frame").isEqualTo(-Errno.EINVAL);
        StartInfo si = new StartInfo().wrap(new GuestMemoryBuffer(dom0.mem, dom0.domain.startInfoVa(), StartInfo.SIZE), 0);
        assertThat(relay.attach(c.slot(), mfnOf(dom0, si.ptBase()))).as("one of its page tables").isEqualTo(-Errno.EINVAL);
        assertThat(relay.status(c.slot())).isEqualTo(HostRelayOp.OFFERED);
        assertThat(heard).isEmpty();
    }

    @Test
    @DisplayName("offer raises VIRQ_ARCH_7; attach shares dom0's page with the host, pinned writable, and binds a "
            + "Xen-consumer port: dom0's sends reach the host, the host's raises reach dom0; dom0 can neither close "
            + "the port nor let another domain bind it, nor make the page a page table")
    void shouldShareAPageAndAPortBothWays() {
        int virqPort = (int) ev.bindVirq(Virq.of(HostRelayOp.VIRQ), 0);
        assertThat(virqPort).isPositive();
        HostRelay.Channel c = host.offer(endpoint);
        assertThat(dom0.pending(virqPort)).as("the offer raised the VIRQ").isTrue();
        assertThat(c.enter()).as("nothing to enter before dom0 attached").isFalse();

        Mfn page = mfnOf(dom0, dom0.scratch2);
        int port = (int) relay.attach(c.slot(), page);
        assertThat(port).isPositive();
        assertThat(heard).containsExactly("attached " + c.slot());
        assertThat(relay.status(c.slot())).isEqualTo(HostRelayOp.ATTACHED);
        assertThat(relay.attach(c.slot(), page)).as("attached already").isEqualTo(-Errno.EINVAL);

        // The page: what dom0 writes the host reads, and the other way round.
        dom0.mem.putByte(dom0.scratch2 + 100, (byte) 42);
        assertThat(c.enter()).isTrue();
        try {
            assertThat(c.page().getByte(100)).isEqualTo((byte) 42);
            c.page().putByte(200, (byte) 7);
        } finally {
            c.exit();
        }
        assertThat(dom0.mem.getByte(dom0.scratch2 + 200)).isEqualTo((byte) 7);
        MmuCalls mmu = new MmuCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        assertThat(mmu.pinTable(1, page)).as("pinned writable: it cannot become a page table").isNegative();

        // The port: a Xen-consumer channel.
        var st = ev.status(DomId.SELF, Port.of(port));
        assertThat(st.state()).isEqualTo(EvtchnStat.UNBOUND);
        assertThat(st.remoteDom()).isEqualTo(DomId.XEN);
        assertThat(ev.send(Port.of(port))).isZero();
        assertThat(heard).containsExactly("attached " + c.slot(), "notified " + c.slot());
        assertThat(dom0.pending(port)).isFalse();
        assertThat(c.raise()).isTrue();
        assertThat(dom0.pending(port)).as("the host's raise").isTrue();
        assertThat(ev.close(Port.of(port))).as("only the hypervisor closes it").isEqualTo(-Errno.EINVAL);
        EventChannelCalls theirs = new EventChannelCalls(guest.cpu, new ArgumentPage(guest.scratch));
        assertThat(theirs.bindInterdomain(DomId.of(dom0.domain.domid()), Port.of(port))).as("no domain may bind it").isEqualTo(-Errno.EINVAL);
        assertThat(ev.reset(DomId.SELF)).isZero();
        assertThat(ev.status(DomId.SELF, Port.of(port)).state()).as("EVTCHNOP_reset leaves it alone, as Xen's does")
                .isEqualTo(EvtchnStat.UNBOUND);
        assertThat(c.raise()).isTrue();
    }

    @Test
    @DisplayName("the host hangs up (HUNG_UP, VIRQ raised); dom0 detaches: the port is closed, the page unpinned and "
            + "unreachable, the slot free, the host told")
    void shouldHangUpAndDetach() {
        int virqPort = (int) ev.bindVirq(Virq.of(HostRelayOp.VIRQ), 0);
        HostRelay.Channel c = host.offer(endpoint);
        Mfn page = mfnOf(dom0, dom0.scratch2);
        int port = (int) relay.attach(c.slot(), page);
        dom0.unmaskLocally(virqPort);
        dom0.shared().testAndClearPending(virqPort);

        assertThat(c.hangUp()).isTrue();
        assertThat(relay.status(c.slot())).isEqualTo(HostRelayOp.HUNG_UP);
        assertThat(dom0.pending(virqPort)).isTrue();
        assertThat(relay.detach(c.slot())).isZero();
        assertThat(heard).containsExactly("attached " + c.slot(), "detached " + c.slot());
        assertThat(relay.status(c.slot())).isEqualTo(HostRelayOp.FREE);
        assertThat(c.state()).isEqualTo(HostRelayOp.FREE);
        assertThat(c.enter()).isFalse();
        assertThat(c.raise()).isFalse();
        assertThat(ev.status(DomId.SELF, Port.of(port)).state()).isEqualTo(EvtchnStat.CLOSED);
        assertThat(host.inUse()).isZero();
        assertThat(hv.frames().typeInfo(page.value()) & 0xFFFF_FFFFL).as("only dom0's own mapping holds a type ref")
                .isEqualTo(1);
    }

    @Test
    @DisplayName("an offer the host withdraws before dom0 attaches frees its slot at once; dom0 may refuse one by detaching it")
    void shouldWithdrawAndRefuseOffers() {
        HostRelay.Channel c = host.offer(endpoint);
        assertThat(c.hangUp()).isTrue();
        assertThat(relay.status(c.slot())).isEqualTo(HostRelayOp.FREE);
        assertThat(host.inUse()).isZero();

        HostRelay.Channel d = host.offer(endpoint);
        assertThat(relay.detach(d.slot())).isZero();
        assertThat(heard).containsExactly("detached " + d.slot());
        assertThat(host.inUse()).isZero();
    }

    @Test
    @DisplayName("KIND tells dom0 what a slot carries (a xenstored client or a bridge uplink); a free slot is -EINVAL")
    void shouldTellEachSlotsKind() {
        HostRelay.Channel xs = host.offer(endpoint);
        HostRelay.Channel net = host.offer(endpoint, HostRelayOp.KIND_NET_UPLINK);
        assertThat(relay.kind(xs.slot()))
                .isEqualTo(HostRelayOp.KIND_XENSTORED);
        assertThat(relay.kind(net.slot()))
                .isEqualTo(HostRelayOp.KIND_NET_UPLINK);
        assertThat(net.kind()).isEqualTo(HostRelayOp.KIND_NET_UPLINK);
        assertThat(relay.detach(net.slot())).isZero();
        assertThat(relay.kind(net.slot())).isEqualTo(-Errno.EINVAL);
        assertThatThrownBy(() -> host.offer(endpoint, 7)).isInstanceOf(IllegalArgumentException.class);
        assertThat(relay.detach(xs.slot())).isZero();
    }

    @Test
    @DisplayName("the relay holds at most its slots: the next offer is refused")
    void shouldBoundTheSlots() {
        for (int i = 0; i < HostRelay.DEFAULT_SLOTS; i++) {
            assertThat(host.offer(endpoint)).isNotNull();
        }
        assertThat(host.offer(endpoint)).isNull();
        assertThat(host.inUse()).isEqualTo(HostRelay.DEFAULT_SLOTS);
        for (int i = 0; i < HostRelay.DEFAULT_SLOTS; i++) {
            assertThat(relay.detach(i)).isZero();
        }
        assertThat(host.inUse()).isZero();
    }

    @Test
    @DisplayName("dom0's death releases every slot it attached: the host is told, the page unpinned, every frame back")
    void shouldReleaseEverythingWhenDom0Dies() {
        HostRelay.Channel c = host.offer(endpoint);
        assertThat(relay.attach(c.slot(), mfnOf(dom0, dom0.scratch2))).isPositive();
        HostRelay.Channel waiting = host.offer(endpoint);

        assertThat(hv.destroy(dom0.domain)).isTrue();

        assertThat(heard).contains("detached " + c.slot(), "detached " + waiting.slot());
        assertThat(c.enter()).isFalse();
        assertThat(host.inUse()).isZero();
    }

    @Test
    @DisplayName("two host threads raise at once: a raise that failed after another began stays owed when the other "
            + "succeeds, and a raise begun after it covers it")
    void shouldKeepARaiseOwedWhenAnEarlierOneSucceeds() {
        HostRelay.OwedRaises r = new HostRelay.OwedRaises();
        assertThat(r.owed()).isFalse();
        long socketLoop = r.begin(); // the socket loop's raise begins...
        long uplink = r.begin(); // ...the uplink's begins after it and finds the event lock held
        r.delivered(socketLoop); // the socket loop's succeeds: it began before the uplink's change
        assertThat(r.owed()).as("the uplink's raise is still owed").isTrue();
        r.delivered(r.begin()); // a retry begun after it covers it
        assertThat(r.owed()).isFalse();
        r.delivered(uplink); // a late success of an old ticket changes nothing
        assertThat(r.owed()).isFalse();
    }

    @Test
    @DisplayName("raises from many host threads at once, some failing: once they end, one more raise leaves nothing owed")
    void shouldOweNothingAfterConcurrentRaisesSettle() throws Exception {
        HostRelay.OwedRaises r = new HostRelay.OwedRaises();
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            int seed = t;
            ts[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    long ticket = r.begin();
                    if ((i + seed) % 3 != 0) {
                        r.delivered(ticket);
                    }
                }
            });
        }
        for (Thread t : ts) {
            assertThat(t.join(java.time.Duration.ofSeconds(20))).isTrue();
        }
        long last = r.begin();
        assertThat(r.owed()).isTrue();
        r.delivered(last);
        assertThat(r.owed()).isFalse();
        assertThat(host.retryVirq()).as("the relay itself owes nothing with no raise begun").isTrue();
    }
}
