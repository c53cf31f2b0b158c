package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypervisor.mm.FrameTable.*;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parasol.hypercall.GuestAbort;

class BootstrapBuilderTest {
    private static final long PAGE = 4096;
    private final TestHost host = new TestHost(64L << 20);

    @AfterEach
    void close() {
        host.close();
    }

    @ParameterizedTest(name = "{0} pages")
    @ValueSource(longs = {256, 4096, 8192})
    @DisplayName("the P2M list gives every PFN its MFN and the M2P table maps it back")
    void shouldWriteTheP2mListAndTheM2pTable(long nrPages) {
        TestHost.Domain d = host.domain(1, nrPages);
        BootLayout l = d.layout();
        assertThat(l.nrPages()).isEqualTo(nrPages);
        assertThat(l.p2mVa()).isEqualTo(BootstrapBuilder.VIRT_BASE);
        assertThat(l.nrP2mFrames()).isEqualTo((nrPages * 8 + PAGE - 1) / PAGE);
        assertThat(host.frames.ownedBy(1)).isEqualTo(nrPages);
        assertThat(d.pages().totPages()).isEqualTo(nrPages);
        for (long pfn = 0; pfn < nrPages; pfn++) {
            long mfn = host.mfnOf(d, pfn);
            assertThat(host.frames.owner(mfn)).isEqualTo(1);
            assertThat(host.frames.m2p(mfn)).as("m2p of pfn %d", pfn).isEqualTo((int) pfn);
        }
        // The guest reads its own P2M list through its MMU, too.
        assertThat(d.mmu().getLong(l.p2mVa() + 8 * l.startInfoPfn())).isEqualTo(l.startInfoMfn());
        assertThat(d.mmu().getLong(l.p2mVa() + 8 * l.firstFreePfn() - 8 * l.nrPtFrames())).isEqualTo(l.l4Mfn());
    }

    @Test
    @DisplayName("start of day, 1 MiB: P2M, start_info, L4..L1 from 4 MiB, everything mapped, shared_info left to the guest")
    void shouldLayOutAOneMegabyteDomain() {
        TestHost.Domain d = host.domain(1, 256);
        BootLayout l = d.layout();
        assertThat(l.virtBase()).isEqualTo(0x400000);
        assertThat(l.nrP2mFrames()).isEqualTo(1);
        assertThat(l.startInfoPfn()).isEqualTo(1);
        assertThat(l.startInfoVa()).isEqualTo(0x401000);
        assertThat(l.ptBaseVa()).isEqualTo(0x402000);
        assertThat(l.nrPtFrames()).as("L4, L3, L2, the L1 under shared_info's VA and the region's L1").isEqualTo(5);
        assertThat(l.firstFreePfn()).isEqualTo(7);
        assertThat(l.freeVa()).isEqualTo(0x407000);
        assertThat(l.mappedPages()).as("smaller than the padding: all mapped").isEqualTo(256);
        assertThat(l.mappedEnd()).isEqualTo(0x500000);
        assertThat(l.sharedInfoVa()).isEqualTo(0x200000);
        assertMappedAsLaidOut(d);
    }

    @Test
    @DisplayName("start of day, 16 MiB: mapped up to a 4 MiB boundary with at least 512 KiB free after the tables")
    void shouldLayOutASixteenMegabyteDomain() {
        TestHost.Domain d = host.domain(1, 4096);
        BootLayout l = d.layout();
        assertThat(l.nrP2mFrames()).isEqualTo(8);
        assertThat(l.mappedEnd()).isEqualTo(0x800000);
        assertThat(l.mappedPages()).isEqualTo(1024).isLessThan(l.nrPages());
        assertThat(l.mappedPages() - l.firstFreePfn()).isGreaterThanOrEqualTo(128);
        assertThat(l.nrPtFrames()).as("L4, L3, L2 and 3 L1s (0x400000..0x801000)").isEqualTo(6);
        assertMappedAsLaidOut(d);
        assertThat(d.mmu().translate(l.sharedInfoVa() + PAGE, false)).as("the rest stays unmapped").isEqualTo(-1);
        assertThat(d.mmu().translate(0x1000_0000L, false)).isEqualTo(-1);
    }

    private void assertMappedAsLaidOut(TestHost.Domain d) {
        BootLayout l = d.layout();
        VcpuMmu mmu = d.mmu();
        for (long pfn = 0; pfn < l.mappedPages(); pfn++) {
            long va = l.vaOfPfn(pfn);
            long mfn = host.mfnOf(d, pfn);
            boolean pageTable = pfn >= l.firstFreePfn() - l.nrPtFrames() && pfn < l.firstFreePfn();
            assertThat(mmu.translate(va, false)).as("read pfn %d", pfn).isEqualTo(MachineMemory.maddr(mfn));
            assertThat(mmu.translate(va + 123, true))
                    .as("write pfn %d", pfn).isEqualTo(pageTable ? -1 : MachineMemory.maddr(mfn) + 123);
        }
        assertThat(l.vaOfPfn(l.mappedPages())).isEqualTo(-1);
        assertThat(mmu.translate(l.sharedInfoVa(), false)).as("the guest maps shared_info itself").isEqualTo(-1);
        assertThat(host.frames.memory().isValidMfn(host.l1EntryAddress(d, l.sharedInfoVa()) >>> 12))
                .as("under an L1 table the builder provides").isTrue();
        assertThat(host.mfnOf(d, l.startInfoPfn())).isEqualTo(l.startInfoMfn());
        assertThat(l.ptBaseVa()).isEqualTo(l.vaOfPfn(l.firstFreePfn() - l.nrPtFrames()));
        assertThat(mmu.translate(l.ptBaseVa(), false)).isEqualTo(MachineMemory.maddr(l.l4Mfn()));
        assertThat(mmu.translate(0, false)).as("VA 0 stays unmapped").isEqualTo(-1);
        assertThat(mmu.translate(l.virtBase() - PAGE, false)).isEqualTo(-1);
    }

    @Test
    @DisplayName("a guest can never write its page tables: the write faults with P|W")
    void shouldMapPageTablesReadOnly() {
        TestHost.Domain d = host.domain(1, 4096);
        BootLayout l = d.layout();
        long l4Entry = d.mmu().getLong(l.ptBaseVa());
        assertThat(PageTableEntry.mfn(l4Entry)).as("the L4's first entry names the L3").isNotZero();
        for (long i = 0; i < l.nrPtFrames(); i++) {
            long va = l.ptBaseVa() + i * PAGE + 8 * i;
            assertThatThrownBy(() -> d.mmu().putLong(va, 0)).isInstanceOf(GuestAbort.class);
            assertThat(d.context().faults).last()
                    .isEqualTo(new TestContext.Fault(va, VcpuMmu.PF_PRESENT | VcpuMmu.PF_WRITE));
        }
        assertThat(d.mmu().getLong(l.ptBaseVa())).as("untouched").isEqualTo(l4Entry | PageTableEntry.ACCESSED);
    }

    @Test
    @DisplayName("null pointers and unmapped pages fault as not-present")
    void shouldFaultOnUnmappedAddresses() {
        TestHost.Domain d = host.domain(1, 4096);
        assertThatThrownBy(() -> d.mmu().getInt(0)).isInstanceOf(GuestAbort.class);
        assertThat(d.context().faults).containsExactly(new TestContext.Fault(0, 0));
        long beyond = d.layout().sharedInfoVa() + PAGE;
        assertThatThrownBy(() -> d.mmu().putInt(beyond, 1)).isInstanceOf(GuestAbort.class);
        assertThat(d.context().faults).last().isEqualTo(new TestContext.Fault(beyond, VcpuMmu.PF_WRITE));
    }

    @Test
    @DisplayName("the builder holds what validation would: tables typed and validated, the L4 pinned, mapped pages writable-typed")
    void shouldTypeEveryFrameItMaps() {
        TestHost.Domain d = host.domain(1, 4096);
        BootLayout l = d.layout();
        FrameTable f = host.frames;
        long l4 = f.typeInfo(l.l4Mfn());
        assertThat(pageType(l4)).isEqualTo(PGT_L4_PAGE_TABLE);
        assertThat(isValidated(l4)).isTrue();
        assertThat(isPinned(l4)).isTrue();
        assertThat(typeCount(l4)).isEqualTo(1);
        assertThat(f.refCount(l.l4Mfn())).as("allocation + read-only mapping + pin").isEqualTo(3);
        long firstPt = l.firstFreePfn() - l.nrPtFrames();
        int[] expectTypes = {PGT_L4_PAGE_TABLE, PGT_L3_PAGE_TABLE, PGT_L2_PAGE_TABLE,
                PGT_L1_PAGE_TABLE, PGT_L1_PAGE_TABLE, PGT_L1_PAGE_TABLE};
        for (int i = 0; i < l.nrPtFrames(); i++) {
            long ti = f.typeInfo(host.mfnOf(d, firstPt + i));
            assertThat(pageType(ti)).isEqualTo(expectTypes[i]);
            assertThat(isValidated(ti)).isTrue();
            assertThat(typeCount(ti)).isEqualTo(1);
        }
        long data = host.mfnOf(d, l.firstFreePfn());
        assertThat(pageType(f.typeInfo(data))).isEqualTo(PGT_WRITABLE_PAGE);
        assertThat(typeCount(f.typeInfo(data))).isEqualTo(1);
        assertThat(f.refCount(data)).isEqualTo(2);
        long unmapped = host.mfnOf(d, l.mappedPages());
        assertThat(f.typeInfo(unmapped)).isZero();
        assertThat(f.refCount(unmapped)).isEqualTo(1);
        assertThat(f.typeInfo(l.sharedInfoMfn())).as("shared_info is not mapped by the builder").isZero();
        assertThat(f.getPageType(l.l4Mfn(), PGT_WRITABLE_PAGE)).as("a table cannot become writable").isFalse();
    }

    @Test
    void shouldRefuseADomainTooSmallForItsBootstrapRegion() {
        DomainPages pages = new DomainPages(1, 10);
        long shared = host.frames.allocateShared(1);
        long free = host.frames.freeFrames();
        assertThatThrownBy(() -> BootstrapBuilder.build(host.frames, pages, 6, shared))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap region");
        assertThat(host.frames.freeFrames()).isEqualTo(free);
        assertThat(BootstrapBuilder.build(host.frames, pages, 7, shared).mappedPages()).isEqualTo(7);
    }

    @Test
    void shouldKeepNothingWhenMaxPagesIsTooLow() {
        DomainPages pages = new DomainPages(1, 100);
        long shared = host.frames.allocateShared(1);
        long free = host.frames.freeFrames();
        assertThatThrownBy(() -> BootstrapBuilder.build(host.frames, pages, 256, shared))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("max_pages 100");
        assertThat(host.frames.freeFrames()).isEqualTo(free);
        assertThat(pages.totPages()).isZero();
    }

    @Test
    void shouldRefuseASharedInfoFrameNotSharedWithTheDomain() {
        long sharedWithOther = host.frames.allocateShared(2);
        assertThatThrownBy(() -> BootstrapBuilder.build(host.frames, new DomainPages(1, 300), 256, sharedWithOther))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Frames allocated one by one, their M2P entries set to {@code pfns}: what populate_physmap leaves. */
    private long[] populate(DomainPages pages, long... pfns) {
        long[] mfns = new long[pfns.length];
        for (int i = 0; i < pfns.length; i++) {
            mfns[i] = host.frames.allocate(pages);
            host.frames.setM2p(mfns[i], pfns[i]);
        }
        return mfns;
    }

    @Test
    @DisplayName("populatedP2m reads PFNs 0..n-1 back from the M2P table, in any allocation order")
    void shouldReadThePopulatedP2mBack() {
        DomainPages pages = new DomainPages(1, 8);
        long[] mfns = populate(pages, 2, 0, 3, 1);
        assertThat(BootstrapBuilder.populatedP2m(host.frames, pages)).containsExactly(mfns[1], mfns[3], mfns[0], mfns[2]);
    }

    @Test
    @DisplayName("populatedP2m refuses a hole, a PFN out of range, a repeated PFN and a frame that is not fresh")
    void shouldRefuseMemoryThatIsNotAFreshP2m() {
        DomainPages holes = new DomainPages(1, 8);
        populate(holes, 0, 2);
        assertThat(BootstrapBuilder.populatedP2m(host.frames, holes)).isNull();
        DomainPages twice = new DomainPages(2, 8);
        populate(twice, 0, 0);
        assertThat(BootstrapBuilder.populatedP2m(host.frames, twice)).isNull();
        DomainPages used = new DomainPages(3, 8);
        long[] mfns = populate(used, 0, 1);
        assertThat(host.frames.getPage(mfns[1], 3)).isTrue();
        assertThat(BootstrapBuilder.populatedP2m(host.frames, used)).as("a second reference").isNull();
        assertThat(BootstrapBuilder.populatedP2m(host.frames, new DomainPages(4, 8))).as("no memory").isNull();
    }

    @Test
    @DisplayName("layOut over populated frames gives the layout build gives, on those very frames")
    void shouldLayOutPopulatedFramesAsBuildDoes() {
        DomainPages pages = new DomainPages(5, 256);
        long[] pfns = new long[256];
        for (int i = 0; i < pfns.length; i++) {
            pfns[i] = pfns.length - 1 - i;
        }
        populate(pages, pfns);
        long shared = host.frames.allocateShared(5);
        long[] p2m = BootstrapBuilder.populatedP2m(host.frames, pages);
        long free = host.frames.freeFrames();

        BootLayout l = BootstrapBuilder.layOut(host.frames, pages, p2m, shared);

        assertThat(host.frames.freeFrames()).as("no frame allocated").isEqualTo(free);
        TestHost.Domain built = host.domain(6, 256);
        assertThat(l).usingRecursiveComparison().ignoringFields("startInfoMfn", "l4Mfn", "sharedInfoMfn")
                .isEqualTo(built.layout());
        assertThat(l.l4Mfn()).isEqualTo(p2m[(int) ((l.ptBaseVa() - l.virtBase()) >>> 12)]);
        assertThat(FrameTable.isPinned(host.frames.typeInfo(l.l4Mfn()))).isTrue();
        assertThat(BootstrapBuilder.fits(7)).isTrue();
        assertThat(BootstrapBuilder.fits(6)).isFalse();
    }

    @Test
    @DisplayName("with special pages: the store's and the console's, writable, right after start_info; the page tables and "
            + "free memory two pages later")
    void shouldLayOutAStorePageAfterStartInfo() {
        DomainPages pages = new DomainPages(7, 256);
        long[] pfns = new long[256];
        for (int i = 0; i < pfns.length; i++) {
            pfns[i] = i;
        }
        populate(pages, pfns);
        long shared = host.frames.allocateShared(7);
        long[] p2m = BootstrapBuilder.populatedP2m(host.frames, pages);

        BootLayout l = BootstrapBuilder.layOut(host.frames, pages, p2m, shared, true);

        BootLayout without = host.domain(8, 256).layout();
        assertThat(l.hasStorePage()).isTrue();
        assertThat(without.hasStorePage()).isFalse();
        assertThat(without.storeMfn()).isEqualTo(-1);
        assertThat(l.storePfn()).isEqualTo(l.startInfoPfn() + 1).isEqualTo(2);
        assertThat(l.storeMfn()).isEqualTo(p2m[2]);
        assertThat(l.consolePfn()).isEqualTo(3);
        assertThat(l.consoleMfn()).isEqualTo(p2m[3]);
        assertThat(without.hasConsolePage()).isFalse();
        assertThat(l.ptBaseVa()).isEqualTo(without.ptBaseVa() + 2 * PAGE);
        assertThat(l.firstFreePfn()).isEqualTo(without.firstFreePfn() + 2);
        assertThat(l.nrPtFrames()).isEqualTo(without.nrPtFrames());
        assertThat(FrameTable.pageType(host.frames.typeInfo(l.storeMfn()))).as("mapped read-write")
                .isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
        assertThat(FrameTable.pageType(host.frames.typeInfo(l.consoleMfn()))).isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
        assertThat(BootstrapBuilder.fits(8, true)).isFalse();
        assertThat(BootstrapBuilder.fits(9, true)).isTrue();
    }

    @Test
    @DisplayName("dom0's boot module goes into pages right after start_info, mapped read-write, below the page tables "
            + "(where the guest's allocator never looks), its bytes copied page by page; one the domain cannot hold is refused")
    void shouldLayOutABootModuleAfterStartInfo() {
        byte[] module = new byte[(int) PAGE + 100];
        for (int i = 0; i < module.length; i++) {
            module[i] = (byte) (i * 7 + 1);
        }
        DomainPages pages = new DomainPages(1, 256);
        long shared = host.frames.allocateShared(1);

        BootLayout l = BootstrapBuilder.build(host.frames, pages, 256, shared, module);

        BootLayout without = host.domain(2, 256).layout();
        assertThat(without.modulePfn()).isEqualTo(-1);
        assertThat(without.modulePages()).isZero();
        assertThat(l.modulePfn()).isEqualTo(l.startInfoPfn() + 1);
        assertThat(l.modulePages()).isEqualTo(2);
        assertThat(l.ptBaseVa()).isEqualTo(without.ptBaseVa() + 2 * PAGE);
        assertThat(l.firstFreePfn()).isEqualTo(without.firstFreePfn() + 2);
        for (int p = 0; p < 2; p++) {
            long mfn = ownedFrameAt(1, l.modulePfn() + p);
            assertThat(FrameTable.pageType(host.frames.typeInfo(mfn))).as("mapped read-write").isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
            for (int off : new int[] {0, 99, (int) PAGE - 1}) {
                int at = p * (int) PAGE + off;
                byte expected = at < module.length ? module[at] : 0;
                assertThat(host.frames.memory().segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE,
                        MachineMemory.maddr(mfn) + off)).as("byte %d", at).isEqualTo(expected);
            }
        }
        DomainPages small = new DomainPages(3, 2000);
        long shared3 = host.frames.allocateShared(3);
        long free = host.frames.freeFrames();
        assertThatThrownBy(() -> BootstrapBuilder.build(host.frames, small, 1100, shared3, new byte[1100 * (int) PAGE]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bootstrap region");
        assertThat(host.frames.freeFrames()).as("nothing kept").isEqualTo(free);
    }

    /** The frame {@code domid} owns at {@code pfn}, by its M2P entry. */
    private long ownedFrameAt(int domid, long pfn) {
        for (long mfn = 0; mfn < host.frames.frameCount(); mfn++) {
            if (host.frames.owner(mfn) == domid && host.frames.m2p(mfn) == pfn) {
                return mfn;
            }
        }
        throw new AssertionError("d" + domid + " has no frame at pfn " + pfn);
    }
}
