package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Issue 17: a 4 GiB domain that touches ten pages costs the host what it touched. Counted,
 * not timed: frames the host backs ({@code mincore}), chunks of frame state, pages of the M2P
 * table and of the P2M list written, before, during and after the domain. The CPU time of its
 * build and destroy is {@code parasol bench --large}'s.
 */
class LargeDomainCostTest {
    private static final long GIB = 1L << 30;

    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    @Test
    @DisplayName("a 4 GiB PV domain touching ten pages: the host backs what it touched (the ten, the P2M page and M2P page it read, the start-of-day pages), and nothing after destroy")
    void shouldBuildAndDestroyA4GiBDomainInProportionToWhatItTouched() throws Exception {
        long nrPages = 4 * GIB / MachineMemory.PAGE_SIZE;
        try (Hypervisor hv = leaks.track(Hypervisor.boot(HostConfig.defaults(4 * GIB + (64L << 20)).withPcpus(1)))) {
            FrameTable frames = hv.frames();
            long residentAtBoot = hv.machine().residentFrames();
            assertThat(residentAtBoot).as("mincore available").isNotNegative();
            int chunksAtBoot = frames.chunks();
            int detailedAtBoot = frames.detailedChunks();
            int blocksAtBoot = frames.detailedBlocks();
            int m2pAtBoot = frames.machphysPagesWritten();

            BareGuest g = BareGuest.create(hv, "big", 4L << 20);
            long p2mFrames = nrPages / FrameTable.M2P_ENTRIES_PER_FRAME;
            for (int i = 0; i < 10; i++) {
                g.mem.putLong(g.scratch2 + 4096L * (i + 1), 0x5A5A_0000L + i);
            }
            // The guest reads the M2P entry of one of its frames through the read-only table:
            // one page of the table gets written, the one it read.
            long mfn = g.mem.getLong(org.parasol.hypercall.StartOfDay.VIRT_BASE); // start_info.mfn_list[0] is the P2M list's first word
            long m2pEntry = g.mem.getLong(Mmu.MACH2PHYS_VIRT_START + 8 * mfn);
            assertThat(m2pEntry).as("M2P[P2M[0]]").isZero();
            assertThat(frames.machphysPagesWritten() - m2pAtBoot).as("M2P pages written: the one read").isEqualTo(1);

            long resident = hv.machine().residentFrames() - residentAtBoot;
            // What it touched: the ten pages, the one page of its P2M list it read (the list,
            // start_info.mfn_list, is written a page at a time when first read: deviation 38),
            // start_info, the page tables, shared_info and the M2P page read. Not the list's
            // other 2,047 pages (8 MiB when the builder wrote them all).
            assertThat(resident).as("frames the host backs for the domain").isBetween(10L + 1, 48L);
            assertThat(frames.p2mPagesUnwritten()).as("pages of the P2M list nobody read").isEqualTo(p2mFrames - 1);
            assertThat(frames.chunks() - chunksAtBoot).as("a chunk of state per 2 MiB it owns (uniform: one small object)")
                    .isBetween((int) (nrPages / 512), (int) (nrPages / 512) + 2);
            assertThat(frames.detailedChunks() - detailedAtBoot).as("per-frame arrays only where frames were referenced or typed: the mapped start of day")
                    .isLessThanOrEqualTo((int) (p2mFrames / 512) + 2);
            // The start of day maps the P2M list's 2,048 frames, start_info, the special pages,
            // the page tables and padding to the next 4 MiB: the data pages stay "mapped at
            // start of day" a block of 64 at a time; arrays only where the page tables and
            // start_info are, where the guest wrote its ten pages, and a block of the shared pages.
            assertThat(frames.detailedBlocks() - blocksAtBoot).as("blocks of 64 frames with per-frame arrays")
                    .isLessThanOrEqualTo(4);

            assertThat(hv.destroy(g.domain)).isTrue();
            assertThat(frames.ownedBy(g.domain.domid())).isZero();
            assertThat(frames.chunks()).as("its chunks are gone").isLessThanOrEqualTo(chunksAtBoot + 1);
            assertThat(hv.machine().residentFrames() - residentAtBoot)
                    .as("after destroy the host backs only the M2P page the guest read").isLessThanOrEqualTo(1);
            assertThat(frames.m2p(mfn)).isEqualTo(FrameTable.INVALID_M2P_ENTRY);
            assertThat(frames.p2mPagesUnwritten()).as("the unread pages went unwritten").isZero();
        }
    }
}
