package org.parasol.drivers.blk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** dom0's {@code xen_blkback.*} options, in Linux's module-parameter spelling. */
class BlkBackendOptionsTest {
    @Test
    void shouldDefaultToEveryFeatureAndSixtyFourKibBatches() {
        assertThat(BlkBackend.Options.parse("console=hvc0")).isEqualTo(BlkBackend.Options.DEFAULTS)
                .isEqualTo(new BlkBackend.Options(true, true, 64, 65536, 0));
    }

    @Test
    void shouldReadEachOption() {
        assertThat(BlkBackend.Options.parse(" xen_blkback.feature_persistent=0 xen_blkback.grant_io=0 "
                + " xen_blkback.grant_io_batch=8  xen_blkback.grant_io_batch_bytes=4096"
                + " xen_blkback.grant_io_async_bytes=32768"))
                .isEqualTo(new BlkBackend.Options(false, false, 8, 4096, 32768));
    }

    @Test
    void shouldRefuseABatchCutOutOfRange() {
        for (String bad : new String[] {"0", "65", "-1", "eight", "", "+8", "99999999999999999999"}) {
            assertThatThrownBy(() -> BlkBackend.Options.parse("xen_blkback.grant_io_batch=" + bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("xen_blkback.grant_io_batch is 1..64");
        }
        for (String bad : new String[] {"511", "1048577", "64K", ""}) {
            assertThatThrownBy(() -> BlkBackend.Options.parse("xen_blkback.grant_io_batch_bytes=" + bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("xen_blkback.grant_io_batch_bytes is 512..1048576");
        }
        for (String bad : new String[] {"-1", "1048577", "32K", ""}) {
            assertThatThrownBy(() -> BlkBackend.Options.parse("xen_blkback.grant_io_async_bytes=" + bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("xen_blkback.grant_io_async_bytes is 0..1048576");
        }
        assertThatThrownBy(() -> BlkBackend.Options.parse("xen_blkback.grant_io=2")).hasMessageContaining("0 or 1");
    }
}
