package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's own tools reach a guest through dom0's bridge and its TAP uplink: the test makes
 * a network namespace, runs {@code netecho} with {@code uplink = '... netns=NS ...'}, and from
 * the namespace the real {@code ping} (iputils) and {@code socat} reach the guest; replies are
 * checked byte for byte (ping checks its echo data itself and says "wrong data byte" when one
 * differs; socat's reply is compared here). The namespace goes at the end, failure or not.
 * Needs root (namespaces, /dev/net/tun), {@code ip} (iproute2), {@code ping} and {@code socat};
 * {@code .ci/run} installs them; without them the test fails.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetechoTapTest {
    @TempDir
    Path dir;

    record Result(int status, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** Runs a command to its end (at most 30 s); stderr goes through a file, so no reader thread is needed. */
    static Result exec(byte[] stdin, String... command) throws IOException, InterruptedException {
        Path errFile = Files.createTempFile("parasol-tap-test", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(errFile.toFile()).start();
            try (var in = p.getOutputStream()) {
                in.write(stdin);
            }
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            return new Result(p.exitValue(), out, Files.readString(errFile));
        } finally {
            Files.deleteIfExists(errFile);
        }
    }

    static Result inNamespace(String ns, byte[] stdin, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(List.of(command));
        return exec(stdin, c.toArray(String[]::new));
    }

    @Test
    @DisplayName("the host's ping and socat, in a namespace with the TAP uplink, reach netecho through dom0's bridge;"
            + " replies byte for byte")
    void shouldAnswerTheHostsPingAndSocat() throws Exception {
        String ns = "parasol-t" + ProcessHandle.current().pid();
        String tap = "pt" + ProcessHandle.current().pid() % 1_000_000;
        Result made = exec(new byte[0], "ip", "netns", "add", ns);
        assertThat(made.status()).as("ip netns add " + ns + ": " + made.err()).isZero();
        BackgroundRun run = null;
        try {
            Path cfg = dir.resolve("netecho.cfg");
            Files.writeString(cfg, "name='srv'\nkernel='netecho'\nmemory=8\ncmdline='ip=10.0.0.2/24'\n"
                    + "vif=[ 'mac=00:16:3e:00:00:02, bridge=xenbr0, ip=10.0.0.2' ]\n"
                    + "uplink='bridge=xenbr0, netns=" + ns + ", tap=" + tap + ", ip=10.0.0.1/24'\n");
            run = BackgroundRun.start(cfg.toString(), "--xenstored-socket", dir.resolve("xs.sock").toString());
            BackgroundRun.Captured out = run.out();
            BackgroundRun.Captured err = run.err();
            run.awaitOut("[srv] netecho: 10.0.0.2/24 on 00:16:3e:00:00:02, echoing", 60);
            assertThat(out.text()).contains("parasol run: TAP " + tap + " in network namespace /run/netns/" + ns
                    + ", uplink of dom0's xenbr0, host address 10.0.0.1/24");

            // iputils ping: three echo requests with a known pattern; it checks each reply's data.
            Result ping = inNamespace(ns, new byte[0], "ping", "-c", "3", "-W", "2", "-i", "0.2", "-p", "a55a0ff0",
                    "10.0.0.2");
            assertThat(ping.status()).as(ping.text() + ping.err()).isZero();
            assertThat(ping.text()).contains("3 packets transmitted, 3 received, 0% packet loss")
                    .doesNotContain("wrong data byte").doesNotContain("DUP!");

            // socat: datagrams of 1, 64, 1472 (one full frame) and 4000 bytes (fragmented both ways).
            for (int size : new int[] {1, 64, 1472, 4000}) {
                byte[] payload = new byte[size];
                for (int i = 0; i < size; i++) {
                    payload[i] = (byte) (i * 7 + size);
                }
                Result echo = inNamespace(ns, payload, "socat", "-T", "3", "-t", "3", "-b", "65536", "-",
                        "UDP:10.0.0.2:7");
                assertThat(echo.status()).as(echo.err()).isZero();
                assertThat(echo.out()).as("the %d-byte datagram echoed", size).isEqualTo(payload);
            }

            Result quit = inNamespace(ns, "quit".getBytes(StandardCharsets.US_ASCII), "socat", "-u", "-",
                    "UDP:10.0.0.2:7");
            assertThat(quit.status()).as(quit.err()).isZero();
            assertThat(run.status(60)).as(out.text() + err.text()).isZero();
            run.verifyLeaks();
            assertThat(out.text()).contains("[srv] netecho: echoed 4 datagrams; told to quit")
                    .containsPattern("(?m)^srv\\s+1 poweroff");
            assertThat(err.text()).containsPattern("uplink: " + tap + " closed: \\d+ frames to dom0");
        } finally {
            if (run != null) {
                run.close(); // a run still up ends first; the namespace goes regardless
            }
            Result del = exec(new byte[0], "ip", "netns", "del", ns);
            assertThat(del.status()).as("ip netns del " + ns + ": " + del.err()).isZero();
        }
    }

    @Test
    @DisplayName("an uplink whose namespace does not exist is refused with a clear error, and the guests still reach "
            + "each other on the bridge")
    void shouldRunWithoutTheUplinkWhenItCannotBeMade() throws IOException {
        Path srv = dir.resolve("srv.cfg");
        Files.writeString(srv, "name='srv'\nkernel='netecho'\nmemory=8\ncmdline='ip=10.0.0.2/24'\n"
                + "vif=[ 'bridge=xenbr0, ip=10.0.0.2' ]\n"
                + "uplink='netns=parasol-no-such-namespace, ip=10.0.0.1/24'\n");
        Path cli = dir.resolve("cli.cfg");
        Files.writeString(cli, "name='cli'\nkernel='netecho'\nmemory=8\n"
                + "cmdline='ip=10.0.0.3/24 role=ping target=10.0.0.2 count=3'\nvif=[ 'bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of(srv.toString(), cli.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.err()).contains("parasol run: uplink: network namespace /run/netns/parasol-no-such-namespace: "
                + "No such file or directory (errno 2); make it first with: ip netns add parasol-no-such-namespace;"
                + " running without it");
        assertThat(o.out()).containsPattern("\\[cli\\] netecho: 3/3 pings answered by 10.0.0.2")
                .containsPattern("(?m)^srv\\s+1 poweroff").containsPattern("(?m)^cli\\s+2 poweroff");
        assertThat(Arrays.asList(o.out().split("\n"))).noneMatch(l -> l.contains("uplink to the host attached"));
    }
}
