package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypervisor.mm.FrameTable.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;

class FrameTableTest {
    private final TestHost host = new TestHost(16L << 20);
    private final FrameTable frames = host.frames;

    @AfterEach
    void close() {
        host.close();
    }

    @Test
    void shouldStartWithEveryFrameButMfnZeroFree() {
        assertThat(frames.frameCount()).isEqualTo(4096);
        assertThat(frames.freeFrames()).isEqualTo(4095);
        assertThat(frames.owner(0)).isEqualTo(DomId.DOMID_XEN);
        assertThat(frames.owner(1)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.owner(-1)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.owner(4096)).isEqualTo(DomId.DOMID_INVALID);
    }

    @Test
    @DisplayName("alloc_domheap_page: a zeroed frame owned by the domain, counted in tot_pages, one reference")
    void shouldAllocateZeroedFramesOwnedByTheDomain() {
        DomainPages d1 = new DomainPages(1, 10);
        long mfn = frames.allocate(d1);
        assertThat(mfn).isPositive();
        assertThat(frames.owner(mfn)).isEqualTo(1);
        assertThat(frames.refCount(mfn)).isEqualTo(1);
        assertThat(frames.typeInfo(mfn)).isZero();
        assertThat(frames.m2p(mfn)).isEqualTo(INVALID_M2P_ENTRY);
        assertThat(d1.totPages()).isEqualTo(1);
        assertThat(frames.freeFrames()).isEqualTo(4094);
        assertThat(frames.ownedBy(1)).isEqualTo(1);
        assertThat(isZero(mfn)).isTrue();
    }

    @Test
    @DisplayName("freed frames are zeroed before reuse")
    void shouldZeroAFreedFrameBeforeItIsReused() {
        DomainPages d1 = new DomainPages(1, 10);
        DomainPages d2 = new DomainPages(2, 10);
        long mfn = frames.allocate(d1);
        host.mem().asSlice(MachineMemory.maddr(mfn), 4096).fill((byte) 0xD1);
        frames.setM2p(mfn, 7);
        assertThat(frames.putPageAllocRef(mfn)).isTrue();
        assertThat(frames.putPageAllocRef(mfn)).as("allocation reference already gone").isFalse();
        assertThat(frames.owner(mfn)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.refCount(mfn)).isZero();
        assertThat(d1.totPages()).isZero();
        long again = frames.allocate(d2);
        assertThat(again).as("the lowest free frame goes first").isEqualTo(mfn);
        assertThat(isZero(again)).isTrue();
        assertThat(frames.m2p(again)).isEqualTo(INVALID_M2P_ENTRY);
    }

    @Test
    @DisplayName("a domain never owns more than max_pages")
    void shouldEnforceMaxPages() {
        DomainPages d1 = new DomainPages(1, 3);
        for (int i = 0; i < 3; i++) {
            assertThat(frames.allocate(d1)).isPositive();
        }
        assertThat(frames.allocate(d1)).isEqualTo(-1);
        assertThat(d1.totPages()).isEqualTo(3);
        d1.setMaxPages(1);
        assertThat(frames.allocate(d1)).as("lowering max_pages takes nothing away").isEqualTo(-1);
        assertThat(d1.totPages()).isEqualTo(3);
        d1.setMaxPages(4);
        assertThat(frames.allocate(d1)).isPositive();
        assertThatThrownBy(() -> d1.setMaxPages(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DomainPages(DomId.DOMID_XEN, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAnswerMinusOneWhenMachineMemoryIsExhausted() {
        DomainPages big = new DomainPages(1, 1 << 20);
        Set<Long> seen = new HashSet<>();
        for (long mfn; (mfn = frames.allocate(big)) >= 0; ) {
            assertThat(seen.add(mfn)).as("each frame handed out once").isTrue();
        }
        assertThat(seen).hasSize(4095).doesNotContain(0L);
        assertThat(frames.freeFrames()).isZero();
        assertThat(big.totPages()).as("a failed allocation is not counted").isEqualTo(4095);
        assertThat(frames.allocateShared(2)).isEqualTo(-1);
    }

    @Test
    @DisplayName("a domain may map its own frames and hypervisor pages shared with it, nothing else")
    void shouldAllowMappingOnlyOwnAndSharedFrames() {
        DomainPages d1 = new DomainPages(1, 10);
        DomainPages d2 = new DomainPages(2, 10);
        long own = frames.allocate(d1);
        long other = frames.allocate(d2);
        long shared = frames.allocateShared(1);
        long free = frames.allocate(d2);
        frames.putPageAllocRef(free);

        assertThat(frames.owner(shared)).isEqualTo(DomId.DOMID_XEN);
        assertThat(frames.sharedWith(shared)).isEqualTo(1);
        assertThat(d1.totPages()).as("shared pages are not counted").isEqualTo(1);
        assertThat(frames.mayMap(1, own)).isTrue();
        assertThat(frames.mayMap(1, shared)).isTrue();
        assertThat(frames.mayMap(1, other)).isFalse();
        assertThat(frames.mayMap(2, shared)).isFalse();
        assertThat(frames.mayMap(1, free)).isFalse();
        assertThat(frames.mayMap(1, 0)).as("hypervisor page shared with nobody").isFalse();
        assertThat(frames.mayMap(1, -1)).isFalse();
        assertThat(frames.mayMap(1, frames.frameCount())).isFalse();
        assertThat(frames.mayMap(DomId.DOMID_INVALID, free)).as("DomId.DOMID_INVALID owns nothing").isFalse();
        assertThat(frames.mayMap(DomId.DOMID_XEN, 0)).isFalse();
    }

    @Test
    @DisplayName("get_page succeeds only for a domain that may map an allocated frame; the last put_page frees it")
    void shouldCountReferencesAndFreeOnTheLastPut() {
        DomainPages d1 = new DomainPages(1, 10);
        long mfn = frames.allocate(d1);
        long free = frames.freeFrames();
        assertThat(frames.getPage(mfn, 1)).isTrue();
        assertThat(frames.getPage(mfn, 2)).isFalse();
        assertThat(frames.refCount(mfn)).isEqualTo(2);
        frames.putPageAllocRef(mfn);
        assertThat(frames.owner(mfn)).as("still referenced").isEqualTo(1);
        assertThat(d1.totPages()).isEqualTo(1);
        frames.putPage(mfn);
        assertThat(frames.owner(mfn)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.freeFrames()).isEqualTo(free + 1);
        assertThat(d1.totPages()).isZero();
        assertThat(frames.getPage(mfn, 1)).as("a free frame cannot be referenced").isFalse();
        assertThatThrownBy(() -> frames.putPage(mfn)).isInstanceOf(IllegalStateException.class);
        assertThat(frames.getPage(-5, 1)).isFalse();
    }

    @Test
    @DisplayName("a frame changes type only when its type count is 0")
    void shouldChangeTypeOnlyWhenTheTypeCountIsZero() {
        long mfn = frames.allocate(new DomainPages(1, 10));
        assertThat(frames.getPageType(mfn, PGT_WRITABLE_PAGE)).isTrue();
        assertThat(frames.getPageType(mfn, PGT_WRITABLE_PAGE)).isTrue();
        long ti = frames.typeInfo(mfn);
        assertThat(pageType(ti)).isEqualTo(PGT_WRITABLE_PAGE);
        assertThat(typeCount(ti)).isEqualTo(2);
        assertThat(isValidated(ti)).as("non-table types need no validation").isTrue();

        assertThat(frames.getPageType(mfn, PGT_L1_PAGE_TABLE)).as("mapped writable: cannot become a table").isFalse();
        frames.putPageType(mfn);
        assertThat(frames.getPageType(mfn, PGT_L1_PAGE_TABLE)).isFalse();
        frames.putPageType(mfn);
        assertThat(typeCount(frames.typeInfo(mfn))).isZero();
        assertThat(pageType(frames.typeInfo(mfn))).as("the type stays until someone takes another").isEqualTo(PGT_WRITABLE_PAGE);

        assertThat(frames.getPageType(mfn, PGT_L1_PAGE_TABLE)).isTrue();
        assertThat(isValidated(frames.typeInfo(mfn))).as("tables wait for validation").isFalse();
        assertThat(frames.setValidated(mfn)).isTrue();
        assertThat(isValidated(frames.typeInfo(mfn))).isTrue();
        assertThat(frames.getPageType(mfn, PGT_WRITABLE_PAGE)).as("a table cannot be mapped writable").isFalse();
        frames.putPageType(mfn);
        assertThat(isValidated(frames.typeInfo(mfn))).as("the last type reference devalidates a table").isFalse();
        assertThatThrownBy(() -> frames.putPageType(mfn)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> frames.getPageType(mfn, PGT_NONE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(frames.setValidated(mfn)).as("no type reference, nothing to validate").isFalse();
    }

    @Test
    void shouldPinOnceAndUnpin() {
        long mfn = frames.allocate(new DomainPages(1, 10));
        assertThat(frames.pin(mfn, PGT_L4_PAGE_TABLE, 2)).as("another domain cannot pin it").isFalse();
        assertThat(frames.pin(mfn, PGT_L4_PAGE_TABLE, 1)).isTrue();
        assertThat(frames.pin(mfn, PGT_L4_PAGE_TABLE, 1)).as("pinned at most once").isFalse();
        long ti = frames.typeInfo(mfn);
        assertThat(isPinned(ti)).isTrue();
        assertThat(typeCount(ti)).isEqualTo(1);
        assertThat(frames.refCount(mfn)).isEqualTo(2);
        assertThat(frames.unpin(mfn)).isTrue();
        assertThat(frames.unpin(mfn)).isFalse();
        assertThat(typeCount(frames.typeInfo(mfn))).isZero();
        assertThat(frames.refCount(mfn)).isEqualTo(1);
    }

    @Test
    void shouldSwapTypeInfoOnlyFromTheExpectedValue() {
        long mfn = frames.allocate(new DomainPages(1, 10));
        long l2 = encodeTypeInfo(PGT_L2_PAGE_TABLE, true, false, 1);
        assertThat(frames.casTypeInfo(mfn, 1, l2)).isFalse();
        assertThat(frames.casTypeInfo(mfn, 0, l2)).isTrue();
        assertThat(frames.typeInfo(mfn)).isEqualTo(l2);
    }

    @Property(tries = 200)
    void shouldRoundTripTypeInfo(@ForAll @IntRange(min = 0, max = 7) int type, @ForAll boolean validated,
                                 @ForAll boolean pinned, @ForAll @LongRange(min = 0, max = 0xFFFF_FFFFL) long count) {
        long ti = encodeTypeInfo(type, validated, pinned, count);
        assertThat(pageType(ti)).isEqualTo(type);
        assertThat(isValidated(ti)).isEqualTo(validated);
        assertThat(isPinned(ti)).isEqualTo(pinned);
        assertThat(typeCount(ti)).isEqualTo(count);
    }

    @Test
    @DisplayName("the M2P table maps an MFN back to its PFN; freeing resets it to INVALID_M2P_ENTRY")
    void shouldKeepTheMachineToPhysTable() {
        long mfn = frames.allocate(new DomainPages(1, 10));
        frames.setM2p(mfn, 0xFFFF_FFFEL);
        assertThat(Integer.toUnsignedLong(frames.m2p(mfn))).isEqualTo(0xFFFF_FFFEL);
        frames.setM2p(mfn, 3);
        assertThat(frames.m2p(mfn)).isEqualTo(3);
        frames.setM2p(mfn, -1);
        assertThat(frames.m2p(mfn)).isEqualTo(INVALID_M2P_ENTRY);
        assertThatThrownBy(() -> frames.setM2p(mfn, 1L << 32)).isInstanceOf(IllegalArgumentException.class);
        frames.setM2p(mfn, 9);
        frames.putPageAllocRef(mfn);
        assertThat(frames.m2p(mfn)).isEqualTo(INVALID_M2P_ENTRY);
    }

    @Test
    @DisplayName("every frame a domain held goes back to the free pool once nothing references it")
    void shouldReturnEveryFrameOnReleaseDomain() {
        long freeBefore = frames.freeFrames();
        DomainPages d1 = new DomainPages(1, 300);
        long shared = frames.allocateShared(1);
        BootstrapBuilder.build(frames, d1, 256, shared);
        long grantFrame = frames.allocateShared(1);
        long extra = frames.allocate(d1);
        assertThat(frames.ownedBy(1)).isEqualTo(257);

        assertThat(frames.releaseDomain(d1)).isZero();
        assertThat(frames.ownedBy(1)).isZero();
        assertThat(d1.totPages()).isZero();
        assertThat(frames.owner(shared)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.owner(grantFrame)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.owner(extra)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames.freeFrames()).isEqualTo(freeBefore);
        for (long mfn = 1; mfn < frames.frameCount(); mfn++) {
            assertThat(frames.refCount(mfn)).isZero();
            assertThat(frames.typeInfo(mfn)).isZero();
        }
        assertThat(isZero(shared)).isTrue();
    }

    @Test
    @DisplayName("a released domain's frames, in long runs and short, are zero before anyone can allocate them again")
    void shouldScrubEveryReleasedFrame() {
        long freeBefore = frames.freeFrames();
        DomainPages d1 = new DomainPages(1, 600);
        long[] mfns = new long[600];
        for (int i = 0; i < mfns.length; i++) {
            mfns[i] = frames.allocate(d1);
            // Every third frame is handed back at once: the rest are runs of two, and some long ones.
            host.mem().asSlice(MachineMemory.maddr(mfns[i]), 4096).fill((byte) 0xD1);
        }
        for (int i = 0; i < 200; i += 3) {
            frames.putPageAllocRef(mfns[i]);
        }

        assertThat(frames.releaseDomain(d1)).isZero();

        assertThat(frames.freeFrames()).isEqualTo(freeBefore);
        for (long mfn : mfns) {
            assertThat(isZero(mfn)).as("mfn %d", mfn).isTrue();
        }
        DomainPages d2 = new DomainPages(2, 600);
        for (int i = 0; i < 600; i++) {
            long mfn = frames.allocate(d2);
            assertThat(isZero(mfn)).as("reallocated mfn %d", mfn).isTrue();
        }
    }

    @Test
    void shouldReportFramesStillReferencedAfterRelease() {
        DomainPages d1 = new DomainPages(1, 10);
        long held = frames.allocate(d1);
        assertThat(frames.getPage(held, 1)).isTrue();
        frames.allocate(d1);
        assertThat(frames.releaseDomain(d1)).isEqualTo(1);
        assertThat(frames.owner(held)).isEqualTo(1);
        frames.putPage(held);
        assertThat(frames.owner(held)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(d1.totPages()).isZero();
    }

    @Test
    void shouldKeepTheFreePoolConsistentUnderConcurrentAllocation() throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            Future<?>[] done = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                DomainPages pages = new DomainPages(10 + t, 64);
                done[t] = pool.submit(() -> {
                    start.await();
                    long[] mine = new long[64];
                    for (int round = 0; round < 200; round++) {
                        int n = 0;
                        for (long mfn; n < mine.length && (mfn = frames.allocate(pages)) >= 0; ) {
                            assertThat(frames.owner(mfn)).isEqualTo(pages.domid());
                            host.mem().set(ValueLayout.JAVA_LONG, MachineMemory.maddr(mfn), mfn);
                            mine[n++] = mfn;
                        }
                        for (int i = 0; i < n; i++) {
                            assertThat(host.mem().get(ValueLayout.JAVA_LONG, MachineMemory.maddr(mine[i])))
                                    .isEqualTo(mine[i]);
                            frames.putPageAllocRef(mine[i]);
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(frames.freeFrames()).isEqualTo(4095);
        for (long mfn = 1; mfn < frames.frameCount(); mfn++) {
            assertThat(frames.owner(mfn)).isEqualTo(DomId.DOMID_INVALID);
        }
    }

    private boolean isZero(long mfn) {
        MemorySegment zeros = MemorySegment.ofArray(new byte[4096]);
        return host.mem().asSlice(MachineMemory.maddr(mfn), 4096).mismatch(zeros) == -1;
    }
}
