package org.parasol.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypervisor.domain.Virtualization;

/**
 * The lab's device rows at a tiny size: dom0 builds the block and network benchmarks' own
 * guests with {@code virt=}, and each configuration gives every result. The figures are the
 * bench's to report, not this test's to judge.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LabDevicesTest {

    @Test
    @DisplayName("the device rows: blkbench and netbench boot bare and trapped through dom0's virt= key, and each"
            + " gives its block tests and network runs; the trapped guests take VM exits, the bare ones none")
    void shouldRunTheBlockAndNetworkGuestsPerConfiguration() throws Exception {
        LabDevices.Sizes tiny = new LabDevices.Sizes(new BlockFigures.Sizes(16, 100, 100, 0),
                new NetFigures.Sizes(100, 100, 100, 0), false);
        LabDevices.Result r = LabDevices.run(tiny, List.of(Virtualization.BARE, Virtualization.TRAP));
        assertThat(r.block()).extracting(LabDevices.BlockRow::failure).containsOnlyNulls();
        assertThat(r.net()).extracting(LabDevices.NetRow::failure).containsOnlyNulls();
        for (LabDevices.BlockRow b : r.block()) {
            assertThat(b.runs()).as(b.virt().key()).hasSize(LabDevices.BLOCK_TESTS.size());
            long exits = b.runs().stream().mapToLong(BlockFigures.Run::guestExits).sum();
            if (b.virt() == Virtualization.TRAP) {
                assertThat(exits).as("a trapped blkbench's exits in its timed phases").isPositive();
            } else {
                assertThat(exits).as("bare takes no exit").isZero();
            }
        }
        for (LabDevices.NetRow n : r.net()) {
            assertThat(n.runs()).as(n.virt().key()).hasSize(2 * NetFigures.SIZES.length);
        }
        String table = LabDevices.table(r);
        assertThat(table).containsPattern("sequential 64 KiB read, QD8 +\\| bare \\| +[\\d.]+ \\| +\\d+ \\| +1\\.00x")
                .containsPattern("random 4 KiB read, QD32 +\\| trap \\| +[\\d.]+ \\| +\\d+ \\|")
                .containsPattern("round trip, 64-byte frames +\\| trap \\|");
    }
}
