package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest IP stack on the split network driver: one domain answers ICMP echo and echoes UDP
 * on port 7 (netecho), another pings it and sends it datagrams, checking every answer byte for
 * byte; ARP resolves both ways through dom0's bridge; nothing leaks.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetechoRunTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("ping and UDP echo between two guests' IP stacks over netfront, netback and the bridge")
    void shouldPingAndEchoBetweenGuests() throws IOException {
        Path srv = dir.resolve("srv.cfg");
        Files.writeString(srv, "name='srv'\nkernel='netecho'\nmemory=8\ncmdline='ip=10.0.0.2/24'\n"
                + "vif=[ 'bridge=xenbr0, ip=10.0.0.2' ]\n");
        Path cli = dir.resolve("cli.cfg");
        Files.writeString(cli, "name='cli'\nkernel='netecho'\nmemory=8\n"
                + "cmdline='ip=10.0.0.3/24 role=ping target=10.0.0.2 count=10'\nvif=[ 'bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of(srv.toString(), cli.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[srv] netecho: 10.0.0.2/24 on 00:16:3e:00:01:00, echoing")
                .containsPattern("\\[cli\\] netecho: 10/10 pings answered by 10.0.0.2, p50 \\d+ us; 10/10 UDP datagrams echoed")
                .contains("[srv] netecho: echoed 10 datagrams; told to quit")
                .containsPattern("(?m)^srv\\s+1 poweroff").containsPattern("(?m)^cli\\s+2 poweroff")
                // Both take blank checksums: the server's 11 datagrams (10 and quit) and the client's 11 (10 echoes and bye) came blank.
                .contains("[srv] netecho: checksum offload on; 11 frames received with blank checksums, 11 UDP datagrams")
                .contains("[cli] netecho: checksum offload on; 11 frames received with blank checksums, 11 UDP datagrams");
    }

    @Test
    @DisplayName("a front end that writes feature-no-csum-offload = 1 gets every blank UDP checksum filled in by dom0, and it verifies")
    void shouldFillInBlankChecksumsForAFrontEndThatDeclines() throws IOException {
        Path srv = dir.resolve("srv.cfg");
        Files.writeString(srv, "name='srv'\nkernel='netecho'\nmemory=8\ncmdline='ip=10.0.0.2/24'\n"
                + "vif=[ 'bridge=xenbr0, ip=10.0.0.2' ]\n");
        Path cli = dir.resolve("cli.cfg");
        Files.writeString(cli, "name='cli'\nkernel='netecho'\nmemory=8\n"
                + "cmdline='ip=10.0.0.3/24 role=ping target=10.0.0.2 count=10 csum=off'\nvif=[ 'bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of(srv.toString(), cli.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        // The client's stack drops a non-zero checksum that does not verify: all 10 echoes came back whole.
        assertThat(o.out()).containsPattern("\\[cli\\] netecho: 10/10 pings answered by 10.0.0.2, p50 \\d+ us; 10/10 UDP")
                .contains("netback: vif2.0: on bridge xenbr0; Connected (1 queue, split event channels, no checksum offload, RX scatter-gather)")
                .contains("[cli] netecho: checksum offload off; 0 frames received with blank checksums, 0 UDP datagrams")
                .contains("[srv] netecho: checksum offload on; 0 frames received with blank checksums, 0 UDP datagrams");
    }
}
