package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deviation 38: the builder leaves a P2M list of more than one page unwritten and the
 * hypervisor writes each page the first time anything could see it. The guest must not be able
 * to tell: every byte it can read is what Xen's builder, which writes the whole list, leaves.
 * Each test builds the same domain on two identical hosts, one writing the list at build (the
 * baseline), one lazily, and compares.
 */
class LazyP2mTest {
    private final TestHost eager = new TestHost(96L << 20);
    private final TestHost lazy = new TestHost(96L << 20);

    LazyP2mTest() {
        eager.frames.setP2mWrittenAtBuild(true);
    }

    @AfterEach
    void close() {
        eager.close();
        lazy.close();
    }

    @ParameterizedTest(name = "{0} pages")
    @ValueSource(longs = {1024, 1025, 4096, 5000, 16384})
    @DisplayName("the guest reads the same P2M list, entry for entry, and the same page tables, whether the builder wrote the list or left it to its first reader")
    void shouldShowTheGuestTheListXensBuilderWrites(long nrPages) {
        TestHost.Domain e = eager.domain(1, nrPages);
        TestHost.Domain l = lazy.domain(1, nrPages);
        assertThat(l.layout()).isEqualTo(e.layout());
        long p2mFrames = l.layout().nrP2mFrames();
        assertThat(lazy.frames.p2mPagesUnwritten()).as("nothing of the list written at build").isEqualTo(p2mFrames);
        assertThat(eager.frames.p2mPagesUnwritten()).isZero();
        // The page tables the builder laid out are the same bytes: the list's pages are mapped
        // read-write at start of day either way.
        for (long pfn = l.layout().firstFreePfn() - l.layout().nrPtFrames(); pfn < l.layout().firstFreePfn(); pfn++) {
            long mfn = eager.mfnOf(e, pfn);
            assertThat(lazy.mem().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE).mismatch(
                    eager.mem().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE)))
                    .as("page table at pfn %d", pfn).isEqualTo(-1);
        }
        // Every word of every page of the list, through the guest's MMU, and the tail of the
        // last page too.
        long words = p2mFrames * 512;
        for (long w = words - 1; w >= 0; w--) { // backwards: the last page first
            long va = l.layout().p2mVa() + 8 * w;
            assertThat(l.mmu().getLong(va)).as("word %d", w).isEqualTo(e.mmu().getLong(va));
        }
        assertThat(lazy.frames.p2mPagesUnwritten()).isZero();
        assertThat(lazy.frames.ownedBy(1)).isEqualTo(nrPages);
        for (long pfn = 0; pfn < nrPages; pfn += 97) {
            assertThat(lazy.frames.m2p(eager.mfnOf(e, pfn))).as("M2P of pfn %d", pfn).isEqualTo((int) pfn);
        }
    }

    @Test
    @DisplayName("the domctl build: frames populate_physmap gave one GPFN at a time, read back from the M2P, laid out with the store and console pages; the guest reads the same list either way, and the M2P still says where each frame is")
    void shouldShowTheSameListAfterADomctlBuild() {
        long[] lists = new long[2];
        TestHost[] hosts = {eager, lazy};
        TestHost.Domain[] built = new TestHost.Domain[2];
        for (int h = 0; h < 2; h++) {
            TestHost host = hosts[h];
            DomainPages pages = new DomainPages(1, 4096);
            for (int pfn = 0; pfn < 4096; pfn++) {
                long mfn = host.frames.allocate(pages);
                host.frames.setM2p(mfn, pfn); // XENMEM_populate_physmap, a GPFN at a time
            }
            long[] p2m = BootstrapBuilder.populatedP2m(host.frames, pages);
            assertThat(p2m).hasSize(4096);
            long sharedInfo = host.frames.allocateShared(1);
            BootLayout layout = BootstrapBuilder.layOut(host.frames, pages, p2m, sharedInfo, true);
            TestContext context = new TestContext(1, layout.l4Mfn());
            VcpuMmu mmu = new VcpuMmu(host.frames, context, context.pollWord);
            context.mmu = mmu;
            mmu.setOwner(context.owner);
            built[h] = new TestHost.Domain(pages, layout, context, mmu);
            lists[h] = host.frames.p2mPagesUnwritten();
        }
        assertThat(lists).containsExactly(0, built[1].layout().nrP2mFrames());
        assertThat(built[1].layout()).isEqualTo(built[0].layout());
        for (long w = 0; w < built[1].layout().nrP2mFrames() * 512; w++) {
            long va = built[1].layout().p2mVa() + 8 * w;
            long mfn = built[1].mmu().getLong(va);
            assertThat(mfn).as("word %d", w).isEqualTo(built[0].mmu().getLong(va));
            if (w < 4096) {
                assertThat(lazy.frames.m2p(mfn)).isEqualTo((int) w);
            }
        }
    }

    @Test
    @DisplayName("a one-page list (a domain of 2 MiB or less) is written at build, as before")
    void shouldWriteAOnePageListAtBuild() {
        TestHost.Domain l = lazy.domain(1, 512);
        assertThat(l.layout().nrP2mFrames()).isEqualTo(1);
        assertThat(lazy.frames.p2mPagesUnwritten()).isZero();
        assertThat(lazy.mem().get(TestHost.U64, MachineMemory.maddr(lazy.mfnOf(l, 0)))).isEqualTo(lazy.mfnOf(l, 0));
    }

    @Test
    @DisplayName("the guest writes its own list: a page written by the guest is never written over by the hypervisor")
    void shouldKeepWhatTheGuestWrote() {
        TestHost.Domain l = lazy.domain(1, 4096);
        long va = l.layout().p2mVa() + 8 * 700;
        long built = l.mmu().getLong(va);
        l.mmu().putLong(va, 0xDEAD_BEEFL);
        // Another reader of the same frame, through the hypervisor's walk and a new reference.
        long mfn = l.mmu().translate(va, false) >>> 12;
        assertThat(lazy.frames.getPage(mfn, 1)).isTrue();
        lazy.frames.putPage(mfn);
        assertThat(l.mmu().getLong(va)).isEqualTo(0xDEAD_BEEFL);
        assertThat(l.mmu().getLong(va + 8)).isEqualTo(built + 1);
    }

    @Test
    @DisplayName("Xen's page-table rule holds: a list page is typed and validated from the bytes the builder decided, written before validation reads them")
    void shouldWriteAPageBeforeItIsTyped() {
        TestHost.Domain e = eager.domain(1, 4096);
        TestHost.Domain l = lazy.domain(1, 4096);
        long mfn = eager.mfnOf(e, 3); // the list's fourth page
        assertThat(lazy.frames.p2mPagesUnwritten()).isEqualTo(8);
        // Typing it (what validation does before reading it) writes it first.
        assertThat(lazy.frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)).isTrue();
        lazy.frames.putPageType(mfn);
        assertThat(lazy.frames.p2mPagesUnwritten()).isEqualTo(7);
        assertThat(lazy.mem().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE).mismatch(
                eager.mem().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE))).isEqualTo(-1);
        assertThat(l.mmu().getLong(l.layout().p2mVa() + 8 * (3 * 512 + 5))).isEqualTo(e.mmu().getLong(l.layout().p2mVa() + 8 * (3 * 512 + 5)));
    }

    @Test
    @DisplayName("a list page freed before anyone read it is scrubbed unwritten: the next owner of the frame gets zeros")
    void shouldNeverWriteAFreedPage() {
        TestHost.Domain l = lazy.domain(1, 16384);
        long p2mFrames = l.layout().nrP2mFrames();
        long[] listMfns = new long[(int) p2mFrames];
        for (int k = 0; k < p2mFrames; k++) {
            listMfns[k] = PageTableEntry.mfn(lazy.l1Entry(l, l.layout().p2mVa() + 4096L * k));
        }
        long residentBefore = lazy.memory.residentFrames();
        assertThat(lazy.frames.releaseDomain(l.pages())).isZero();
        assertThat(lazy.frames.p2mPagesUnwritten()).isZero();
        if (residentBefore >= 0) {
            assertThat(lazy.memory.residentFrames()).as("releasing wrote none of the list").isLessThanOrEqualTo(residentBefore);
        }
        // Whoever gets those frames next finds them zero, also through a reference and a type.
        DomainPages next = new DomainPages(2, 1 << 20);
        List<Long> got = new ArrayList<>();
        for (int i = 0; i < 20000 && got.size() < p2mFrames; i++) {
            long mfn = lazy.frames.allocate(next);
            for (long m : listMfns) {
                if (m == mfn) {
                    got.add(mfn);
                }
            }
        }
        assertThat(got).hasSize((int) p2mFrames);
        for (long mfn : got) {
            assertThat(lazy.frames.getPage(mfn, 2)).isTrue();
            assertThat(lazy.frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)).isTrue();
            assertThat(lazy.mem().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE)
                    .mismatch(java.lang.foreign.MemorySegment.ofArray(new byte[MachineMemory.PAGE_SIZE])))
                    .as("mfn %d", mfn).isEqualTo(-1);
        }
    }

    @Test
    @DisplayName("several vCPUs reading the list at once each see every entry the builder decided, each page written once")
    void shouldWriteEachPageOnceForConcurrentReaders() throws Exception {
        int readers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(readers);
        try {
            for (int round = 0; round < 3; round++) {
                int domid = 1 + round;
                TestHost.Domain e = eager.domain(domid, 4096);
                TestHost.Domain l = lazy.domain(domid, 4096);
                long words = l.layout().nrP2mFrames() * 512;
                CyclicBarrier start = new CyclicBarrier(readers);
                List<Future<Long>> mismatches = new ArrayList<>();
                for (int t = 0; t < readers; t++) {
                    int stride = 1 + 2 * t; // each reader its own order over the same pages
                    mismatches.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        long bad = 0;
                        for (long i = 0; i < words; i++) {
                            long w = (i * stride) % words;
                            long va = l.layout().p2mVa() + 8 * w;
                            // The hypervisor's walk from another thread: what another vCPU's miss does.
                            long ma = l.mmu().translate(va, false);
                            long got = lazy.mem().get(TestHost.U64, ma);
                            long want = eager.mem().get(TestHost.U64, e.mmu().translate(va, false));
                            if (got != want) {
                                bad++;
                            }
                        }
                        return bad;
                    }));
                }
                for (Future<Long> f : mismatches) {
                    assertThat(f.get(30, TimeUnit.SECONDS)).isZero();
                }
                assertThat(lazy.frames.p2mPagesUnwritten()).isZero();
                assertThat(l.pages().lazyP2m.written()).as("each page written once").isEqualTo(l.layout().nrP2mFrames());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("the list is kept as runs of machine-contiguous frames; a list in more runs than pages is written at build instead")
    void shouldDescribeTheListByRuns() {
        long[] p2m = new long[2048];
        for (int i = 0; i < p2m.length; i++) {
            p2m[i] = i < 1024 ? 5000 + i : 100 + (i - 1024);
        }
        LazyP2m list = LazyP2m.of(1, p2m, 4);
        assertThat(list).isNotNull();
        assertThat(list.runs()).isEqualTo(2);
        assertThat(list.p2mFrames()).isEqualTo(4);
        for (int i = 0; i < p2m.length; i++) {
            assertThat(list.mfnOf(i)).isEqualTo(p2m[i]);
        }
        assertThat(list.pageOf(5000)).isZero();
        assertThat(list.pageOf(5003)).isEqualTo(3);
        assertThat(list.pageOf(5004)).as("a frame of the domain but not of the list").isEqualTo(-1);
        assertThat(list.pageOf(100)).isEqualTo(-1);
        assertThat(list.pageOf(99)).isEqualTo(-1);
        long[] scattered = new long[2048];
        for (int i = 0; i < scattered.length; i++) {
            scattered[i] = 10_000 + 2L * i;
        }
        assertThat(LazyP2m.of(1, scattered, 4)).isNull();
    }
}
