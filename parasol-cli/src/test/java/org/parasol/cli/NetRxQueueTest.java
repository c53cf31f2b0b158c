package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * netback's RX queue against a front end that stops reading (netping {@code role=deaf}: it
 * posts its ring of RX buffers once and never again) while a flooder sends 4000 frames the
 * bridge floods to every port, beside a netping pair: the deaf vif's frames wait in its RX
 * queue (never more than its 128 KiB of dom0 pages), the rest are dropped (queue full) and
 * counted, the queued ones expire after {@code xen_netback.rx_drain_timeout_msecs}, the pair's
 * pings all come back, and the queue's dom0 pages are all given back when the deaf domain goes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetRxQueueTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "dom0 on {0} vCPU(s)")
    @ValueSource(ints = {1, 3})
    @DisplayName("a front end that stops posting RX buffers: its frames queued within the bound, then dropped (queue full) and expired (drain timeout), all counted; its pages given back; the pair beside it goes on")
    void shouldQueueBoundedAndExpireForADeafFrontEnd(int dom0Vcpus) throws IOException {
        Path deaf = NetGuestCfg.write(dir, "deaf", "netping", "role=deaf time=4000");
        Path flood = NetGuestCfg.write(dir, "flood", "netping", "role=flood frames=4000 delay=1000");
        Path echo = NetGuestCfg.write(dir, "echo", "netping", "role=echo");
        Path ping = NetGuestCfg.write(dir, "ping", "netping", "role=ping count=3000");

        RunOutcome o = RunOutcome.of("--dom0-vcpus", Integer.toString(dom0Vcpus), "--dom0-cmdline=xen_netback.rx_drain_timeout_msecs=300", deaf.toString(),
                flood.toString(), echo.toString(), ping.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[flood] netping: flooded 4000 frames")
                .containsPattern("\\[deaf\\] netping: deaf for 4000 ms; \\d+ frames read")
                .containsPattern("\\[ping\\] netping: 3000 replies from ");
        Matcher m = Pattern.compile("netback: vif1\\.0: \\d+ frames sent, (\\d+) received, \\d+ dropped \\(no buffer\\), "
                + "(?:hand-off from other vCPUs: [^;]*; )?RX queue: (\\d+) frames waited for buffers \\(at most (\\d+) of 131072 bytes held\\), (\\d+) dropped \\(queue full\\), "
                + "(\\d+) expired \\(over 300 ms\\), (\\d+) dropped on disconnect, (\\d+) dom0 pages taken and (\\d+) given back; ")
                .matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        long received = Long.parseLong(m.group(1));
        long queued = Long.parseLong(m.group(2));
        long peak = Long.parseLong(m.group(3));
        long full = Long.parseLong(m.group(4));
        long expired = Long.parseLong(m.group(5));
        long cleared = Long.parseLong(m.group(6));
        // The deaf front end posted one ring of buffers (256), plus one again for each frame it
        // read before it went deaf (a broadcast can reach it between its connecting and its
        // stopping): frames past them waited, and never more than the queue's bound of bytes;
        // past the bound they were dropped.
        Matcher read = Pattern.compile("\\[deaf\\] netping: deaf for 4000 ms; (\\d+) frames read").matcher(o.out());
        assertThat(read.find()).as(o.out()).isTrue();
        assertThat(received).as(o.out()).isLessThanOrEqualTo(256 + Long.parseLong(read.group(1)));
        assertThat(queued).isPositive();
        assertThat(peak).isPositive().isLessThanOrEqualTo(131072);
        assertThat(full).as("frames refused by the full queue").isPositive();
        // Nobody ever posted a buffer again: every frame queued expired (or was dropped when the
        // vif went, had it gone within the timeout of the last).
        assertThat(expired).isPositive();
        if (dom0Vcpus == 1) {
            assertThat(expired + cleared).isEqualTo(queued);
        } else {
            // With dom0 on several vCPUs a frame from a queue on another vCPU comes through the RX
            // queue even while buffers are posted: the queued ones not expired or dropped were received.
            assertThat(expired + cleared).isLessThanOrEqualTo(queued);
            assertThat(queued - expired - cleared).isLessThanOrEqualTo(received);
        }
        assertThat(m.group(7)).isEqualTo("32");
        assertThat(m.group(8)).isEqualTo("32");
        assertThat(o.out()).containsPattern("(?m)^deaf\\s+1 poweroff").containsPattern("(?m)^ping\\s+4 poweroff");
    }

}
