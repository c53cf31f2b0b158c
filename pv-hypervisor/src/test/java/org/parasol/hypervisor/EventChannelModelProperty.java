package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Random sequences of event-channel operations from two domains, checked after every step
 * against a model of both port tables and their pending bits: states, peers, return codes.
 */
class EventChannelModelProperty {
    private static final int PORTS = 24;
    /** jqwik runs no JUnit extension: the container checks for leaks itself once it closed the host. */
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest[] g;
    private static EventChannelCalls[] ev;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = new BareGuest[] {BareGuest.create(hv, "m0", 1024), BareGuest.create(hv, "m1", 1024)};
        ev = new EventChannelCalls[] {new EventChannelCalls(g[0].cpu, new ArgumentPage(g[0].scratch)),
                new EventChannelCalls(g[1].cpu, new ArgumentPage(g[1].scratch))};
    }

    @AfterContainer
    static void close() {
        hv.close();
        LEAKS.verify();
    }

    /** One operation: kind, acting domain (0/1), and an argument. */
    record Op(int kind, int dom, int arg) {
        @Override
        public String toString() {
            String[] names = {"allocUnbound", "bindInterdomain", "close", "send", "bindIpi", "bindVirq", "clearPending"};
            return names[kind] + "(d" + dom + ", " + arg + ")";
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 6), Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, PORTS)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    /** The model: per domain and port, state, remote domain, remote port and pending bit. */
    private static final class Model {
        final int[][] state = new int[2][PORTS + 2];
        final int[][] rdom = new int[2][PORTS + 2];
        final int[][] rport = new int[2][PORTS + 2];
        final int[][] virq = new int[2][PORTS + 2];
        final boolean[][] pending = new boolean[2][PORTS + 2];

        int lowestFree(int d) {
            for (int p = 1; p <= PORTS + 1; p++) {
                if (state[d][p] == EvtchnStat.CLOSED) {
                    return p;
                }
            }
            throw new AssertionError("model out of ports");
        }

        int open(int d) {
            int n = 0;
            for (int p = 1; p <= PORTS + 1; p++) {
                n += state[d][p] != EvtchnStat.CLOSED ? 1 : 0;
            }
            return n;
        }

        void free(int d, int p) {
            state[d][p] = EvtchnStat.CLOSED;
            rdom[d][p] = 0;
            rport[d][p] = 0;
            virq[d][p] = 0;
            pending[d][p] = false;
        }
    }

    private static int domid(int d) {
        return g[d].domain.domid();
    }

    private static boolean pendingBit(int d, int port) {
        return g[d].pending(port);
    }

    @Property(tries = 150)
    void shouldMatchTheModel(@ForAll("ops") List<Op> ops) {
        for (int d = 0; d < 2; d++) {
            assertThat(ev[d].reset(DomId.SELF)).isZero();
            for (int w = 0; w < 64; w++) {
                g[d].mem.putLongRelease(StartOfDay.SHARED_INFO_VA + 2048 + 8L * w, 0);
            }
        }
        Model m = new Model();
        for (Op op : ops) {
            int d = op.dom();
            int o = 1 - d;
            int p = op.arg();
            long rc;
            long want;
            switch (op.kind()) {
                case 0 -> {
                    if (m.open(d) >= PORTS) {
                        continue;
                    }
                    int remote = p % 2 == 0 ? o : d;
                    want = m.lowestFree(d);
                    rc = ev[d].allocUnbound(DomId.SELF, DomId.of(domid(remote)));
                    if (rc == want) {
                        m.state[d][p = (int) want] = EvtchnStat.UNBOUND;
                        m.rdom[d][p] = domid(remote);
                    }
                }
                case 1 -> {
                    if (m.open(d) >= PORTS) {
                        continue;
                    }
                    int target = p % 3 == 0 ? d : o; // sometimes loopback
                    int rp = Math.max(1, p);
                    boolean ok = m.state[target][rp] == EvtchnStat.UNBOUND && m.rdom[target][rp] == domid(d);
                    want = ok ? m.lowestFree(d) : -Errno.EINVAL;
                    rc = ev[d].bindInterdomain(DomId.of(domid(target)), Port.of(rp));
                    if (ok && rc == want) {
                        int lp = (int) want;
                        m.state[d][lp] = EvtchnStat.INTERDOMAIN;
                        m.rdom[d][lp] = domid(target);
                        m.rport[d][lp] = rp;
                        m.pending[d][lp] = true;
                        m.state[target][rp] = EvtchnStat.INTERDOMAIN;
                        m.rdom[target][rp] = domid(d);
                        m.rport[target][rp] = lp;
                    }
                }
                case 2 -> {
                    int st = m.state[d][p];
                    want = p == 0 || st == EvtchnStat.CLOSED ? -Errno.EINVAL : 0;
                    rc = ev[d].close(Port.of(p));
                    if (want == 0 && rc == 0) {
                        if (st == EvtchnStat.INTERDOMAIN) {
                            int t = m.rdom[d][p] == domid(d) ? d : o;
                            int rp = m.rport[d][p];
                            m.state[t][rp] = EvtchnStat.UNBOUND;
                            m.rdom[t][rp] = domid(d);
                            m.rport[t][rp] = 0;
                        }
                        m.free(d, p);
                    }
                }
                case 3 -> {
                    int st = m.state[d][p];
                    want = switch (st) {
                        case EvtchnStat.INTERDOMAIN, EvtchnStat.IPI, EvtchnStat.UNBOUND -> 0;
                        default -> -Errno.EINVAL;
                    };
                    rc = ev[d].send(Port.of(p));
                    if (st == EvtchnStat.INTERDOMAIN) {
                        int t = m.rdom[d][p] == domid(d) ? d : o;
                        m.pending[t][m.rport[d][p]] = true;
                    } else if (st == EvtchnStat.IPI) {
                        m.pending[d][p] = true;
                    }
                }
                case 4 -> {
                    if (m.open(d) >= PORTS) {
                        continue;
                    }
                    want = m.lowestFree(d);
                    rc = ev[d].bindIpi(0);
                    if (rc == want) {
                        m.state[d][(int) want] = EvtchnStat.IPI;
                    }
                }
                case 5 -> {
                    if (m.open(d) >= PORTS) {
                        continue;
                    }
                    int virq = new int[] {Virq.TIMER, Virq.DEBUG, Virq.ARGO}[p % 3];
                    boolean bound = false;
                    for (int q = 1; q <= PORTS + 1; q++) {
                        bound |= m.state[d][q] == EvtchnStat.VIRQ && m.virq[d][q] == virq;
                    }
                    want = bound ? -Errno.EEXIST : m.lowestFree(d);
                    rc = ev[d].bindVirq(org.parasol.hypercall.Virq.of(virq), 0);
                    if (!bound && rc == want) {
                        m.state[d][(int) want] = EvtchnStat.VIRQ;
                        m.virq[d][(int) want] = virq;
                    }
                }
                default -> {
                    g[d].mem.getAndBitwiseAndLong(StartOfDay.SHARED_INFO_VA + 2048 + 8L * (p / 64), ~(1L << (p % 64)));
                    m.pending[d][p] = false;
                    want = 0;
                    rc = 0;
                }
            }
            assertThat(rc).as("%s", op).isEqualTo(want);
            for (int dd = 0; dd < 2; dd++) {
                for (int port = 1; port <= PORTS + 1; port++) {
                    var s = ev[dd].status(DomId.SELF, Port.of(port));
                    assertThat(s.state()).as("after %s: d%d port %d state", op, dd, port).isEqualTo(m.state[dd][port]);
                    if (m.state[dd][port] == EvtchnStat.INTERDOMAIN) {
                        assertThat(s.remoteDom().value()).isEqualTo(m.rdom[dd][port]);
                        assertThat(s.remotePort().value()).isEqualTo(m.rport[dd][port]);
                    } else if (m.state[dd][port] == EvtchnStat.UNBOUND) {
                        assertThat(s.remoteDom().value()).isEqualTo(m.rdom[dd][port]);
                    }
                    assertThat(pendingBit(dd, port)).as("after %s: d%d port %d pending", op, dd, port)
                            .isEqualTo(m.pending[dd][port]);
                }
            }
        }
        assertThat(hv.unhandledExceptions()).isZero();
    }
}
