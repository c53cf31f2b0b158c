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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GSO frames reaching the host: netgso's sender sends TCP/IPv4 GSO frames to an address nobody
 * has, dom0's bridge floods them to its TAP uplink (which does not take GSO), so they cross as
 * dom0's segments, and a raw {@code AF_PACKET} socket on the TAP, in the test's network
 * namespace, reads them and checks each as TCP would ({@code gso-tap-reader.py}: checksums,
 * lengths, ids, sequence numbers, flags, every payload byte). The namespace goes at the end.
 * Needs root, {@code ip} and {@code python3}, as {@link NetechoTapTest} needs its tools.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NetGsoTapTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("GSO frames flooded to the TAP uplink cross as dom0's TCP segments, each right as the host reads it raw")
    void shouldSegmentForTheHost() throws Exception {
        String ns = "parasol-g" + ProcessHandle.current().pid();
        String tap = "pg" + ProcessHandle.current().pid() % 1_000_000;
        NetechoTapTest.Result made = NetechoTapTest.exec(new byte[0], "ip", "netns", "add", ns);
        assertThat(made.status()).as("ip netns add " + ns + ": " + made.err()).isZero();
        BackgroundRun run = null;
        Process reader = null;
        try {
            String sizes = "1514,9000,30000,200";
            int count = 8;
            Path cfg = dir.resolve("send.cfg");
            Files.writeString(cfg, "name='send'\nkernel='netgso'\nmemory=8\ncmdline='role=send peers=0 start=8000 gap=300 count="
                    + count + " mss=1448 sizes=" + sizes + "'\nvif=[ 'bridge=xenbr0' ]\n"
                    + "uplink='bridge=xenbr0, netns=" + ns + ", tap=" + tap + ", ip=10.0.0.1/24'\n");
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
            assertThat(reader.exitValue()).as(String.join("\n", lines)).isZero();
            // 1514 bytes: 1 segment; 9000: 7; 30000: 21; 200: 1 -- twice over, 8 frames.
            assertThat(lines).as(String.join("\n", lines) + out.text()).contains("ready", "whole=" + count + " segments=60 bad=0");
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
}
