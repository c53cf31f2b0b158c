package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.ConsoleIo;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.SchedOp;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * EVTCHNOP_* through the hypercall ABI, from bare domains driven by the test thread: every
 * command's semantics and every refusal the fact sheet lists.
 */
class EventChannelTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;
    private BareGuest a;
    private BareGuest b;
    private EventChannelCalls ea;
    private EventChannelCalls eb;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        a = BareGuest.create(hv, "a", 1024);
        b = BareGuest.create(hv, "b", 1024);
        ea = new EventChannelCalls(a.cpu, new ArgumentPage(a.scratch));
        eb = new EventChannelCalls(b.cpu, new ArgumentPage(b.scratch));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private DomId id(BareGuest g) {
        return DomId.of(g.domain.domid());
    }

    /** A connected pair: a's port returned first, b's second. */
    private int[] connect() {
        int pa = (int) ea.allocUnbound(DomId.SELF, id(b));
        assertThat(pa).isPositive();
        int pb = (int) eb.bindInterdomain(id(a), Port.of(pa));
        assertThat(pb).isPositive();
        return new int[] {pa, pb};
    }

    private static boolean selectorSet(BareGuest g, int port) {
        return (g.mem.getLongAcquire(StartOfDay.SHARED_INFO_VA + 8) & (1L << (port / 64))) != 0;
    }

    private static boolean upcallPending(BareGuest g) {
        return g.mem.getByteAcquire(StartOfDay.SHARED_INFO_VA) != 0;
    }

    private static void clearEventState(BareGuest g, int port) {
        g.mem.putByteRelease(StartOfDay.SHARED_INFO_VA, (byte) 0);
        g.mem.getAndSetLong(StartOfDay.SHARED_INFO_VA + 8, 0);
        g.mem.getAndBitwiseAndLong(StartOfDay.SHARED_INFO_VA + 2048 + 8L * (port / 64), ~(1L << (port % 64)));
    }

    private static void maskLocally(BareGuest g, int port) {
        g.mem.getAndBitwiseOrLong(StartOfDay.SHARED_INFO_VA + 2560 + 8L * (port / 64), 1L << (port % 64));
    }

    @Test
    @DisplayName("Port 0 is reserved: allocation starts at 1 and close(0) is -EINVAL")
    void shouldNeverHandOutPortZero() {
        assertThat(ea.allocUnbound(DomId.SELF, id(b))).isGreaterThanOrEqualTo(1);
        assertThat(ea.close(Port.of(0))).isEqualTo(-Errno.EINVAL);
        assertThat(ea.status(DomId.SELF, Port.of(0)).state()).isEqualTo(EvtchnStat.CLOSED);
    }

    @Test
    @DisplayName("bind_interdomain: both ends interdomain, and the new local port is left pending")
    void shouldConnectAndLeaveTheLocalPortPending() {
        int[] p = connect();
        assertThat(b.pending(p[1])).isTrue();
        assertThat(a.pending(p[0])).isFalse();
        var sa = ea.status(DomId.SELF, Port.of(p[0]));
        assertThat(sa.state()).isEqualTo(EvtchnStat.INTERDOMAIN);
        assertThat(sa.remoteDom()).isEqualTo(DomId.of(b.domain.domid()));
        assertThat(sa.remotePort()).isEqualTo(Port.of(p[1]));
        var sb = eb.status(DomId.SELF, Port.of(p[1]));
        assertThat(sb.state()).isEqualTo(EvtchnStat.INTERDOMAIN);
        assertThat(sb.remotePort()).isEqualTo(Port.of(p[0]));
    }

    @Test
    @DisplayName("send: pending bit, selector and upcall_pending on the peer, in Xen's order")
    void shouldRaiseThePeersPortOnSend() {
        int[] p = connect();
        clearEventState(b, p[1]);
        b.unmaskLocally(p[1]);
        assertThat(ea.send(Port.of(p[0]))).isZero();
        assertThat(b.pending(p[1])).isTrue();
        assertThat(selectorSet(b, p[1])).isTrue();
        assertThat(upcallPending(b)).isTrue();
        assertThat(a.pending(p[0])).isFalse();
        clearEventState(a, p[0]);
        a.unmaskLocally(p[0]);
        assertThat(eb.send(Port.of(p[1]))).isZero();
        assertThat(a.pending(p[0])).isTrue();
    }

    @Test
    @DisplayName("A masked port stays pending with no selector or upcall; EVTCHNOP_unmask raises them")
    void shouldHoldAMaskedEventUntilUnmask() {
        int[] p = connect();
        clearEventState(b, p[1]);
        maskLocally(b, p[1]);
        ea.send(Port.of(p[0]));
        assertThat(b.pending(p[1])).isTrue();
        assertThat(selectorSet(b, p[1])).isFalse();
        assertThat(upcallPending(b)).isFalse();
        assertThat(eb.unmask(Port.of(p[1]))).isZero();
        assertThat(selectorSet(b, p[1])).isTrue();
        assertThat(upcallPending(b)).isTrue();
    }

    @Test
    @DisplayName("sched_op poll returns for a pending port even when it is masked")
    void shouldPollAMaskedPendingPort() {
        int[] p = connect();
        maskLocally(b, p[1]);
        long ports = b.scratch2;
        b.mem.putInt(ports, p[1]);
        long arg = b.scratch2 + 64;
        b.mem.putLong(arg, ports);
        b.mem.putInt(arg + 8, 1);
        b.mem.putLong(arg + 16, 0);
        assertThat(b.pending(p[1])).isTrue();
        assertThat(b.call(Hypercall.SCHED_OP, SchedOp.POLL, arg)).isZero();
        assertThat(b.domain.vcpu(0).sched().polling()).isFalse();
    }

    @Test
    @DisplayName("Closing one end puts the peer back to unbound for the closer, which may bind again")
    void shouldRebindAfterThePeerClosed() {
        int[] p = connect();
        assertThat(eb.close(Port.of(p[1]))).isZero();
        var sa = ea.status(DomId.SELF, Port.of(p[0]));
        assertThat(sa.state()).isEqualTo(EvtchnStat.UNBOUND);
        assertThat(sa.remoteDom()).isEqualTo(DomId.of(b.domain.domid()));
        assertThat(ea.send(Port.of(p[0]))).as("send on unbound is dropped").isZero();
        long again = eb.bindInterdomain(id(a), Port.of(p[0]));
        assertThat(again).isPositive();
        assertThat(ea.status(DomId.SELF, Port.of(p[0])).remotePort()).isEqualTo(Port.of((int) again));
    }

    @Test
    @DisplayName("The lower-domid end closing works as well (lock order taken the other way)")
    void shouldCloseFromEitherEnd() {
        int[] p = connect();
        assertThat(ea.close(Port.of(p[0]))).isZero();
        assertThat(eb.status(DomId.SELF, Port.of(p[1])).state()).isEqualTo(EvtchnStat.UNBOUND);
        assertThat(eb.status(DomId.SELF, Port.of(p[1])).remoteDom()).isEqualTo(DomId.of(a.domain.domid()));
        assertThat(ea.close(Port.of(p[0]))).isEqualTo(-Errno.EINVAL);
    }

    @Test
    @DisplayName("Loopback: alloc_unbound(DOMID_SELF, DOMID_SELF) then bind_interdomain(DOMID_SELF)")
    void shouldConnectALoopbackChannel() {
        int p1 = (int) ea.allocUnbound(DomId.SELF, DomId.SELF);
        int p2 = (int) ea.bindInterdomain(DomId.SELF, Port.of(p1));
        assertThat(p2).isPositive().isNotEqualTo(p1);
        clearEventState(a, p1);
        a.unmaskLocally(p1);
        assertThat(ea.send(Port.of(p2))).isZero();
        assertThat(a.pending(p1)).isTrue();
        assertThat(ea.close(Port.of(p1))).isZero();
        assertThat(ea.status(DomId.SELF, Port.of(p2)).state()).isEqualTo(EvtchnStat.UNBOUND);
    }

    @Test
    @DisplayName("bind_interdomain refusals: port not waiting for us -EINVAL, unknown domain -ESRCH")
    void shouldRefuseBadBinds() {
        int forC = (int) ea.allocUnbound(DomId.SELF, DomId.of(0x1234));
        assertThat(eb.bindInterdomain(id(a), Port.of(forC))).isEqualTo(-Errno.EINVAL);
        assertThat(eb.bindInterdomain(id(a), Port.of(77))).as("closed port").isEqualTo(-Errno.EINVAL);
        assertThat(eb.bindInterdomain(id(a), Port.of(5000))).as("beyond 4096").isEqualTo(-Errno.EINVAL);
        assertThat(eb.bindInterdomain(DomId.of(0x1234), Port.of(1))).isEqualTo(-Errno.ESRCH);
        int[] p = connect();
        assertThat(eb.bindInterdomain(id(a), Port.of(p[0]))).as("already connected").isEqualTo(-Errno.EINVAL);
    }

    @Test
    @DisplayName("VIRQ_DOM_EXC: the privileged domain that bound it hears of every shutdown and every death")
    void shouldRaiseDomExcOnShutdownAndDeath() throws Exception {
        BareGuest dom0 = BareGuest.create(hv, new DomainConfig("priv", 1024, 1024, 1, null, "", true, null, null, null));
        EventChannelCalls e0 = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        int port = (int) e0.bindVirq(Virq.DOM_EXC, 0);
        assertThat(port).isPositive();
        clearEventState(dom0, port);
        dom0.unmaskLocally(port);

        BareGuest c = BareGuest.create(hv, new DomainConfig("c", 1024, 1024, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
        c.domain.shutdown(Shutdown.POWEROFF, null);
        assertThat(dom0.pending(port)).as("after the shutdown").isTrue();
        clearEventState(dom0, port);
        assertThat(hv.destroy(c.domain)).isTrue();
        assertThat(dom0.pending(port)).as("after the death").isTrue();
        assertThat(a.pending(port)).as("an unprivileged domain hears nothing").isFalse();
    }

    @Test
    @DisplayName("VIRQ_CONSOLE: console input raises it in the privileged domain that bound it (__serial_rx), which reads "
            + "the input with CONSOLEIO_read; input beyond 4096 unread characters is dropped")
    void shouldRaiseConsoleVirqOnInput() throws Exception {
        BareGuest dom0 = BareGuest.create(hv, new DomainConfig("priv", 1024, 1024, 1, null, "", true, null, null, null));
        EventChannelCalls e0 = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        int port = (int) e0.bindVirq(Virq.CONSOLE, 0);
        assertThat(port).isPositive();
        clearEventState(dom0, port);
        dom0.unmaskLocally(port);

        assertThat(hv.consoleInput("xl list\n")).isEqualTo(8);

        assertThat(dom0.pending(port)).as("after the input").isTrue();
        assertThat(a.pending(port)).as("an unprivileged domain hears nothing").isFalse();
        assertThat(hv.consoleInput("x".repeat(5000))).as("up to 4096 unread").isEqualTo(4096 - 8);
        assertThat(hv.consoleInput("y")).as("full: dropped").isZero();
        assertThat(dom0.call(Hypercall.CONSOLE_IO, ConsoleIo.READ, 8, dom0.scratch2)).isEqualTo(8);
        assertThat(hv.consoleInput("yy")).as("room for what was read").isEqualTo(2);
    }

    @Test
    @DisplayName("alloc_unbound for another domain is for privileged domains only (-EPERM)")
    void shouldRefuseAllocUnboundForAnotherDomain() throws Exception {
        assertThat(ea.allocUnbound(id(b), id(a))).isEqualTo(-Errno.EPERM);
        BareGuest dom0 = BareGuest.create(hv, new DomainConfig("priv", 1024, 1024, 1, null, "", true, null, null, null));
        EventChannelCalls e0 = new EventChannelCalls(dom0.cpu, new ArgumentPage(dom0.scratch));
        int port = (int) e0.allocUnbound(id(b), id(a));
        assertThat(port).isPositive();
        var st = e0.status(id(b), Port.of(port));
        assertThat(st.state()).isEqualTo(EvtchnStat.UNBOUND);
        assertThat(st.remoteDom()).isEqualTo(DomId.of(a.domain.domid()));
        assertThat(e0.allocUnbound(DomId.of(0x1234), id(a))).isEqualTo(-Errno.ESRCH);
        assertThat(ea.status(id(b), Port.of(port)).result()).isEqualTo(-Errno.EPERM);
        assertThat(ea.reset(id(b))).isEqualTo(-Errno.EPERM);
        assertThat(e0.reset(id(b))).as("evtchn_reset: another domain only while it is paused").isEqualTo(-Errno.EINVAL);
        b.domain.pause();
        assertThat(e0.reset(id(b))).isZero();
        assertThat(b.domain.events().openPorts()).isZero();
    }

    @Test
    @DisplayName("bind_virq: VIRQ beyond 24 -EINVAL, twice on a vCPU -EEXIST, non-per-vCPU on vCPU 1 -EINVAL, no such vCPU -ENOENT, global -EBUSY")
    void shouldRefuseBadVirqBinds() {
        assertThat(ea.bindVirq(Virq.of(24), 0)).isEqualTo(-Errno.EINVAL);
        assertThat(ea.bindVirq(Virq.of(5), 0)).as("get_virq_type: an undefined VIRQ is global").isEqualTo(-Errno.EBUSY);
        assertThat(ea.bindVirq(Virq.TIMER, 0)).isPositive();
        assertThat(ea.bindVirq(Virq.TIMER, 0)).isEqualTo(-Errno.EEXIST);
        assertThat(ea.bindVirq(Virq.TIMER, 3)).isEqualTo(-Errno.ENOENT);
        assertThat(ea.bindVirq(Virq.ARGO, 1)).isEqualTo(-Errno.EINVAL);
        assertThat(ea.bindVirq(Virq.ARGO, 0)).isPositive();
        assertThat(ea.bindVirq(Virq.ARGO, 0)).isEqualTo(-Errno.EEXIST);
        assertThat(ea.bindVirq(Virq.DOM_EXC, 0)).isEqualTo(-Errno.EBUSY);
    }

    @Test
    @DisplayName("bind_ipi: sends to itself; bind_vcpu refuses IPI and per-vCPU VIRQ ports")
    void shouldBindIpisAndMoveOnlyMovablePorts() {
        assertThat(ea.bindIpi(1)).isEqualTo(-Errno.ENOENT);
        int ipi = (int) ea.bindIpi(0);
        clearEventState(a, ipi);
        a.unmaskLocally(ipi);
        assertThat(ea.send(Port.of(ipi))).isZero();
        assertThat(a.pending(ipi)).isTrue();
        assertThat(ea.status(DomId.SELF, Port.of(ipi)).state()).isEqualTo(EvtchnStat.IPI);
        assertThat(ea.bindVcpu(Port.of(ipi), 0)).isEqualTo(-Errno.EINVAL);
        int timer = (int) ea.bindVirq(Virq.TIMER, 0);
        assertThat(ea.bindVcpu(Port.of(timer), 0)).isEqualTo(-Errno.EINVAL);
        int argo = (int) ea.bindVirq(Virq.ARGO, 0);
        assertThat(ea.bindVcpu(Port.of(argo), 0)).isZero();
        assertThat(ea.bindVcpu(Port.of(argo), 2)).isEqualTo(-Errno.ENOENT);
        int unbound = (int) ea.allocUnbound(DomId.SELF, id(b));
        assertThat(ea.bindVcpu(Port.of(unbound), 0)).isZero();
        assertThat(ea.bindVcpu(Port.of(999), 0)).isEqualTo(-Errno.EINVAL);
    }

    @Test
    @DisplayName("send: a VIRQ port or a free port is -EINVAL")
    void shouldRefuseSendOnOtherKinds() {
        int timer = (int) ea.bindVirq(Virq.TIMER, 0);
        assertThat(ea.send(Port.of(timer))).isEqualTo(-Errno.EINVAL);
        assertThat(ea.send(Port.of(100))).isEqualTo(-Errno.EINVAL);
        assertThat(a.call(Hypercall.EVENT_CHANNEL_OP, 4, 0)).isEqualTo(-Errno.EFAULT);
    }

    @Test
    @DisplayName("sched_op poll of 129 ports is -EINVAL")
    void shouldRefusePollOfTooManyPorts() {
        long arg = b.scratch2;
        b.mem.putLong(arg, b.scratch2 + 64);
        b.mem.putInt(arg + 8, 129);
        b.mem.putLong(arg + 16, 0);
        assertThat(b.call(Hypercall.SCHED_OP, SchedOp.POLL, arg)).isEqualTo(-Errno.EINVAL);
    }

    @Test
    @DisplayName("A domain's death closes its ports; its peers' ports go back to unbound, nothing leaks")
    void shouldUnbindPeersWhenADomainDies() {
        int[] p = connect();
        int[] q = connect();
        int unboundForA = (int) eb.allocUnbound(DomId.SELF, id(a));
        hv.destroy(b.domain);
        for (int port : new int[] {p[0], q[0]}) {
            var s = ea.status(DomId.SELF, Port.of(port));
            assertThat(s.state()).isEqualTo(EvtchnStat.UNBOUND);
            assertThat(ea.send(Port.of(port))).isZero();
        }
        assertThat(b.domain.events().openPorts()).isZero();
        assertThat(ea.bindInterdomain(id(b), Port.of(unboundForA))).isEqualTo(-Errno.ESRCH);
        assertThat(b.domain.events().allocUnbound(a.domain.domid())).as("a dead table allocates nothing")
                .isEqualTo(-Errno.EINVAL);
    }

    @Test
    @DisplayName("reset(DOMID_SELF) closes every port")
    void shouldResetEveryPort() {
        connect();
        ea.bindIpi(0);
        ea.bindVirq(Virq.TIMER, 0);
        assertThat(a.domain.events().openPorts()).isEqualTo(3);
        assertThat(ea.reset(DomId.SELF)).isZero();
        assertThat(a.domain.events().openPorts()).isZero();
        assertThat(eb.reset(DomId.of(0x1234))).as("the domain is looked up before permission").isEqualTo(-Errno.ESRCH);
    }
}
