package org.parasol.hypervisor.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.EvtchnStat;
import org.parasol.hypercall.struct.EvtchnStatus;

/**
 * EVTCHNOP_status reads a port without entering the event lock (a seqlock reader: read, then
 * check no writer got in the way, else read again). While a writer binds and closes the same
 * port as fast as it can, every answer must still be one state the port really had, never a
 * mix of two (a closed port with a remote domain, an unbound port with another's domain).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EventStatusSnapshotTest {

    @Test
    @DisplayName("status read while a writer binds and closes the port answers one consistent state each time")
    void shouldAnswerConsistentSnapshotsWhileAWriterChangesThePort() throws Exception {
        EventChannels t = new EventChannels(1, 2, new EventChannelsGrowthTest.Recorder());
        int port = t.allocUnbound(7);
        assertThat(t.close(port)).isZero();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> wrong = new AtomicReference<>();
        AtomicLong changes = new AtomicLong();
        Thread writer = Thread.ofPlatform().name("status-writer").start(() -> {
            // Alternately an unbound port for domain 7 and VIRQ_DEBUG (per vCPU) on vCPU 1: two states
            // whose every field differs, so a torn read shows.
            while (!stop.get()) {
                int p = (changes.get() & 1) == 0 ? t.allocUnbound(7) : t.bindVirq(org.parasol.hypercall.abi.Virq.DEBUG, 1, false);
                if (p != port) {
                    wrong.compareAndSet(null, "the writer got port " + p + ", not " + port);
                    return;
                }
                t.close(p);
                changes.incrementAndGet();
            }
        });
        EvtchnStatus into = new EvtchnStatus().wrap(SegmentBuffer.allocate(EvtchnStatus.SIZE), 0);
        long reads = 0;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        try {
            while ((System.nanoTime() < deadline || changes.get() < 100) && wrong.get() == null && writer.isAlive()) {
                assertThat(t.status(port, into)).isZero();
                long st = into.status();
                String snapshot = "status " + st + " vcpu " + into.vcpu() + " u.unbound.dom " + into.unboundDom()
                        + " u.virq " + into.virq();
                boolean ok = switch ((int) st) {
                    case EvtchnStat.CLOSED -> into.virq() == 0;
                    case EvtchnStat.UNBOUND -> into.vcpu() == 0 && into.unboundDom() == 7;
                    case EvtchnStat.VIRQ -> into.vcpu() == 1 && into.virq() == org.parasol.hypercall.abi.Virq.DEBUG;
                    default -> false;
                };
                if (!ok) {
                    wrong.compareAndSet(null, "a torn answer: " + snapshot);
                }
                reads++;
            }
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
        assertThat(wrong.get()).isNull();
        assertThat(reads).isPositive();
        assertThat(changes.get()).as("changes the writer made while status read").isGreaterThanOrEqualTo(100);
        assertThat(t.lockFree()).isTrue();
    }
}
