package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Claims of one grant from several host threads at once (the entry lock of
 * {@link GrantTable}: pins taken and dropped by compare-and-swap of the pin word) while the
 * granter ends access the guest's way, by compare-and-swap of the shared entry's header only
 * when neither busy bit is set. Each thread pins the grant read-only or writable as its list
 * says, checks that the shared entry shows the busy bits its pin needs while it holds it,
 * writes into the frame only while holding a writable pin (what a grant copy does between
 * its claim and its release), and drops the pin. Two references may name the same frame.
 * After the granter's end the frame never changes again (no write after end), every later
 * claim is refused with {@code GNTST_general_error}, and the pins, the frame's general and
 * type counts and the entry locks are back where they started. Bounded: at most 4 threads
 * of at most 2,000 claims each, joined within 20 s.
 */
class GrantEndRaceProperty {
    private static final int REF = 20;
    private static final int REF2 = 21;

    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest a;
    private static BareGuest b;
    private static GrantFrame table;
    private static long mfnA;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        a = BareGuest.create(hv, "granter", 1024);
        b = BareGuest.create(hv, "grantee", 1024);
        GrantTableCalls ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        long[] frames = new long[1];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        table = new GrantFrame(hv.machine().segment(), frames[0]);
        mfnA = a.domain.vcpu(0).mmu().translate(a.scratch2, false) >>> 12;
    }

    @AfterContainer
    static void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
        LEAKS.verify();
    }

    @Provide
    Arbitrary<List<List<Boolean>>> claims() {
        // Per thread, per claim: read-only (true) or writable.
        return Arbitraries.of(true, false).list().ofMinSize(200).ofMaxSize(2000).list().ofMinSize(2).ofMaxSize(4);
    }

    @Property(tries = 40, shrinking = ShrinkingMode.BOUNDED)
    @Label("a granter ending access while other threads claim its grant: no write after the end, every count back to zero")
    void noWriteAfterEnd(@ForAll("claims") List<List<Boolean>> claims,
                         @ForAll @IntRange(min = 0, max = 2000) int spinsBeforeEnd,
                         @ForAll boolean twoRefs) throws Exception {
        GrantTable gt = a.domain.grants();
        FrameTable frames = hv.frames();
        MemorySegment m = hv.machine().segment();
        long page = MachineMemory.maddr(mfnA);
        int bdom = b.domain.domid();
        long refs0 = frames.refCount(mfnA);
        long type0 = frames.typeInfo(mfnA);
        m.asSlice(page, 4096).fill((byte) 0);
        table.grant(REF, bdom, mfnA, Gtf.PERMIT_ACCESS);
        if (twoRefs) {
            table.grant(REF2, bdom, mfnA, Gtf.PERMIT_ACCESS);
        }

        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicInteger granted = new AtomicInteger();
        // A spin barrier: every claimer and the granter start in the same microsecond, so their
        // claims overlap (a latch's wake-ups are tens of microseconds apart).
        AtomicInteger ready = new AtomicInteger();
        int parties = claims.size() + 1;
        CountDownLatch done = new CountDownLatch(claims.size());
        Thread[] threads = new Thread[claims.size()];
        for (int t = 0; t < claims.size(); t++) {
            List<Boolean> mine = claims.get(t);
            int slot = t;
            threads[t] = Thread.ofPlatform().daemon().name("claimer-" + t).start(() -> {
                try {
                    arrive(ready, parties);
                    for (int i = 0; i < mine.size(); i++) {
                        boolean readonly = mine.get(i);
                        int ref = twoRefs && (i & 1) == 1 ? REF2 : REF;
                        long mfn = gt.acquire(ref, bdom, readonly);
                        if (mfn < 0) {
                            if (mfn != Gntst.GENERAL_ERROR) {
                                violations.add("claim refused with " + mfn + ", not general_error");
                            }
                            continue;
                        }
                        granted.incrementAndGet();
                        int flags = table.flags(ref);
                        if (mfn != mfnA || (flags & Gtf.READING) == 0 || (!readonly && (flags & Gtf.WRITING) == 0)) {
                            violations.add("pinned " + (readonly ? "read-only" : "writable") + " with flags 0x"
                                    + Integer.toHexString(flags) + " mfn " + mfn);
                        }
                        if (!readonly) {
                            m.set(ValueLayout.JAVA_LONG_UNALIGNED, page + slot * 8L, ((long) slot << 32) | (i + 1));
                        }
                        gt.release(ref, readonly);
                    }
                } catch (Throwable e) {
                    violations.add(e.toString());
                } finally {
                    done.countDown();
                }
            });
        }

        arrive(ready, parties);
        for (int i = 0; i < spinsBeforeEnd; i++) {
            Thread.onSpinWait();
        }
        endAccess(REF, bdom);
        if (twoRefs) {
            endAccess(REF2, bdom);
        }
        byte[] atEnd = m.asSlice(page, 4096).toArray(ValueLayout.JAVA_BYTE);

        assertThat(done.await(20, TimeUnit.SECONDS)).as("claimers finished").isTrue();
        assertThat(violations).isEmpty();
        assertThat(m.asSlice(page, 4096).toArray(ValueLayout.JAVA_BYTE)).as("the frame after the end").isEqualTo(atEnd);
        assertThat(gt.acquire(REF, bdom, true)).isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(table.flags(REF)).isZero();
        assertThat(gt.pinOf(REF)).isZero();
        assertThat(gt.pinOf(REF2)).isZero();
        assertThat(gt.lockFree()).isTrue();
        assertThat(frames.refCount(mfnA)).isEqualTo(refs0);
        assertThat(frames.typeInfo(mfnA)).isEqualTo(type0);
        assertThat(granted.get()).isLessThanOrEqualTo(claims.stream().mapToInt(List::size).sum());
    }

    private static void arrive(AtomicInteger ready, int parties) {
        ready.incrementAndGet();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ready.get() < parties && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    /** The granter's end of access (gnttab_end_foreign_access_ref): flags to 0 only while neither busy bit is set. */
    private static void endAccess(int ref, int bdom) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int tries = 0;; tries++) {
            int h = table.header(ref);
            if ((h & (Gtf.READING | Gtf.WRITING)) == 0
                    && table.machine().compareAndSetInt(table.entry(ref), h, bdom << 16)) {
                return;
            }
            assertThat(System.nanoTime()).as("access ended within 10 s").isLessThan(deadline);
            if (tries % 64 == 63) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
