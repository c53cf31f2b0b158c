package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;

/**
 * A domain costs what it touches: the frame table holds state only for the 2 MiB chunks
 * frames are allocated from, the free pool hands out naturally aligned extents, and a large
 * domain that touches few pages makes the host back few pages, before and after it is
 * destroyed. Host memory is counted by the kernel ({@code mincore}), not by the frame table.
 */
class SparseFrameTableTest {
    private static final long GIB = 1L << 30;
    private static final long FRAMES_PER_GIB = GIB >>> MachineMemory.PAGE_SHIFT;

    @Test
    @DisplayName("4 GiB of machine memory costs no per-frame state until frames are allocated")
    void shouldHoldNoFrameStateForMemoryNobodyAllocated() {
        try (MachineMemory memory = MachineMemory.create(4 * GIB)) {
            FrameTable frames = new FrameTable(memory);
            frames.reserveMachphysTable();
            // MFN 0 and the M2P table's own 2048 frames: five chunks of 512.
            assertThat(frames.chunks()).isEqualTo(5);
            assertThat(frames.owner(3 * FRAMES_PER_GIB)).isEqualTo(DomId.DOMID_INVALID);
            assertThat(frames.refCount(3 * FRAMES_PER_GIB)).isZero();
            assertThat(frames.m2p(3 * FRAMES_PER_GIB)).isEqualTo(FrameTable.INVALID_M2P_ENTRY);
            assertThat(frames.getPage(3 * FRAMES_PER_GIB, 1)).isFalse();
            long resident = memory.residentFrames();
            assertThat(resident).as("mincore available").isNotNegative();
            assertThat(resident).as("only the M2P pages of those chunks are written").isLessThanOrEqualTo(8);
        }
    }

    @Test
    @DisplayName("alloc_domheap_pages(order 9): 512 frames, machine-contiguous and aligned, each owned with one reference")
    void shouldAllocateAlignedExtents() {
        try (TestHost host = new TestHost(64L << 20)) {
            FrameTable frames = host.frames;
            DomainPages d1 = new DomainPages(1, 1200);
            long single = frames.allocate(d1);
            long extent = frames.allocateExtent(d1, 9);
            assertThat(extent % 512).isZero();
            assertThat(extent).isGreaterThan(single);
            for (long mfn = extent; mfn < extent + 512; mfn++) {
                assertThat(frames.owner(mfn)).isEqualTo(1);
                assertThat(frames.refCount(mfn)).isEqualTo(1);
                assertThat(frames.typeInfo(mfn)).isZero();
            }
            assertThat(d1.totPages()).isEqualTo(513);
            assertThat(frames.allocateExtent(d1, 10)).as("max_pages would be passed: nothing taken").isEqualTo(-1);
            assertThat(d1.totPages()).isEqualTo(513);
            assertThatThrownBy(() -> frames.allocateExtent(d1, FrameTable.MAX_ORDER + 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(frames.releaseDomain(d1)).isZero();
            assertThat(d1.totPages()).isZero();
        }
    }

    @Test
    @DisplayName("no aligned run of 2^order free frames left: the extent is refused, single frames still go")
    void shouldRefuseAnExtentWhenNoAlignedRunIsFree() {
        try (TestHost host = new TestHost(4L << 20)) { // 1024 frames: runs at 0 and 512
            FrameTable frames = host.frames;
            DomainPages d1 = new DomainPages(1, 4096);
            long a = frames.allocateExtent(d1, 9);
            assertThat(a).isEqualTo(512); // MFN 0 is the hypervisor's: the run at 0 is not whole
            assertThat(frames.allocateExtent(d1, 9)).isEqualTo(-1);
            assertThat(frames.allocateExtent(d1, 8)).isEqualTo(256);
            assertThat(frames.allocate(d1)).isEqualTo(1);
            frames.releaseDomain(d1);
            assertThat(frames.freeFrames()).isEqualTo(1023);
        }
    }

    @Test
    @DisplayName("an untouched 2 MiB extent is uniform until a frame of it is typed or freed; the rest keep their state")
    void shouldKeepAnExtentUniformUntilAFrameOfItIsTouched() {
        try (TestHost host = new TestHost(64L << 20)) {
            FrameTable frames = host.frames;
            DomainPages d1 = new DomainPages(1, 1024);
            int before = frames.detailedChunks();
            long mfn = frames.allocateExtent(d1, 9);
            frames.setM2pRun(mfn, 1000, 512);
            assertThat(frames.detailedChunks()).isEqualTo(before);
            assertThat(frames.m2p(mfn + 7)).isEqualTo(1007);
            assertThat(frames.refCount(mfn + 7)).isEqualTo(1);
            assertThat(frames.mayMap(1, mfn + 511)).isTrue();
            assertThat(frames.getPageType(mfn + 3, FrameTable.PGT_WRITABLE_PAGE)).isTrue();
            assertThat(frames.detailedChunks()).as("a type makes the chunk's arrays").isEqualTo(before + 1);
            assertThat(frames.m2p(mfn + 7)).isEqualTo(1007);
            assertThat(FrameTable.pageType(frames.typeInfo(mfn + 3))).isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
            frames.putPageType(mfn + 3);
            assertThat(frames.putPageAllocRef(mfn + 8)).isTrue();
            assertThat(frames.owner(mfn + 8)).isEqualTo(DomId.DOMID_INVALID);
            assertThat(frames.m2p(mfn + 8)).isEqualTo(FrameTable.INVALID_M2P_ENTRY);
            assertThat(d1.totPages()).isEqualTo(511);
            assertThat(frames.releaseDomain(d1)).isZero();
            assertThat(d1.totPages()).isZero();
            assertThat(frames.detailedChunks()).isEqualTo(before);
        }
    }

    @Test
    @DisplayName("the start-of-day mapping of an extent's data pages keeps whole blocks uniform, with the references and types get_page and get_page_type(PGT_writable_page) would leave, exact when a frame departs")
    void shouldMapWholeBlocksAtStartOfDayWithoutPerFrameArrays() {
        try (TestHost host = new TestHost(64L << 20)) {
            FrameTable frames = host.frames;
            DomainPages d1 = new DomainPages(1, 1024);
            DomainPages d2 = new DomainPages(2, 1024);
            int blocksBefore = frames.detailedBlocks();
            long mfn = frames.allocateExtent(d1, 9);
            frames.setM2pRun(mfn, 0, 512);
            assertThat(frames.getPagesWritable(mfn, 512, 2)).as("another domain's frames").isFalse();
            assertThat(frames.refCount(mfn)).isEqualTo(1);
            // A frame typed first (a page table) breaks its block; the rest go a block at a time.
            assertThat(frames.getPageType(mfn + 5, FrameTable.PGT_L1_PAGE_TABLE)).isTrue();
            assertThat(frames.getPagesWritable(mfn, 5, 1)).isTrue();
            assertThat(frames.getPagesWritable(mfn + 6, 512 - 6, 1)).isTrue();
            assertThat(frames.detailedBlocks() - blocksBefore).as("arrays only for the block with the table").isEqualTo(1);
            for (long m : new long[] {mfn, mfn + 4, mfn + 6, mfn + 64, mfn + 300, mfn + 511}) {
                assertThat(frames.refCount(m)).as("mfn+%d: allocation and mapping references", m - mfn).isEqualTo(2);
                long ti = frames.typeInfo(m);
                assertThat(FrameTable.pageType(ti)).isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
                assertThat(FrameTable.typeCount(ti)).isEqualTo(1);
                assertThat(FrameTable.isValidated(ti)).isTrue();
                assertThat(frames.m2p(m)).isEqualTo(m - mfn);
            }
            assertThat(frames.refCount(mfn + 5)).isEqualTo(1);
            // The rule that keeps a page table from being mapped writable holds in a uniform block.
            assertThat(frames.getPageType(mfn + 300, FrameTable.PGT_L1_PAGE_TABLE)).isFalse();
            assertThat(frames.detailedBlocks() - blocksBefore).isEqualTo(1);
            frames.putPageType(mfn + 300);
            assertThat(frames.detailedBlocks() - blocksBefore).as("a frame that departs makes its block's arrays").isEqualTo(2);
            assertThat(frames.getPageType(mfn + 300, FrameTable.PGT_L1_PAGE_TABLE)).isTrue();
            assertThat(FrameTable.typeCount(frames.typeInfo(mfn + 301))).isEqualTo(1);
            frames.putPageType(mfn + 300);
            assertThat(frames.getPage(mfn + 64, 2)).as("another domain's reference").isFalse();
            assertThat(frames.releaseDomain(d1)).as("the mappings' references are the domain's to drop").isEqualTo(511);
            assertThat(frames.releaseDomain(d2)).isZero();
        }
    }

    @Test
    @DisplayName("releasing one domain steps over another's untouched extents and leaves them whole")
    void shouldLeaveAnotherDomainsExtentsAlone() {
        try (TestHost host = new TestHost(64L << 20)) {
            FrameTable frames = host.frames;
            long free = frames.freeFrames();
            DomainPages d1 = new DomainPages(1, 4096);
            DomainPages d2 = new DomainPages(2, 4096);
            long[] mine = new long[4];
            long[] theirs = new long[4];
            for (int i = 0; i < 4; i++) {
                mine[i] = frames.allocateExtent(d1, 9);
                theirs[i] = frames.allocateExtent(d2, 9);
                frames.setM2pRun(theirs[i], 512L * i, 512);
            }
            long d1Single = frames.allocate(d1);
            assertThat(frames.releaseDomain(d1)).isZero();
            assertThat(frames.ownedBy(1)).isZero();
            assertThat(frames.owner(d1Single)).isEqualTo(DomId.DOMID_INVALID);
            for (int i = 0; i < 4; i++) {
                assertThat(frames.owner(mine[i] + 100)).isEqualTo(DomId.DOMID_INVALID);
                assertThat(frames.owner(theirs[i] + 100)).isEqualTo(2);
                assertThat(frames.m2p(theirs[i] + 100)).isEqualTo(512 * i + 100);
                assertThat(frames.refCount(theirs[i] + 511)).isEqualTo(1);
            }
            assertThat(d2.totPages()).isEqualTo(2048);
            assertThat(frames.releaseDomain(d2)).isZero();
            assertThat(frames.freeFrames()).isEqualTo(free);
        }
    }

    @Test
    @DisplayName("the domctl build reads a P2M back from uniform extents and single frames alike, and refuses one PFN twice")
    void shouldReadTheP2mBackFromUniformExtents() {
        try (TestHost host = new TestHost(64L << 20)) {
            FrameTable frames = host.frames;
            DomainPages d1 = new DomainPages(1, 2048);
            long a = frames.allocateExtent(d1, 9);
            long b = frames.allocateExtent(d1, 9);
            long single = frames.allocate(d1);
            frames.setM2pRun(b, 0, 512); // the second extent holds PFNs 0..511
            frames.setM2pRun(a, 512, 512);
            frames.setM2p(single, 1024);
            long[] p2m = BootstrapBuilder.populatedP2m(frames, d1);
            assertThat(p2m).hasSize(1025);
            assertThat(p2m[0]).isEqualTo(b);
            assertThat(p2m[511]).isEqualTo(b + 511);
            assertThat(p2m[512]).isEqualTo(a);
            assertThat(p2m[1024]).isEqualTo(single);
            frames.setM2p(single, 3); // PFN 3 twice
            assertThat(BootstrapBuilder.populatedP2m(frames, d1)).isNull();
            frames.setM2p(single, 1024);
            assertThat(frames.getPage(a + 5, 1)).isTrue(); // not fresh any more
            assertThat(BootstrapBuilder.populatedP2m(frames, d1)).isNull();
            frames.putPage(a + 5);
            assertThat(frames.releaseDomain(d1)).isZero();
        }
    }

    @Test
    @DisplayName("a release racing get_page on untouched extents: each frame is freed exactly once, after its last reference")
    void shouldFreeEveryFrameOnceWhenReleaseRacesGetPage() throws Exception {
        for (int round = 0; round < 20; round++) {
            try (TestHost host = new TestHost(64L << 20)) {
                FrameTable frames = host.frames;
                long free = frames.freeFrames();
                DomainPages d1 = new DomainPages(1, 8192);
                long[] extents = new long[8];
                for (int i = 0; i < extents.length; i++) {
                    extents[i] = frames.allocateExtent(d1, 9);
                }
                java.util.List<Long> held = new java.util.ArrayList<>();
                Thread mapper = new Thread(() -> {
                    for (long e : extents) {
                        for (long m = e; m < e + 512; m += 97) {
                            if (frames.getPage(m, 1)) {
                                held.add(m);
                            }
                        }
                    }
                });
                mapper.start();
                long still = frames.releaseDomain(d1);
                mapper.join();
                // References taken before the release took their chunk keep those frames (owned,
                // charged) until they go; those taken after failed.
                long owned = frames.ownedBy(1);
                assertThat(owned).isEqualTo(held.size()).isGreaterThanOrEqualTo(still);
                assertThat(d1.totPages()).isEqualTo(held.size());
                for (long m : held) {
                    frames.putPage(m);
                }
                assertThat(frames.ownedBy(1)).isZero();
                assertThat(d1.totPages()).isZero();
                assertThat(frames.freeFrames()).isEqualTo(free);
            }
        }
    }

    @Test
    @DisplayName("a 4 GiB domain that touches ten pages: built and destroyed, the host backs its P2M list and little else")
    void shouldCostWhatALargeDomainTouches() {
        long nrPages = 4 * FRAMES_PER_GIB;
        try (TestHost host = new TestHost(4 * GIB + (64L << 20))) {
            FrameTable frames = host.frames;
            frames.reserveMachphysTable();
            long residentAtBoot = host.memory.residentFrames();
            assertThat(residentAtBoot).as("mincore available").isNotNegative();
            int chunksAtBoot = frames.chunks();
            int detailedAtBoot = frames.detailedChunks();

            TestHost.Domain d = host.domain(1, nrPages);
            for (int i = 0; i < 10; i++) {
                long va = d.layout().freeVa() + (long) i * MachineMemory.PAGE_SIZE;
                d.mmu().putLong(va, 0x5A5A_0000L + i);
            }
            long p2mFrames = nrPages / 512;
            long m2pPages = nrPages / 512;
            long touched = host.memory.residentFrames() - residentAtBoot;
            // The P2M list (start_info.mfn_list, 8 bytes a page) and the M2P entries of the
            // domain's frames are ABI: the rest is the start-of-day pages and the ten.
            assertThat(touched).as("frames the host backs for the domain")
                    .isLessThanOrEqualTo(p2mFrames + m2pPages + d.layout().firstFreePfn() - p2mFrames + 10 + 16);
            // The start-of-day mapping (P2M list, start_info, page tables, padding) holds references.
            assertThat(frames.detailedChunks() - detailedAtBoot).as("per-frame arrays only where frames were referenced or typed")
                    .isLessThanOrEqualTo((int) (d.layout().mappedPages() / FrameTable.CHUNK_FRAMES) + 1);
            assertThat(frames.chunks() - chunksAtBoot).as("a chunk of state per 2 MiB it owns")
                    .isBetween((int) (nrPages / FrameTable.CHUNK_FRAMES), (int) (nrPages / FrameTable.CHUNK_FRAMES) + 1);

            assertThat(frames.releaseDomain(d.pages())).isZero();

            assertThat(frames.ownedBy(1)).isZero();
            assertThat(frames.chunks()).as("the chunks of its frames are gone again").isLessThanOrEqualTo(chunksAtBoot + 1);
            assertThat(host.memory.residentFrames() - residentAtBoot)
                    .as("after destroy the host backs nothing of it").isLessThanOrEqualTo(1);
        }
    }
}
