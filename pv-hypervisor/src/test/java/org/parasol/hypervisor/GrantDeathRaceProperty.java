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
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * A granter destroyed while other host threads claim its grant ({@link GrantTable#destroy}
 * waits for the entry locks before the grant frames are freed): claims are granted or refused
 * with {@code general_error} or {@code bad_domain}, never anything else and never an exception;
 * once the destruction returned every claim is {@code bad_domain}; when the last pin goes the
 * granter's frames are all free again and no entry lock is left held. Bounded: a fresh granter
 * per try, at most 3 threads of at most 1,500 claims, joined within 20 s.
 */
class GrantDeathRaceProperty {
    private static final int REF = 20;

    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest b;
    private static int made;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        b = BareGuest.create(hv, "grantee", 1024);
    }

    @AfterContainer
    static void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
        LEAKS.verify();
    }

    @Provide
    Arbitrary<List<List<Boolean>>> claims() {
        return Arbitraries.of(true, false).list().ofMinSize(100).ofMaxSize(1500).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 25, shrinking = ShrinkingMode.BOUNDED)
    @Label("a granter destroyed while other threads claim its grant: bad_domain after, every frame free once the pins go")
    void deathDuringClaims(@ForAll("claims") List<List<Boolean>> claims,
                           @ForAll @IntRange(min = 0, max = 3000) int spinsBeforeDeath) throws Exception {
        long free0 = hv.frames().freeFrames();
        BareGuest a = BareGuest.create(hv, "granter" + made++, 1024);
        GrantTableCalls ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        long[] frames = new long[1];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        GrantFrame table = new GrantFrame(hv.machine().segment(), frames[0]);
        long mfnA = a.domain.vcpu(0).mmu().translate(a.scratch2, false) >>> 12;
        int deadId = a.domain.domid();
        int bdom = b.domain.domid();
        table.grant(REF, bdom, mfnA, Gtf.PERMIT_ACCESS);
        GrantTable gt = a.domain.grants();
        MemorySegment m = hv.machine().segment();
        long page = MachineMemory.maddr(mfnA);

        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicInteger ready = new AtomicInteger();
        int parties = claims.size() + 1;
        CountDownLatch done = new CountDownLatch(claims.size());
        for (int t = 0; t < claims.size(); t++) {
            List<Boolean> mine = claims.get(t);
            int slot = t;
            Thread.ofPlatform().daemon().name("claimer-" + t).start(() -> {
                try {
                    arrive(ready, parties);
                    for (int i = 0; i < mine.size(); i++) {
                        boolean readonly = mine.get(i);
                        long mfn = gt.acquire(REF, bdom, readonly);
                        if (mfn < 0) {
                            if (mfn != Gntst.GENERAL_ERROR && mfn != Gntst.BAD_DOMAIN) {
                                violations.add("claim refused with " + mfn);
                            }
                            continue;
                        }
                        if (mfn != mfnA) {
                            violations.add("pinned mfn " + mfn);
                        }
                        if (!readonly) {
                            m.set(ValueLayout.JAVA_LONG_UNALIGNED, page + slot * 8L, i);
                        }
                        gt.release(REF, readonly);
                    }
                } catch (Throwable e) {
                    violations.add(e.toString());
                } finally {
                    done.countDown();
                }
            });
        }

        arrive(ready, parties);
        for (int i = 0; i < spinsBeforeDeath; i++) {
            Thread.onSpinWait();
        }
        assertThat(hv.destroy(a.domain)).isTrue();
        assertThat(gt.acquire(REF, bdom, true)).isEqualTo(Gntst.BAD_DOMAIN);

        assertThat(done.await(20, TimeUnit.SECONDS)).as("claimers finished").isTrue();
        assertThat(violations).isEmpty();
        assertThat(gt.pinOf(REF)).isZero();
        assertThat(gt.lockFree()).isTrue();
        assertThat(hv.frames().refCount(mfnA)).isZero();
        assertThat(hv.frames().ownedBy(deadId)).isZero();
        assertThat(hv.frames().freeFrames()).as("every frame of the granter back").isEqualTo(free0);
        assertThat(hv.unhandledExceptions()).isZero();
    }

    private static void arrive(AtomicInteger ready, int parties) {
        ready.incrementAndGet();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ready.get() < parties && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }
}
