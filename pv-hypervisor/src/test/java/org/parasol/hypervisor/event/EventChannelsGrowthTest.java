package org.parasol.hypervisor.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSPC;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.abi.EvtchnStat;

/**
 * The event-channel table grows with the ports a domain uses, as Xen allocates its event
 * channels in buckets: a domain that binds a few ports holds a few ports' state, every answer
 * for a port beyond the table is the answer for a closed port, and a sender reading its peer's
 * table while the peer grows it always finds the peer port's notify vCPU.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventChannelsGrowthTest {

    /** Records what the table asks of the 2-level ABI. */
    static final class Recorder implements EventChannels.Notifier {
        final AtomicLong pending = new AtomicLong();
        final AtomicReference<String> wrong = new AtomicReference<>();
        volatile int expectPort = -1;
        volatile int expectVcpu = -1;

        @Override
        public void setPending(int port, int vcpu) {
            pending.incrementAndGet();
            if (port == expectPort && vcpu != expectVcpu) {
                wrong.compareAndSet(null, "port " + port + " raised on vCPU " + vcpu + ", bound to " + expectVcpu);
            }
        }

        @Override
        public void clearPending(int port) {
        }

        @Override
        public void unmask(int port, int vcpu) {
        }
    }

    @Test
    @DisplayName("a table starts with 64 ports, doubles when they are taken, and stops at the ABI's 4096 with -ENOSPC")
    void shouldGrowWithThePortsInUse() {
        EventChannels t = new EventChannels(1, 1, new Recorder());
        assertThat(t.capacity()).isEqualTo(EventChannels.INITIAL_PORTS);

        for (int p = 1; p < 64; p++) {
            assertThat(t.allocUnbound(0)).isEqualTo(p);
        }
        assertThat(t.capacity()).as("63 ports and the reserved 0 fit").isEqualTo(64);
        assertThat(t.allocUnbound(0)).isEqualTo(64);
        assertThat(t.capacity()).isEqualTo(128);
        assertThat(t.status(64)).isEqualTo(EvtchnStat.UNBOUND);
        for (int p = 65; p < 4096; p++) {
            assertThat(t.allocUnbound(0)).isEqualTo(p);
        }
        assertThat(t.capacity()).isEqualTo(4096);
        assertThat(t.allocUnbound(0)).isEqualTo(-ENOSPC);
        assertThat(t.checkFreePort()).isEqualTo(-ENOSPC);
        assertThat(t.openPorts()).isEqualTo(4095);
    }

    @Test
    @DisplayName("a port beyond the table answers as a closed port does: status closed, send/close -EINVAL, unmask 0")
    void shouldAnswerForPortsBeyondTheTableAsForClosedOnes() {
        EventChannels t = new EventChannels(1, 1, new Recorder());
        assertThat(t.status(3000)).isEqualTo(EvtchnStat.CLOSED);
        assertThat(t.send(3000)).isEqualTo(-EINVAL);
        assertThat(t.close(3000)).isEqualTo(-EINVAL);
        assertThat(t.bindVcpu(3000, 0)).isEqualTo(-EINVAL);
        assertThat(t.unmask(3000)).isZero();
        assertThat(t.isOpen(3000)).isFalse();
        assertThat(t.notifyVcpu(3000)).isZero();
        assertThat(t.checkFreePort()).as("a free port, without growing under the reader lock").isZero();
        assertThat(t.capacity()).isEqualTo(EventChannels.INITIAL_PORTS);
        EventChannels other = new EventChannels(2, 1, new Recorder());
        assertThat(other.bindInterdomain(t, 3000)).as("binding to a port beyond the remote table").isEqualTo(-EINVAL);
    }

    @Test
    @DisplayName("sends from a peer while the receiving table grows 64 -> 4096 all reach the notify vCPU the port is bound to")
    void shouldDeliverToTheBoundVcpuWhileThePeerGrows() throws InterruptedException {
        Recorder bNotes = new Recorder();
        EventChannels a = new EventChannels(1, 1, new Recorder());
        EventChannels b = new EventChannels(2, 2, bNotes);
        int bPort = b.allocUnbound(1);
        int aPort = a.bindInterdomain(b, bPort);
        assertThat(aPort).isPositive();
        assertThat(b.bindVcpu(bPort, 1)).isZero();
        bNotes.expectPort = bPort;
        bNotes.expectVcpu = 1;

        AtomicBoolean done = new AtomicBoolean();
        AtomicLong sends = new AtomicLong();
        Thread sender = new Thread(() -> {
            while (!done.get()) {
                if (a.send(aPort) != 0) {
                    bNotes.wrong.compareAndSet(null, "send failed");
                }
                sends.incrementAndGet();
            }
        }, "sender");
        sender.start();
        try {
            // The sender must be sending before the table grows: on a loaded host it may not be
            // scheduled until the growth is over, and then it tested nothing.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (sends.get() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            while (b.capacity() < 4096) {
                assertThat(b.allocUnbound(0)).isPositive();
            }
        } finally {
            done.set(true);
            sender.join(10_000);
        }

        assertThat(sender.isAlive()).isFalse();
        assertThat(bNotes.wrong.get()).isNull();
        assertThat(sends.get()).isPositive();
        assertThat(b.notifyVcpu(bPort)).isEqualTo(1);
        assertThat(b.remotePort(bPort)).isEqualTo(aPort);
    }
}
