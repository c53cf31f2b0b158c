package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multiple queues and split event channels end to end: netbench's source connects its vif with
 * two queues (keys under {@code queue-0/} and {@code queue-1/}, {@code multi-queue-num-queues}
 * 2) and streams one flow per queue; the sink takes one queue (flat keys) and still gets every
 * flow. netback's closing line counts each queue's frames: both queues carried some.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetMultiQueueTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a front end asking for 2 of the 4 queues netback offers (multi-queue-num-queues, queue-N/tx-ring-ref, "
            + "event-channel-tx/-rx) gets both used; one that asks for none keeps the flat keys on the same bridge")
    void shouldCarryFramesOnEveryQueue() throws IOException {
        Path sink = NetGuestCfg.write(dir, "sink", "netbench", "role=sink queues=1");
        Path source = NetGuestCfg.write(dir, "source", "netbench", "role=source queues=2 sizes=1514,64 warmup=100 time=300 rounds=100 gap=10");

        RunOutcome o = RunOutcome.of(sink.toString(), source.toString());

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[sink] netbench: sink as 00:16:3e:00:01:00 (netfront), 1 queue, split event channels")
                .contains("[source] netbench: source as 00:16:3e:00:02:00 (netfront), 2 queues, split event channels")
                .contains("netback: vif1.0: on bridge xenbr0; Connected (1 queue, split event channels, checksum offload, RX scatter-gather)")
                .contains("netback: vif2.0: on bridge xenbr0; Connected (2 queues, split event channels, checksum offload, RX scatter-gather)")
                .containsPattern("\\[source\\] netbench: result mode=stream size=1514 frames=[1-9]")
                .containsPattern("\\[source\\] netbench: result mode=rr size=64 rounds=100 ");
        Matcher m = Pattern.compile("netback: vif2\\.0: .*frames sent/received per queue: (\\d+)/(\\d+), (\\d+)/(\\d+)\\)")
                .matcher(o.out());
        assertThat(m.find()).as(o.out()).isTrue();
        assertThat(Long.parseLong(m.group(1))).as("queue 0's TX frames").isGreaterThan(100);
        assertThat(Long.parseLong(m.group(3))).as("queue 1's TX frames").isGreaterThan(100);
    }

}
