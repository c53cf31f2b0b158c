package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * netback's queues on dom0's vCPUs ({@code parasol run --dom0-vcpus 3}): each vif queue goes to
 * the next of dom0's vCPUs 1 and 2 in turn, a frame switched on one vCPU for a queue served on
 * the other crosses in that queue's hand-off, and every frame the bridge gives a vif is received
 * or counted as dropped (netback's closing line: the hand-off's and the RX queue's counts beside
 * the frames from the bridge). A TCP stream over both queues arrives in order; a guest destroyed
 * while frames cross to it leaves nothing behind.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NetMultiVcpuTest {
    @TempDir
    Path dir;

    /**
     * A vif's closing line: frames sent and received, dropped for want of a buffer, the hand-off's
     * frames and drops, the frames the bridge gave it; then (optionally) its RX queue's drops.
     */
    private static final Pattern CLOSING = Pattern.compile("netback: vif(\\d)\\.0: (\\d+) frames sent, (\\d+) received"
            + "(?: \\(\\d+ over several slots\\))?, (\\d+) dropped \\(no buffer\\), (?:(\\d+) dropped \\(over its buffer\\), )?"
            + "hand-off from other vCPUs: (\\d+) frames, (\\d+) dropped \\(full\\), (\\d+) dropped on disconnect, of (\\d+) frames "
            + "from the bridge; (?:RX queue: \\d+ frames waited for buffers \\(at most \\d+ of \\d+ bytes held\\), (\\d+) dropped "
            + "\\(queue full\\), (\\d+) expired \\(over \\d+ ms\\), (\\d+) dropped on disconnect, (\\d+) dom0 pages taken and (\\d+) "
            + "given back; )?(?:(\\d+) dropped \\(no dom0 pages for an RX queue\\), )?");

    private static long n(Matcher m, int group) {
        return m.group(group) == null ? 0 : Long.parseLong(m.group(group));
    }

    /** Checks vif {@code vif}'s closing line: every frame from the bridge received or dropped and counted; its hand-off's frames. */
    private static long[] accounted(String out, int vif) {
        Matcher m = CLOSING.matcher(out);
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) != vif) {
                continue;
            }
            long received = n(m, 3);
            long dropped = n(m, 4) + n(m, 5) + n(m, 7) + n(m, 8) + n(m, 10) + n(m, 11) + n(m, 12) + n(m, 15);
            long fromBridge = n(m, 9);
            assertThat(received + dropped).as("vif%d.0: frames received and dropped, against those the bridge gave it: %s",
                    vif, m.group()).isEqualTo(fromBridge);
            assertThat(n(m, 13)).as("vif%d.0's RX queue pages given back", vif).isEqualTo(n(m, 14));
            return new long[] {n(m, 2), received, n(m, 6), dropped};
        }
        throw new AssertionError("no closing line with hand-off counts for vif" + vif + ".0:\n" + out);
    }

    @Test
    @DisplayName("dom0 on 3 vCPUs, a 2-queue source and a 1-queue sink: queues on vCPUs 1 and 2 in turn, frames crossing "
            + "between them in the hand-off, every frame from the bridge received or dropped and counted, round trips answered")
    void shouldSpreadQueuesOverDom0sVcpusAndAccountForEveryFrame() throws IOException {
        Path sink = NetGuestCfg.write(dir, "sink", "netbench", "role=sink queues=1");
        Path source = NetGuestCfg.write(dir, "source", "netbench", "role=source queues=2 sizes=1514,64 warmup=100 time=300 rounds=200 gap=10");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", "3", sink.toString(), source.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("dom0: vCPUs 1-2 serve net queues")
                .containsPattern("netback: vif1\\.0: on bridge xenbr0; Connected \\(1 queue on vCPU [12], split event channels")
                .containsPattern("netback: vif2\\.0: on bridge xenbr0; Connected \\(2 queues on vCPUs (1,2|2,1), split event channels")
                .containsPattern("\\[source\\] netbench: result mode=stream size=1514 frames=[1-9]")
                .containsPattern("\\[source\\] netbench: result mode=rr size=1514 rounds=200 ")
                .containsPattern("\\[source\\] netbench: result mode=rr size=64 rounds=200 ");
        long[] sinkVif = accounted(o.out(), 1);
        long[] sourceVif = accounted(o.out(), 2);
        // One of the source's queues is on the sink's queue's vCPU, the other is not: its frames cross.
        assertThat(sinkVif[2]).as("frames handed over to the sink's queue from the other vCPU").isGreaterThan(100);
        assertThat(sinkVif[1]).as("the sink received most of what was sent").isGreaterThan(sourceVif[0] / 2);
        Matcher perQueue = Pattern.compile("netback: vif2\\.0: .*frames sent/received per queue: (\\d+)/(\\d+), (\\d+)/(\\d+)\\)")
                .matcher(o.out());
        assertThat(perQueue.find()).as(o.out()).isTrue();
        assertThat(Long.parseLong(perQueue.group(1))).as("queue 0's TX frames").isGreaterThan(100);
        assertThat(Long.parseLong(perQueue.group(3))).as("queue 1's TX frames").isGreaterThan(100);
    }

    @Test
    @DisplayName("a TCP/IPv4 GSO stream to a sink that takes segments, dom0 on 3 vCPUs and each vif's queue on its own: "
            + "segments cut on one vCPU reach the other in order (none behind its predecessor); a gap only where a drop is counted")
    void shouldKeepAFlowInOrderAcrossVcpus() throws IOException {
        // The GSO stream is one flow on one queue: the sink's queue goes to vCPU 1, the source's to vCPU 2.
        Path sink = NetGuestCfg.write(dir, "sink", "netbench", "role=sink queues=1 mss=1448");
        Path source = NetGuestCfg.write(dir, "source", "netbench", "role=source queues=1 mss=1448 warmup=100 time=400 gap=10");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", "3", sink.toString(), source.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher r = Pattern.compile("\\[source\\] netbench: result mode=gso size=\\d+ mss=1448 frames=(\\d+) segments=(\\d+) .*"
                + "gaps=(-?\\d+) lost=(-?\\d+) bad=(-?\\d+)").matcher(o.out());
        assertThat(r.find()).as(o.out()).isTrue();
        Matcher on = Pattern.compile("netback: vif[12]\\.0: on bridge xenbr0; Connected \\(1 queue on vCPU ([12]),").matcher(o.out());
        assertThat(on.find()).as(o.out()).isTrue();
        String first = on.group(1);
        assertThat(on.find()).as(o.out()).isTrue();
        assertThat(on.group(1)).as("the two vifs' queues on different vCPUs").isNotEqualTo(first);
        assertThat(Long.parseLong(r.group(1))).as("GSO frames sent").isPositive();
        assertThat(Long.parseLong(r.group(5))).as("segments behind their predecessor (out of order) or malformed").isZero();
        long[] sinkVif = accounted(o.out(), 1);
        if (Long.parseLong(r.group(3)) > 0) {
            assertThat(sinkVif[3]).as("a gap in the stream only where netback counted a drop").isPositive();
        }
        accounted(o.out(), 2);
    }

    @Test
    @DisplayName("the sink destroyed (xl destroy) while a 2-queue stream crosses dom0's vCPUs to it: its queue stops on its "
            + "vCPU, what it held is dropped and counted, dom0's pages given back, the store and the host left clean; the source"
            + " destroyed last: dom0 powers off only once its vif's queues have closed (its closing line before dom0's last)")
    void shouldLetGoOfAGuestDestroyedWhileFramesCross() throws IOException {
        Path sink = NetGuestCfg.write(dir, "sink", "netbench", "role=sink queues=1");
        Path source = NetGuestCfg.write(dir, "source", "netbench", "role=source queues=2 sizes=1514 warmup=100 time=4000 rounds=10 gap=10");
        AtomicBoolean destroyed = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<org.parasol.hypervisor.domain.Domain> dom0 =
                new java.util.concurrent.atomic.AtomicReference<>();
        RunOutcome o = RunOutcome.of(hv -> hv.onDomainCreated(d -> {
            if (d.domid() == 0) {
                dom0.set(d);
                return;
            }
            if (!d.name().equals("source")) {
                return;
            }
            d.console().subscribe(line -> {
                // The timed stream has begun: frames cross to the sink's queues now.
                if (line.contains("netbench: timing stream") && destroyed.compareAndSet(false, true)) {
                    Thread t = new Thread(() -> {
                        try {
                            Thread.sleep(300);
                            hv.consoleInput("xl destroy sink\n");
                            // The sink's vif closes (its queues stop on their vCPUs first); then the source goes too.
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                            while (System.nanoTime() < deadline && dom0.get().console().lines().stream()
                                    .noneMatch(l -> l.startsWith("netback: vif1.0: ") && l.contains("Closed"))) {
                                Thread.sleep(10);
                            }
                            hv.consoleInput("xl destroy source\n");
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                }
            });
        }), "--dom0-vcpus", "3", sink.toString(), source.toString());

        assertThat(destroyed).as(o.out()).isTrue();
        assertThat(o.out()).containsPattern("netback: vif1\\.0: on bridge xenbr0; Connected \\(1 queue on vCPU")
                .containsPattern("netback: vif2\\.0: on bridge xenbr0; Connected \\(2 queues on vCPUs")
                .doesNotContain("guest crash")
                .containsPattern("(?m)netback: vif1\\.0: .*dom0 pages taken and (\\d+) given back; .*; (removed|the front end is gone)(; Closed)?$");
        long[] sinkVif = accounted(o.out(), 1);
        assertThat(sinkVif[1]).as("the sink received frames before it went").isPositive();
        assertThat(sinkVif[2]).as("frames crossed vCPUs to it").isPositive();
        // The source was the last domain: dom0 powers off only once its vif's two queues have
        // stopped on vCPUs 1 and 2 and let go on the boot vCPU, so its closing line is there,
        // every frame accounted for, before dom0's last lines.
        assertThat(o.out()).containsPattern("(?m)netback: vif2\\.0: .*; (removed|the front end is gone)(; Closed)?$")
                .doesNotContain("back-end queues still closing");
        accounted(o.out(), 2);
        Matcher closing = Pattern.compile("netback: vif2\\.0: \\d+ frames sent").matcher(o.out());
        assertThat(closing.find()).as(o.out()).isTrue();
        assertThat(o.out().indexOf("dom0: every domain is gone; powering off")).as(o.out()).isGreaterThan(closing.start());
    }

}
