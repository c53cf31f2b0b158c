package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GSO frames reaching the host: netgso's sender sends TCP/IPv4 GSO frames up to 64 KiB to an
 * address nobody has, dom0's bridge floods them to its TAP uplink, and a raw {@code AF_PACKET}
 * socket on the TAP with {@code PACKET_VNET_HDR}, in the test's network namespace, reads them and
 * checks each as TCP would ({@code gso-tap-reader.py}: checksums, lengths, ids, sequence numbers,
 * flags, every payload byte). With the TAP's offloads ({@code offload=1}) the larger frames reach
 * the host kernel whole, with a {@code virtio_net_hdr} that says TCPV4 and the MSS; without
 * ({@code offload=0}) they cross as dom0's segments, all of them. The namespace goes at the end.
 * Needs root, {@code ip} and {@code python3}, as {@link NetechoTapTest} needs its tools.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NetGsoTapTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "uplink offload={0}")
    @ValueSource(ints = {1, 0})
    @DisplayName("GSO frames up to 64 KiB flooded to the TAP uplink reach the host complete: whole with a virtio_net_hdr where"
            + " the TAP took TUN_F_TSO4, as dom0's TCP segments (every one of them) where not")
    void shouldCarryGsoFramesToTheHost(int offload) throws Exception {
        String ns = "parasol-g" + ProcessHandle.current().pid();
        String tap = "pg" + ProcessHandle.current().pid() % 1_000_000;
        NetechoTapTest.Result made = NetechoTapTest.exec(new byte[0], "ip", "netns", "add", ns);
        assertThat(made.status()).as("ip netns add " + ns + ": " + made.err()).isZero();
        BackgroundRun run = null;
        Process reader = null;
        try {
            String sizes = "1514,9000,30000,65535";
            int count = 8;
            Path cfg = dir.resolve("send.cfg");
            Files.writeString(cfg, "name='send'\nkernel='netgso'\nmemory=8\ncmdline='role=send peers=0 start=8000 gap=300 count="
                    + count + " mss=1448 sizes=" + sizes + "'\nvif=[ 'bridge=xenbr0' ]\n"
                    + "uplink='bridge=xenbr0, netns=" + ns + ", tap=" + tap + ", ip=10.0.0.1/24, offload=" + offload + "'\n");
            Path script = dir.resolve("gso-tap-reader.py");
            try (InputStream in = NetGsoTapTest.class.getResourceAsStream("gso-tap-reader.py")) {
                Files.write(script, in.readAllBytes());
            }
            run = BackgroundRun.start(cfg.toString(), "--xenstored-socket", dir.resolve("xs.sock").toString());
            BackgroundRun.Captured out = run.out();
            BackgroundRun.Captured err = run.err();
            run.awaitOut("[send] netgso: sending as", 60);
            // The sender starts 8 s after it connected: the reader is bound to the TAP before that.
            reader = new ProcessBuilder("ip", "netns", "exec", ns, "python3", script.toString(), tap, "1448",
                    Integer.toString(count), sizes, "60").redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(reader.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                    if (l.equals("ready")) {
                        assertThat(out.text()).as("the reader was bound before the sender started")
                                .doesNotContain("[send] netgso: sent");
                    }
                }
            }
            assertThat(reader.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(reader.exitValue()).as(String.join("\n", lines) + out.text() + err.text()).isZero();
            // 1514 bytes: 1 segment; 9000: 7; 30000: 21; 65535: 46 (more than dom0's old queue of 32 held) -- twice
            // over, 8 frames. With the offloads the host kernel takes the three larger ones whole, each with its MSS.
            assertThat(out.text()).contains("parasol run: uplink " + tap + ": "
                    + (offload == 1 ? "IFF_VNET_HDR, TUN_F_CSUM|TUN_F_TSO4: GSO frames cross whole" : "offloads off (offload=0)"));
            assertThat(lines).as(String.join("\n", lines) + out.text() + err.text()).contains("ready", "whole=" + count
                    + " segments=150 packets=" + (offload == 1 ? 8 : 150) + " gso=" + (offload == 1 ? 6 : 0) + " bad=0");
            assertThat(run.status(60)).as(out.text() + err.text()).isZero();
            run.verifyLeaks();
            assertThat(out.text()).contains("[send] netgso: sent " + count + " GSO frames at MSS 1448, unanswered")
                    .contains("netback: vif1.0: ").containsPattern("GSO: " + count + " frames sent, 0 received whole")
                    .containsPattern("(?m)^send\\s+1 poweroff");
        } finally {
            if (reader != null && reader.isAlive()) {
                reader.destroyForcibly();
            }
            if (run != null) {
                run.close(); // a run still up ends first; the namespace goes regardless
            }
            NetechoTapTest.Result del = NetechoTapTest.exec(new byte[0], "ip", "netns", "del", ns);
            assertThat(del.status()).as("ip netns del " + ns + ": " + del.err()).isZero();
        }
    }

    /**
     * The other way: the host kernel hands the TAP's reader TCP/IPv4 GSO frames whole (a raw
     * {@code AF_PACKET} socket with {@code PACKET_VNET_HDR} sends them, as a TCP stack's TSO frame
     * would leave: {@code gso-tap-sender.py}, which plays netgso's sender), dom0's uplink takes
     * them whole into the bridge, and two netgso receivers check every byte: one with
     * {@code feature-gso-tcpv4} gets each whole with its MSS, one without gets dom0's segments.
     */
    @org.junit.jupiter.api.Test
    @DisplayName("GSO frames the host kernel hands the TAP (virtio_net_hdr TCPV4) reach a front end with feature-gso-tcpv4 whole"
            + " and one without as dom0's segments, every byte right")
    void shouldCarryTheHostsGsoFramesToGuests() throws Exception {
        String ns = "parasol-h" + ProcessHandle.current().pid();
        String tap = "ph" + ProcessHandle.current().pid() % 1_000_000;
        NetechoTapTest.Result made = NetechoTapTest.exec(new byte[0], "ip", "netns", "add", ns);
        assertThat(made.status()).as("ip netns add " + ns + ": " + made.err()).isZero();
        BackgroundRun run = null;
        Process sender = null;
        try {
            String sizes = "1514,9000,30000,65535";
            int count = 8;
            String common = " count=" + count + " mss=1448 sizes=" + sizes;
            Path whole = dir.resolve("whole.cfg");
            Files.writeString(whole, "name='whole'\nkernel='netgso'\nmemory=8\ncmdline='role=recv gso=1" + common + "'\n"
                    + "vif=[ 'bridge=xenbr0' ]\nuplink='bridge=xenbr0, netns=" + ns + ", tap=" + tap + ", ip=10.0.0.1/24'\n");
            Path cut = dir.resolve("cut.cfg");
            Files.writeString(cut, "name='cut'\nkernel='netgso'\nmemory=8\ncmdline='role=recv gso=0" + common + "'\n"
                    + "vif=[ 'bridge=xenbr0' ]\n");
            Path script = dir.resolve("gso-tap-sender.py");
            try (InputStream in = NetGsoTapTest.class.getResourceAsStream("gso-tap-sender.py")) {
                Files.write(script, in.readAllBytes());
            }
            run = BackgroundRun.start(whole.toString(), cut.toString(), "--xenstored-socket", dir.resolve("xs.sock").toString());
            BackgroundRun.Captured out = run.out();
            BackgroundRun.Captured err = run.err();
            run.awaitOut("parasol run: uplink " + tap, 60);
            // The receivers say READY until the first frame: the sender waits for both.
            sender = new ProcessBuilder("ip", "netns", "exec", ns, "python3", script.toString(), tap, "1448",
                    Integer.toString(count), sizes, "2", "90").redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(sender.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            }
            assertThat(sender.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(sender.exitValue()).as(String.join("\n", lines) + out.text() + err.text()).isZero();
            assertThat(run.status(60)).as(out.text() + err.text()).isZero();
            run.verifyLeaks();
            // 65535-byte frames carry 65469 payload bytes: 46 segments of 1448; 30000: 21; 9000: 7; 1514: 1.
            long payload = 2L * ((1514 - 66) + (9000 - 66) + (30000 - 66) + (65535 - 66));
            assertThat(out.text()).as(String.join("\n", lines))
                    .contains("parasol run: uplink " + tap + ": IFF_VNET_HDR, TUN_F_CSUM|TUN_F_TSO4: GSO frames cross whole")
                    .contains("[whole] netgso: received " + count + " frames (" + count + " segments, " + payload
                            + " payload bytes) whole with their MSS (6 GSO frames); checksums, lengths, ids, sequence numbers,"
                            + " flags and bytes right")
                    .contains("[cut] netgso: received " + count + " frames (150 segments, " + payload + " payload bytes) as"
                            + " dom0's segments; checksums, lengths, ids, sequence numbers, flags and bytes right")
                    .containsPattern("dom0: xenbr0: uplink detached \\(\\d+ frames in, ([6-9]|\\d\\d+) of them GSO, 0 GSO refused")
                    .containsPattern("(?m)^whole\\s+1 poweroff").containsPattern("(?m)^cut\\s+2 poweroff");
            assertThat(err.text()).containsPattern("uplink: " + tap + " closed: \\d+ frames to dom0 \\(([6-9]|\\d\\d+) of them GSO,");
        } finally {
            if (sender != null && sender.isAlive()) {
                sender.destroyForcibly();
            }
            if (run != null) {
                run.close(); // a run still up ends first; the namespace goes regardless
            }
            NetechoTapTest.Result del = NetechoTapTest.exec(new byte[0], "ip", "netns", "del", ns);
            assertThat(del.status()).as("ip netns del " + ns + ": " + del.err()).isZero();
        }
    }
}
