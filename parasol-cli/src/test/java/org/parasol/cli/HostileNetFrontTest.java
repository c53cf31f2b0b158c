package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile network front end (net-liar) on the same bridge as a well-behaved pair (netping):
 * each malformed TX request is refused with an error, the liar's port drops the frames flooded
 * to it (it posts no RX buffer) without stalling the bridge, a broken ring index closes its vif
 * only, the pair's frames all arrive, and nothing leaks.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostileNetFrontTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "dom0 on {0} vCPU(s)")
    @ValueSource(ints = {1, 3})
    @DisplayName("every lie is refused (bad refs and bytes, slots that disagree with the size, more than XEN_NETIF_NR_SLOTS_MIN slots, GSO extras not offered), a good frame over 3 slots and one of 64000 bytes over 16 are taken, lies in chains over a page are refused and a chain that never ends closes its vif, a liar without RX buffers stalls nobody, a broken ring closes its vif only; lies about queues and split event channels leave the vif Closed and nothing mapped")
    void shouldRefuseLiesAndSpareThePair(int dom0Vcpus) throws IOException {
        String vifs = String.join(", ", java.util.Collections.nCopies(9, "'bridge=xenbr0'"));
        Path liar = cfg("liar.cfg", "name='liar'\nkernel='net-liar'\nmemory=8\nvif=[ " + vifs + " ]\n");
        Path echo = NetGuestCfg.write(dir, "echo", "netping", "role=echo");
        Path ping = NetGuestCfg.write(dir, "ping", "netping", "role=ping count=50");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", Integer.toString(dom0Vcpus), "--dom0-cmdline=xen_netback.rx_drain_timeout_msecs=100", liar.toString(), echo.toString(),
                ping.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[liar] net-liar: ok-frame: status 0")
                .contains("[liar] net-liar: bad-gref: status -1").contains("[liar] net-liar: outside-page: status -1")
                .contains("[liar] net-liar: runt: status -1").contains("[liar] net-liar: sg-frame: status 0")
                .contains("[liar] net-liar: slots-exceed-size: status -1")
                .contains("[liar] net-liar: size-exceeds-slots: status -1")
                .contains("[liar] net-liar: too-many-slots: status -1")
                .contains("[liar] net-liar: gso-zero-size: status -1").contains("[liar] net-liar: gso-huge-size: status -1")
                .contains("[liar] net-liar: csum-blank-not-ip: status -1")
                .contains("[liar] net-liar: big-sg-frame: status 0")
                .contains("[liar] net-liar: big-size-exceeds-slots: status -1")
                .contains("[liar] net-liar: big-slots-exceed-size: status -1")
                .contains("[liar] net-liar: chain-never-ends: the back end went Closed")
                .containsPattern("netback: vif1.8: .*; the front end broke the TX protocol: slot 41 of a frame is missing")
                .contains("[liar] net-liar: req-prod-far-ahead: the back end went Closed")
                .containsPattern("netback: vif1.0: 3 frames sent, 0 received, \\d+ dropped \\(no buffer\\), (hand-off from other vCPUs: [^;]*; )?(RX queue: [^;]*; )?11 refused "
                        + "\\(2 GSO, 1 over 18 slots, 1 blank checksum on no TCP/UDP\\); the front end broke its TX ring")
                .containsPattern("\\[ping\\] netping: 50 replies from ")
                .contains("[liar] net-liar: split-mixed: the back end went Closed")
                .containsPattern("netback: vif1.1: .*; the front end asked for 0 queues, not 1..4\n")
                .containsPattern("netback: vif1.2: .*; the front end asked for 5 queues, not 1..4\n")
                .containsPattern("netback: vif1.3: .*; the front end's rings: no queue-1/rx-ring-ref\n")
                .containsPattern("netback: vif1.4: .*; the front end's rings: no event-channel-rx\n")
                .containsPattern("netback: vif1.5: .*; the front end's rings: event-channel-tx and event-channel-rx are both port \\d+\n")
                .containsPattern("netback: vif1.6: .*; the front end's rings: queue 1 has one event channel and queue 0 "
                        + "split them\n")
                .containsPattern("netback: vif1.7: .*; .*multi-queue-num-queues.*two.*\n")
                .containsPattern("(?m)^liar\\s+1 poweroff").containsPattern("(?m)^ping\\s+3 poweroff");
        checkLiarsRxQueue(o.out());
    }

    /**
     * The liar never posts an RX buffer: whatever its first vif's RX queue took (frames the pair
     * flooded while it was up, if any) stayed within the bound and left by expiry or disconnect,
     * and its pages went back.
     */
    private static void checkLiarsRxQueue(String out) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("netback: vif1\\.0: [^\n]*RX queue: (\\d+) frames waited for "
                + "buffers \\(at most (\\d+) of 131072 bytes held\\), (\\d+) dropped \\(queue full\\), (\\d+) expired \\(over 100 ms\\), "
                + "(\\d+) dropped on disconnect, (\\d+) dom0 pages taken and (\\d+) given back; ").matcher(out);
        if (m.find()) {
            assertThat(Long.parseLong(m.group(2))).isLessThanOrEqualTo(131072);
            assertThat(Long.parseLong(m.group(4)) + Long.parseLong(m.group(5))).as("nothing delivered: expired or dropped")
                    .isEqualTo(Long.parseLong(m.group(1)));
            assertThat(m.group(6)).isEqualTo(m.group(7));
        }
    }

    private Path cfg(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }
}
