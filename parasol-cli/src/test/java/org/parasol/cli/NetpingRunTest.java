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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The split network driver end to end: two domains with a vif each on dom0's bridge exchange
 * raw Ethernet frames (the netping image), answers checked byte for byte by the pinger; the
 * bridge learns the echo's MAC after the first broadcast; both ends close and nothing leaks
 * ({@link RunOutcome}'s leak check).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetpingRunTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}-byte frames")
    @ValueSource(ints = {60, 1514, 2049, 4096, 4097, 9000, 65535})
    @DisplayName("frames cross netfront, netback and the bridge both ways, byte for byte; over a page by RX scatter-gather")
    void shouldExchangeFrames(int size) throws IOException {
        Path echo = dir.resolve("echo.cfg");
        Files.writeString(echo, "name='echo'\nkernel='netping'\nmemory=8\ncmdline='role=echo'\nvif=[ 'bridge=xenbr0' ]\n");
        Path ping = dir.resolve("ping.cfg");
        Files.writeString(ping, "name='ping'\nkernel='netping'\nmemory=8\ncmdline='role=ping count=50 size=" + size
                + "'\nvif=[ 'mac=00:16:3e:aa:bb:01, bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of(echo.toString(), ping.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[ping] netping: pinging as 00:16:3e:aa:bb:01")
                .contains("[echo] netping: echoing as 00:16:3e:00:01:00")
                .containsPattern("\\[ping\\] netping: 50 replies from 00:16:3e:00:01:00, \\d+ resent; .*; "
                        // netfront's TX fragments are half pages: a frame over 2048 bytes goes over two slots (feature-sg)
                        + (size > 2048 ? "(5[0-9]|[6-9][0-9]|1[0-9][0-9])" : "0") + " frames sent over several slots, "
                        // RX scatter-gather: an answer over a page comes over several RX buffers
                        + (size > 4096 ? "(5[0-9]|[6-9][0-9]|1[0-9][0-9])" : "0") + " received over several")
                .contains("[echo] netping: echoed ")
                .contains("[Domain-0] netback: vif1.0: on bridge xenbr0; Connected (1 queue, split event channels,"
                        + " checksum offload, RX scatter-gather)")
                .containsPattern("(?m)^echo\\s+1 poweroff").containsPattern("(?m)^ping\\s+2 poweroff");
    }

    @ParameterizedTest(name = "{0}-byte frames")
    @ValueSource(ints = {60, 1514, 4096, 9000})
    @DisplayName("TX by grant map (xen_netback.tx_map=1): the same frames, every map undone")
    void shouldExchangeFramesWithTxByMap(int size) throws IOException {
        Path echo = dir.resolve("echo.cfg");
        Files.writeString(echo, "name='echo'\nkernel='netping'\nmemory=8\ncmdline='role=echo'\nvif=[ 'bridge=xenbr0' ]\n");
        Path ping = dir.resolve("ping.cfg");
        Files.writeString(ping, "name='ping'\nkernel='netping'\nmemory=8\ncmdline='role=ping count=50 size=" + size
                + "'\nvif=[ 'mac=00:16:3e:aa:bb:01, bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of("--dom0-cmdline=xen_netback.tx_map=1", echo.toString(), ping.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).containsPattern("\\[ping\\] netping: 50 replies from 00:16:3e:00:01:00")
                .contains("[Domain-0] netback: vif1.0: on bridge xenbr0; Connected (1 queue, TX by grant map")
                .containsPattern("(?m)^echo\\s+1 poweroff").containsPattern("(?m)^ping\\s+2 poweroff");
        // every slot mapped was unmapped, in batches; one-slot frames were switched where they were mapped
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "netback: vif2\\.0: .*TX by map: (\\d+) slots mapped, (\\d+) unmapped, in (\\d+) and (\\d+) calls,"
                        + " (\\d+) frames switched in place").matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        long mapped = Long.parseLong(m.group(1));
        assertThat(Long.parseLong(m.group(2))).isEqualTo(mapped);
        assertThat(mapped).isGreaterThanOrEqualTo(size > 2048 ? 100 : 50);
        assertThat(Long.parseLong(m.group(3))).isPositive().isLessThanOrEqualTo(mapped);
        assertThat(Long.parseLong(m.group(4))).isEqualTo(Long.parseLong(m.group(3)));
        assertThat(Long.parseLong(m.group(5))).isGreaterThanOrEqualTo(size > 2048 ? 0 : 50);
    }

    @Test
    @DisplayName("a front end that declines feature-sg still works: frames over one buffer for it are dropped and counted")
    void shouldServeAFrontEndWithoutScatterGather() throws IOException {
        Path echo = dir.resolve("echo.cfg");
        Files.writeString(echo, "name='echo'\nkernel='netping'\nmemory=8\ncmdline='role=echo peers=2'\n"
                + "vif=[ 'bridge=xenbr0' ]\n");
        Path big = dir.resolve("big.cfg");
        Files.writeString(big, "name='big'\nkernel='netping'\nmemory=8\ncmdline='role=ping count=30 size=9000'\n"
                + "vif=[ 'bridge=xenbr0' ]\n");
        Path small = dir.resolve("small.cfg");
        Files.writeString(small, "name='small'\nkernel='netping'\nmemory=8\ncmdline='role=ping count=30 size=1514 sg=0'\n"
                + "vif=[ 'bridge=xenbr0' ]\n");

        RunOutcome o = RunOutcome.of(echo.toString(), big.toString(), small.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[small] netping: pinging as 00:16:3e:00:03:00 (no scatter-gather: frames of at most"
                + " 4096 bytes)")
                .containsPattern("\\[big\\] netping: 30 replies from 00:16:3e:00:01:00")
                .containsPattern("\\[small\\] netping: 30 replies from 00:16:3e:00:01:00")
                .contains("netback: vif3.0: on bridge xenbr0; Connected (1 queue, split event channels, checksum offload,"
                        + " no RX scatter-gather)")
                // the big pinger's first frames are broadcast until it learns the echo: flooded to small, too big for it
                .containsPattern("netback: vif3\\.0: \\d+ frames sent, \\d+ received, \\d+ dropped \\(no buffer\\),"
                        + " [1-9]\\d* dropped \\(over its buffer\\)")
                .containsPattern("(?m)^echo\\s+1 poweroff").containsPattern("(?m)^big\\s+2 poweroff")
                .containsPattern("(?m)^small\\s+3 poweroff");
    }
}
