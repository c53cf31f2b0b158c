package org.parasol.guest.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.FakeGuest;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.EvtchnOp;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;

/** The dispatcher against a fake vCPU: binding, the 2-level scan, and unmask's re-check. */
class EventDispatcherTest {
    private static final long SHARED = FakeGuest.BASE;
    private static final long ARGS = FakeGuest.BASE + 0x2000;

    private FakeGuest g;
    private EventDispatcher events;
    private final List<Port> seen = new ArrayList<>();

    @BeforeEach
    void setUp() {
        g = new FakeGuest();
        events = new EventDispatcher(g, new EventChannelCalls(g, new ArgumentPage(ARGS)), SHARED);
    }

    private void hypervisorRaises(int port) {
        g.getAndBitwiseOrLong(SHARED + 2048 + 8L * (port / 64), 1L << (port % 64));
        boolean masked = (g.getLong(SHARED + 2560 + 8L * (port / 64)) & (1L << (port % 64))) != 0;
        if (!masked) {
            g.getAndBitwiseOrLong(SHARED + 8, 1L << (port / 64));
            g.putByte(SHARED, (byte) 1);
        }
    }

    private boolean pending(int port) {
        return (g.getLong(SHARED + 2048 + 8L * (port / 64)) & (1L << (port % 64))) != 0;
    }

    private boolean masked(int port) {
        return (g.getLong(SHARED + 2560 + 8L * (port / 64)) & (1L << (port % 64))) != 0;
    }

    /** The fake hypervisor answers a bind by writing {@code port} into the OUT field at {@code outOffset}. */
    private void bindAnswers(int cmd, int port, int outOffset) {
        g.answer = x -> {
            if (x == (((long) Hypercall.EVENT_CHANNEL_OP << 32) | cmd)) {
                long arg = g.calls.get(g.calls.size() - 1)[2];
                g.putInt(arg + outOffset, port);
            }
            return 0;
        };
    }

    @Test
    @DisplayName("The upcall scans the selector, dispatches pending unmasked ports lowest first and clears their bits")
    void shouldDispatchPendingPortsInOrder() {
        bindAnswers(EvtchnOp.BIND_INTERDOMAIN, 70, 8);
        events.bindInterdomain(DomId.of(3), Port.of(9), seen::add);
        bindAnswers(EvtchnOp.BIND_IPI, 5, 4);
        events.bindIpi(0, seen::add);
        bindAnswers(EvtchnOp.BIND_IPI, 6, 4);
        events.bindIpi(0, seen::add);
        events.mask(Port.of(6));
        hypervisorRaises(70);
        hypervisorRaises(6);
        hypervisorRaises(5);
        hypervisorRaises(200); // nobody's port: spurious
        events.upcall(g);
        assertThat(seen).containsExactly(Port.of(5), Port.of(70));
        assertThat(pending(5)).isFalse();
        assertThat(pending(70)).isFalse();
        assertThat(pending(6)).as("masked: stays pending").isTrue();
        assertThat(g.getByte(SHARED)).isZero();
        assertThat(g.getLong(SHARED + 8)).isZero();
        assertThat(events.spuriousEvents()).isEqualTo(1);
    }

    @Test
    @DisplayName("a secondary vCPU's port is routed to it (EVTCHNOP_bind_vcpu) and claimed: the boot vCPU's scan leaves it"
            + " pending for its owner instead of taking it as spurious; closed, the claim goes")
    void shouldLeaveASecondaryVcpusPortToIt() {
        bindAnswers(EvtchnOp.BIND_INTERDOMAIN, 70, 8);
        events.bindInterdomain(DomId.of(3), Port.of(9), seen::add);
        EventDispatcher secondary = new EventDispatcher(events, g, new EventChannelCalls(g, new ArgumentPage(ARGS)),
                SHARED);
        List<Port> seenThere = new ArrayList<>();
        bindAnswers(EvtchnOp.BIND_INTERDOMAIN, 71, 8);
        int before = g.calls.size();
        var there = secondary.bindInterdomain(DomId.of(3), Port.of(10), seenThere::add);
        assertThat(g.calls.subList(before, g.calls.size())).as("bind_interdomain, then bind_vcpu")
                .anyMatch(c -> c[0] == Hypercall.EVENT_CHANNEL_OP && c[1] == EvtchnOp.BIND_VCPU);

        hypervisorRaises(70);
        hypervisorRaises(71);
        events.upcall(g);
        assertThat(seen).containsExactly(Port.of(70));
        assertThat(pending(71)).as("left for its owner").isTrue();
        assertThat(events.spuriousEvents()).isZero();
        hypervisorRaises(71); // the hypervisor raises it on the secondary's selector
        secondary.upcall(g);
        assertThat(seenThere).containsExactly(Port.of(71));
        assertThat(pending(71)).isFalse();

        there.close();
        assertThat(masked(71)).as("closed: masked").isTrue();
        hypervisorRaises(71);
        events.unmask(Port.of(71)); // say the port number is reused by the boot vCPU
        events.upcall(g);
        assertThat(events.spuriousEvents()).as("unclaimed again: the boot vCPU's scan takes it").isEqualTo(1);
        assertThat(pending(71)).isFalse();
    }

    @Test
    @DisplayName("unmask re-checks: an event that arrived while masked raises the selector and upcall, and forces a callback")
    void shouldReraiseWhatArrivedWhileMasked() {
        bindAnswers(EvtchnOp.ALLOC_UNBOUND, 12, 4);
        var p = events.allocUnbound(DomId.of(0), seen::add);
        assertThat(masked(12)).isFalse();
        events.mask(Port.of(12));
        hypervisorRaises(12);
        assertThat(g.getByte(SHARED)).as("no upcall while masked").isZero();
        int before = g.calls.size();
        events.unmask(Port.of(12));
        assertThat(masked(12)).isFalse();
        assertThat(g.getByte(SHARED)).isEqualTo((byte) 1);
        assertThat(g.getLong(SHARED + 8) & 1).isEqualTo(1);
        assertThat(g.calls.size()).as("force_evtchn_callback").isEqualTo(before + 1);
        assertThat(g.calls.get(before)[0]).isEqualTo(Hypercall.XEN_VERSION);
        events.upcall(g);
        assertThat(seen).containsExactly(Port.of(12));
        assertThat(p.port()).isEqualTo(Port.of(12));
        assertThat(seen.get(0)).as("the handle made at bind time, not one per event").isSameAs(p.port());
    }

    @Test
    @DisplayName("the handler tables grow to the highest port bound, up to the ABI's last; an attached port's handler gets its handle")
    void shouldGrowToTheHighestPortAndHandAttachedPortsTheirHandle() {
        bindAnswers(EvtchnOp.BIND_INTERDOMAIN, 4095, 8);
        events.bindInterdomain(DomId.of(3), Port.of(9), seen::add);
        events.attach(Port.of(130), seen::add);
        hypervisorRaises(4095);
        hypervisorRaises(130);
        hypervisorRaises(3000); // inside the grown tables, bound by nobody
        events.upcall(g);
        assertThat(seen).containsExactly(Port.of(130), Port.of(4095));
        assertThat(events.isBound(Port.of(4095))).isTrue();
        assertThat(events.isBound(Port.of(3000))).isFalse();
        assertThat(events.spuriousEvents()).isEqualTo(1);
    }

    @Test
    @DisplayName("detach forgets a port only for the handler that attached it: a number the hypervisor closed and a new binding took keeps the new handler")
    void shouldDetachOnlyTheHandlerThatAttached() {
        List<Port> old = new ArrayList<>();
        PortHandler first = old::add;
        events.attach(Port.of(33), first);
        // The hypervisor closes 33 (the peer died) and the next bind gets the same number.
        PortHandler second = seen::add;
        events.attach(Port.of(33), second);
        assertThat(events.detach(Port.of(33), first)).as("the late detach of the first owner").isFalse();
        assertThat(masked(33)).isFalse();
        hypervisorRaises(33);
        events.upcall(g);
        assertThat(seen).containsExactly(Port.of(33));
        assertThat(old).isEmpty();

        assertThat(events.detach(Port.of(33), second)).isTrue();
        assertThat(masked(33)).isTrue();
        assertThat(events.isBound(Port.of(33))).isFalse();
        assertThat(events.detach(Port.of(33), second)).as("twice").isFalse();
        assertThat(events.detach(Port.of(4000), second)).as("beyond the tables").isFalse();
    }

    @Test
    @DisplayName("unmask with nothing pending only clears the mask bit")
    void shouldUnmaskQuietly() {
        events.mask(Port.of(40));
        int before = g.calls.size();
        events.unmask(Port.of(40));
        assertThat(masked(40)).isFalse();
        assertThat(g.calls).hasSize(before);
        assertThat(g.getByte(SHARED)).isZero();
    }

    @Test
    @DisplayName("Closing a bound port masks it, forgets the handler and issues EVTCHNOP_close once")
    void shouldCloseBoundPorts() {
        bindAnswers(EvtchnOp.BIND_VIRQ, 3, 8);
        var p = events.bindVirq(Virq.TIMER, seen::add);
        assertThat(events.isBound(Port.of(3))).isTrue();
        g.answer = x -> 0;
        p.close();
        p.close();
        assertThat(events.isBound(Port.of(3))).isFalse();
        assertThat(p.isClosed()).isTrue();
        assertThat(masked(3)).isTrue();
        assertThat(g.calls.stream().filter(c -> c[0] == Hypercall.EVENT_CHANNEL_OP && c[1] == EvtchnOp.CLOSE)).hasSize(1);
        hypervisorRaises(3);
        events.upcall(g);
        assertThat(seen).isEmpty();
    }

    @Test
    @DisplayName("Typed ports cost nothing on the hot path: the upcall's dispatch and notifyRemote allocate nothing")
    void shouldAllocateNothingToDispatchOrSend() {
        bindAnswers(EvtchnOp.ALLOC_UNBOUND, 12, 4);
        long[] handled = {0};
        Port[] last = {null};
        var p = events.allocUnbound(DomId.of(0), port -> {
            handled[0]++;
            last[0] = port;
        });
        g.answer = x -> 0;
        g.recordCalls = false;
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        raiseDispatchAndSend(p, 20_000);

        long before = threads.getCurrentThreadAllocatedBytes();
        raiseDispatchAndSend(p, 20_000);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        // One object per event would be at least 16 bytes each; the JIT's rare deoptimisations
        // may rematerialise a few, far below one byte per event.
        assertThat(handled[0]).isEqualTo(40_000);
        assertThat(last[0]).isSameAs(p.port());
        assertThat(allocated).isLessThan(20_000);
    }

    private void raiseDispatchAndSend(EventDispatcher.BoundPort p, int count) {
        for (int i = 0; i < count; i++) {
            hypervisorRaises(12);
            events.upcall(g);
            p.notifyRemote();
        }
    }

    @Test
    @DisplayName("A refused bind throws with the errno and binds nothing")
    void shouldReportRefusedBinds() {
        g.answer = x -> -Errno.EINVAL;
        assertThatThrownBy(() -> events.bindInterdomain(DomId.of(1), Port.of(1), seen::add))
                .isInstanceOf(EventChannelException.class)
                .satisfies(e -> assertThat(((EventChannelException) e).errno()).isEqualTo(-Errno.EINVAL));
    }
}
