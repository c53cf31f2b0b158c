package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TCP/IPv4 GSO ({@code feature-gso-tcpv4}) end to end with the netgso image: one sender's GSO
 * frames up to 64 KiB reach a receiver that asked for GSO whole, with their MSS, and one that did
 * not as dom0's segments, each checked by the receiver as TCP would (checksums, lengths, ids,
 * sequence numbers, flags, every payload byte); nothing leaks ({@link RunOutcome}).
 */
class NetGsoRunTest {
    @TempDir
    Path dir;

    private Path cfg(String name, String cmdline) throws IOException {
        Path p = dir.resolve(name + ".cfg");
        Files.writeString(p, "name='" + name + "'\nkernel='netgso'\nmemory=8\ncmdline='" + cmdline + "'\nvif=[ 'bridge=xenbr0' ]\n");
        return p;
    }

    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    @ParameterizedTest(name = "xen_netback.tx_map={0}")
    @ValueSource(ints = {0, 1})
    @DisplayName("GSO frames up to 64 KiB: whole with a GSO extra to a front end with feature-gso-tcpv4, cut into valid TCP segments for one without")
    void shouldCarryGsoFrames(int txMap) throws IOException {
        String common = " count=12 mss=1448 sizes=1514,9000,30000,65535,200,4096";
        Path whole = cfg("whole", "role=recv gso=1" + common);
        Path cut = cfg("cut", "role=recv gso=0" + common);
        Path send = cfg("send", "role=send peers=2" + common);

        RunOutcome o = RunOutcome.of("--dom0-cmdline=xen_netback.tx_map=" + txMap, whole.toString(), cut.toString(), send.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        // 65535-byte frames carry 65469 payload bytes: 46 segments of 1448 at most; 200-byte ones one.
        long payload = 2L * ((1514 - 66) + (9000 - 66) + (30000 - 66) + (65535 - 66) + (200 - 66) + (4096 - 66));
        long segs = 2L * (1 + 7 + 21 + 46 + 1 + 3);
        assertThat(o.out()).contains("[whole] netgso: receiving as 00:16:3e:00:01:00 (GSO frames whole)")
                .contains("[cut] netgso: receiving as 00:16:3e:00:02:00 (segments: no feature-gso-tcpv4)")
                .containsPattern("\\[send\\] netgso: sent 12 GSO frames at MSS 1448 to 2 receivers, \\d+ resent")
                .contains("[whole] netgso: received 12 frames (12 segments, " + payload + " payload bytes) whole with their MSS"
                        + " (12 GSO frames); checksums, lengths, ids, sequence numbers, flags and bytes right")
                .contains("[cut] netgso: received 12 frames (" + segs + " segments, " + payload + " payload bytes) as dom0's"
                        + " segments; checksums, lengths, ids, sequence numbers, flags and bytes right")
                .contains("[Domain-0] netback: vif1.0: on bridge xenbr0; Connected (1 queue"
                        + (txMap == 1 ? ", TX by grant map" : "") + ", split event channels, no checksum offload,"
                        + " RX scatter-gather, RX GSO)")
                .containsPattern("netback: vif3\\.0: .*; GSO: 1[2-9]\\d* frames sent, 0 received whole")
                .containsPattern("netback: vif1\\.0: .*; GSO: 0 frames sent, 1[2-9]\\d* received whole")
                .containsPattern("(?m)^whole\\s+1 poweroff").containsPattern("(?m)^cut\\s+2 poweroff")
                .containsPattern("(?m)^send\\s+3 poweroff");
    }

    /**
     * Hostile GSO extras beside a well-behaved pair: the liar's frames carry extras of arbitrary
     * types and sizes on arbitrary frames (drawn from the seed); every one dom0 must refuse is
     * refused and counted on the liar's vif, and the pair's GSO frames all arrive right.
     */
    @net.jqwik.api.Property(tries = 2)
    @net.jqwik.api.Label("GSO extras with nonsense sizes and types on arbitrary frames: refused and counted, the pair beside unharmed")
    void shouldRefuseNonsenseGsoExtras(@net.jqwik.api.ForAll @net.jqwik.api.constraints.LongRange(min = 1, max = 1_000_000) long seed)
            throws IOException {
        dir = Files.createTempDirectory("netgso"); // jqwik fills no @TempDir
        String common = " count=6 mss=1000 sizes=30000,65535,1514";
        Path recv = cfg("recv", "role=recv gso=0" + common);
        Path liar = cfg("liar", "role=liar frames=150 seed=" + seed);
        Path send = cfg("send", "role=send peers=1" + common);

        RunOutcome o = RunOutcome.of(recv.toString(), liar.toString(), send.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        Matcher said = Pattern.compile("\\[liar\\] netgso: liar sent 150 GSO frames, (\\d+) to be refused").matcher(o.out());
        assertThat(said.find()).as(o.out()).isTrue();
        Matcher counted = Pattern.compile("netback: vif2\\.0: (\\d+) frames sent, .* (\\d+) refused \\((\\d+) GSO").matcher(o.out());
        assertThat(counted.find()).as(o.out()).isTrue();
        int refused = Integer.parseInt(said.group(1));
        assertThat(refused).as("the seed draws lies").isPositive();
        assertThat(Integer.parseInt(counted.group(2))).as("every frame dom0 must refuse, refused and counted").isEqualTo(refused);
        assertThat(Integer.parseInt(counted.group(1))).as("the rest taken").isEqualTo(150 - refused);
        assertThat(o.out()).containsPattern("\\[send\\] netgso: sent 6 GSO frames at MSS 1000 to 1 receivers")
                .contains("[recv] netgso: received 6 frames (")
                .containsPattern("(?m)^recv\\s+1 poweroff").containsPattern("(?m)^liar\\s+2 poweroff")
                .containsPattern("(?m)^send\\s+3 poweroff");
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
