package org.parasol.guest.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The balloon's page accounting against a fake hypervisor that keeps its own books (which
 * frames it took back, which it handed out, its max_pages), as Xen's
 * {@code decrease_reservation} and {@code populate_physmap} would.
 */
public class BalloonTest {
    static final int BUILT = 1024;
    static final int ROOM = 2048;

    /** The hypervisor's side: tot_pages, max_pages, and which MFNs the domain owns. */
    public static final class FakeHypervisor implements Balloon.Reservation {
        final Set<Long> owned = new HashSet<>();
        public long maxPages;
        long nextMfn = 0x100000;
        /** How many of a batch to do, at most; -1: all. */
        int cut = -1;
        public int decreases;
        int populates;

        public FakeHypervisor(long builtPages, long maxPages) {
            for (long p = 0; p < builtPages; p++) {
                owned.add(FakeDomainMemory.MFN_BASE + p);
            }
            this.maxPages = maxPages;
        }

        @Override
        public long decrease(long[] mfns, int n) {
            decreases++;
            int i = 0;
            for (; i < n && (cut < 0 || i < cut); i++) {
                if (!owned.remove(mfns[i])) {
                    break; // Xen stops at a frame the domain does not own
                }
            }
            return i;
        }

        @Override
        public long populate(long[] pfns, int n) {
            populates++;
            int i = 0;
            for (; i < n && (cut < 0 || i < cut) && owned.size() < maxPages; i++) {
                long mfn = nextMfn++;
                owned.add(mfn);
                pfns[i] = mfn;
            }
            return i;
        }
    }

    private static int drive(Balloon b) {
        int batches = 0;
        while (b.step() > 0) {
            batches++;
        }
        return batches;
    }

    @Test
    @DisplayName("balloon.c: shrinking gives free pages back (P2M entry invalid, unmapped) and tot_pages follows")
    void shouldGiveFreePagesBackAndMarkTheirP2mEntriesInvalid() {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, BUILT);
        Memory m = d.memory();
        FakeHypervisor hv = new FakeHypervisor(BUILT, BUILT);
        Balloon b = new Balloon(m, hv);
        b.setTarget(BUILT - 300);

        int batches = drive(b);

        assertThat(b.currentPages()).isEqualTo(BUILT - 300);
        assertThat(hv.owned).hasSize(BUILT - 300);
        assertThat(batches).isEqualTo((300 + Balloon.BATCH - 1) / Balloon.BATCH);
        long invalid = 0;
        for (long p = 0; p < m.maxPfn(); p++) {
            if (m.p2m().mfn(p) == P2m.INVALID_ENTRY) {
                invalid++;
                assertThat(b.isBallooned(p)).isTrue();
                assertThat(m.isMapped(p)).as("pfn %d unmapped", p).isFalse();
                assertThat(d.tables.leafEntry(Memory.va(p))).isZero();
                assertThat(m.frames().inUse(p)).isTrue();
            }
        }
        assertThat(invalid).isEqualTo(300);
    }

    @Test
    @DisplayName("pages the kernel has allocated (buffers, rings, grants) are never given back")
    void shouldNeverGiveBackAllocatedPages() {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, BUILT);
        Memory m = d.memory();
        PageRun ring = m.allocatePages(8);
        d.mem.putLong(ring.va(), 0x1234);
        FakeHypervisor hv = new FakeHypervisor(BUILT, BUILT);
        Balloon b = new Balloon(m, hv);
        b.setTarget(0);

        drive(b);

        assertThat(m.frames().freeFrames()).as("the floor").isEqualTo(Balloon.FREE_FLOOR);
        for (long p = ring.pfn(); p < ring.pfn() + ring.count(); p++) {
            assertThat(b.isBallooned(p)).isFalse();
            assertThat(hv.owned).contains(m.p2m().mfn(p));
        }
        assertThat(d.mem.getLong(ring.va())).isEqualTo(0x1234);
        assertThat(b.wantsWork()).as("below the floor it stops asking").isFalse();
        // The kernel goes on allocating from what it kept.
        assertThat(m.allocatePages((int) Balloon.FREE_FLOOR).count()).isEqualTo((int) Balloon.FREE_FLOOR);
    }

    @Test
    @DisplayName("mfnValue is mfn's number for a page with a frame, and refuses a ballooned PFN as mfn does")
    void shouldGiveTheFrameNumberWithoutAHandle() {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, BUILT, ROOM);
        Memory m = d.memory(ROOM);
        for (long p : new long[] {0, 1, BUILT / 2, BUILT - 1}) {
            assertThat(m.mfnValue(p)).isEqualTo(m.mfn(p).value()).isEqualTo(FakeDomainMemory.MFN_BASE + p);
        }
        assertThatThrownBy(() -> m.mfn(BUILT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.mfnValue(BUILT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.mfnValue(ROOM)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("growing populates ballooned PFNs, up to max_pages, and they are allocated (and mapped) like any page")
    void shouldGrowBackAndBeyondTheBuiltSizeUpToMaxPages() {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, BUILT, ROOM);
        Memory m = d.memory(ROOM);
        assertThat(m.maxPfn()).isEqualTo(ROOM);
        assertThat(m.p2m().mfn(BUILT - 1)).isEqualTo(FakeDomainMemory.MFN_BASE + BUILT - 1);
        assertThat(m.p2m().mfn(BUILT)).isEqualTo(P2m.INVALID_ENTRY);
        FakeHypervisor hv = new FakeHypervisor(BUILT, ROOM - 100);
        Balloon b = new Balloon(m, hv);
        assertThat(b.balloonedPages()).isEqualTo(ROOM - BUILT);
        long freeBefore = m.frames().freeFrames();

        b.setTarget(ROOM);
        drive(b);

        assertThat(b.currentPages()).as("max_pages stops it").isEqualTo(ROOM - 100);
        assertThat(b.wantsWork()).isTrue();
        assertThat(b.step()).isZero();
        assertThat(m.frames().freeFrames() - freeBefore).isEqualTo(ROOM - 100 - BUILT);
        hv.maxPages = ROOM;
        drive(b);
        assertThat(b.currentPages()).isEqualTo(ROOM);
        assertThat(b.balloonedPages()).isZero();
        // Every page of the room is allocatable, mapped on first use, and its PTE names its new frame.
        List<PageRun> runs = new ArrayList<>();
        while (m.frames().freeFrames() > 0) {
            runs.add(m.allocatePages(1));
        }
        PageRun last = runs.get(runs.size() - 1);
        assertThat(last.pfn()).isGreaterThanOrEqualTo(BUILT);
        assertThat(d.tables.leafEntry(last.va()) >>> 12).isEqualTo(m.p2m().mfn(last.pfn()));
    }

    @Test
    @DisplayName("a batch the hypervisor cuts short keeps what it did not take: entries restored, pages free again")
    void shouldKeepWhatTheHypervisorDidNotTake() {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, BUILT);
        Memory m = d.memory();
        FakeHypervisor hv = new FakeHypervisor(BUILT, BUILT);
        hv.cut = 10;
        Balloon b = new Balloon(m, hv);
        long free = m.frames().freeFrames();
        b.setTarget(BUILT - 64);

        assertThat(b.step()).isEqualTo(10);

        assertThat(b.currentPages()).isEqualTo(BUILT - 10);
        assertThat(m.frames().freeFrames()).isEqualTo(free - 10);
        assertThat(b.balloonedPages()).isEqualTo(10);
        long invalid = 0;
        for (long p = 0; p < m.maxPfn(); p++) {
            invalid += m.p2m().mfn(p) == P2m.INVALID_ENTRY ? 1 : 0;
        }
        assertThat(invalid).isEqualTo(10);
        // The 54 kept pages are usable again: first allocated, mapped again on the way.
        PageRun again = m.allocatePages(54);
        for (long p = again.pfn(); p < again.pfn() + again.count(); p++) {
            assertThat(m.isMapped(p)).isTrue();
            assertThat(d.tables.leafEntry(Memory.va(p)) >>> 12).isEqualTo(m.p2m().mfn(p));
        }
    }

    @Test
    @DisplayName("a hypervisor that gives nothing (host out of memory) leaves the balloon where it is, asking again later")
    void shouldStayPutWhenTheHypervisorGivesNothing() {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, BUILT, ROOM);
        Memory m = d.memory(ROOM);
        FakeHypervisor hv = new FakeHypervisor(BUILT, BUILT);
        Balloon b = new Balloon(m, hv);
        b.setTarget(ROOM);
        assertThat(b.step()).isZero();
        assertThat(b.currentPages()).isEqualTo(BUILT);
        assertThat(b.balloonedPages()).isEqualTo(ROOM - BUILT);
        assertThat(b.wantsWork()).isTrue();
    }

    /** One move of a hostile or unlucky run: a target, and how much of each batch the hypervisor does. */
    record Move(long target, int cut, int allocate) {
    }

    @Provide
    Arbitrary<List<Move>> moves() {
        return Arbitraries.integers().between(-10, ROOM + 500).flatMap(t -> Arbitraries.integers().between(-1, 70)
                .flatMap(c -> Arbitraries.integers().between(0, 40).map(a -> new Move(t, c, a)))).list().ofMaxSize(12);
    }

    @Property(tries = 40)
    @Label("whatever the targets and however the hypervisor cuts batches: the books balance and used pages stay")
    void shouldKeepTheBooksWhateverHappens(@ForAll("moves") List<Move> moves) {
        FakeDomainMemory d = new FakeDomainMemory(BUILT, 256, ROOM);
        Memory m = d.memory(ROOM);
        FakeHypervisor hv = new FakeHypervisor(BUILT, ROOM);
        Balloon b = new Balloon(m, hv);
        List<PageRun> used = new ArrayList<>();
        for (Move mv : moves) {
            for (int i = 0; i < mv.allocate() && m.frames().freeFrames() > 0; i++) {
                PageRun r = m.allocatePages(1);
                d.mem.putLong(r.va(), r.pfn());
                used.add(r);
            }
            hv.cut = mv.cut();
            b.setTarget(mv.target());
            for (int i = 0; i < 2500 && b.step() > 0; i++) {
                // bounded: a batch at a time
            }
            assertThat(b.currentPages() + b.balloonedPages()).isEqualTo(m.maxPfn());
            assertThat(hv.owned).hasSize((int) b.currentPages());
            long invalid = 0;
            for (long p = 0; p < m.maxPfn(); p++) {
                boolean inv = m.p2m().mfn(p) == P2m.INVALID_ENTRY;
                assertThat(b.isBallooned(p)).isEqualTo(inv);
                if (inv) {
                    invalid++;
                    assertThat(m.frames().inUse(p)).isTrue();
                } else {
                    assertThat(hv.owned).contains(m.p2m().mfn(p));
                }
            }
            assertThat(invalid).isEqualTo(b.balloonedPages());
            for (PageRun r : used) {
                assertThat(b.isBallooned(r.pfn())).isFalse();
                assertThat(d.mem.getLong(r.va())).isEqualTo(r.pfn());
            }
            if (hv.cut != 0 && b.currentPages() > b.targetPages()) {
                assertThat(m.frames().freeFrames()).as("only the floor stops a shrink").isLessThanOrEqualTo(Balloon.FREE_FLOOR);
            }
        }
    }
}
