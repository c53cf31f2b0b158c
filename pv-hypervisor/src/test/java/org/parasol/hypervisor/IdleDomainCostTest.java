package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Issue 17: an idle domain holds about 20 kB of hypervisor state. Counted, not timed, and not
 * read off the live heap (which a JDK cache released between two readings outweighs): the
 * blocks of per-frame arrays the frame table made for the domains, each
 * {@link FrameTable#BLOCK_BYTES} of heap.
 */
class IdleDomainCostTest {
    private static final int DOMAINS = 64;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    @DisplayName("an idle 2 MiB domain, every frame mapped at start of day, keeps per-frame arrays only for the block of its page tables"
            + " and its share of the blocks of hypervisor pages shared with it")
    void shouldKeepAnIdleDomainsFrameStateToOneBlock() throws Exception {
        try (Hypervisor hv = leaks.track(Hypervisor.boot(HostConfig.defaults((DOMAINS + 16L) * (2L << 20) + (64L << 20)).withPcpus(1)))) {
            FrameTable frames = hv.frames();
            int blocksAtBoot = frames.detailedBlocks();
            List<Domain> domains = new ArrayList<>();
            for (int i = 0; i < DOMAINS; i++) {
                domains.add(hv.createBareDomain(DomainConfig.of("idle" + i, null, 2).withMemoryKiB(2048)));
            }
            int blocks = frames.detailedBlocks() - blocksAtBoot;
            // One block (the P2M list, start_info, the store and console pages, the page tables)
            // per domain; its hypervisor pages (shared_info, grant frames) are single frames that
            // share blocks of 64 with other domains'.
            assertThat(blocks).as("blocks of per-frame arrays for %d idle domains", DOMAINS)
                    .isLessThanOrEqualTo(DOMAINS + DOMAINS * 4 / FrameTable.BLOCK_FRAMES + 2);
            assertThat(blocks * FrameTable.BLOCK_BYTES / DOMAINS).as("bytes of per-frame arrays per idle domain")
                    .isLessThan(2_600);
            for (Domain d : domains) {
                assertThat(hv.destroy(d)).isTrue();
            }
            assertThat(frames.detailedBlocks()).as("their blocks go with them").isLessThanOrEqualTo(blocksAtBoot + 1);
        }
    }
}
