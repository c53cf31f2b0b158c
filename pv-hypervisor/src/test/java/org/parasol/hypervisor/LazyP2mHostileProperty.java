package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.MmuextOp;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypervisor.mm.BootLayout;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Deviation 38 from a hostile guest's side: a guest that unmaps, remaps, aliases, writes, pins
 * as a page table and gives back the pages of its P2M list, in any order, before or after it
 * reads them, sees exactly what it would see had the builder written the whole list, as Xen's
 * does. Two identical hosts, one building the list eagerly (the baseline), run the same steps
 * on the same domain; every answer, every word read and every crash must agree, and at the end
 * every page of the list, read through a fresh mapping, holds the same bytes.
 */
class LazyP2mHostileProperty {
    /** 16 MiB: a P2M list of 8 pages. */
    private static final long DOMAIN_KIB = 16 << 10;
    private static final int LIST_PAGES = 8;

    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor eager;
    private static Hypervisor lazy;

    @BeforeContainer
    static void boot() {
        eager = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        lazy = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        eager.frames().setP2mWrittenAtBuild(true);
    }

    @AfterContainer
    static void close() {
        eager.close();
        lazy.close();
        LEAKS.verify();
    }

    enum Kind { READ, WRITE, UNMAP, MAP_RO, MAP_RW, ALIAS, READ_ALIAS, PIN_L1, UNPIN, DECREASE }

    record Step(Kind kind, int page, int word, long value) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, LIST_PAGES - 1),
                Arbitraries.integers().between(0, 511),
                Arbitraries.longs()).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(30);
    }

    /** One guest on one host, and what it saw. */
    private static final class Run {
        final BareGuest g;
        final BootLayout layout;
        final long[] listMfn = new long[LIST_PAGES];
        final long aliasVa;
        final List<String> seen = new ArrayList<>();
        boolean crashed;

        Run(Hypervisor hv) throws Exception {
            g = BareGuest.create(hv, "p2m", DOMAIN_KIB);
            layout = g.domain.layout();
            for (int k = 0; k < LIST_PAGES; k++) {
                long pte = hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED,
                        TlbShootdownTest.l1EntryAddress(hv.machine().segment(), layout.l4Mfn(), layout.p2mVa() + 4096L * k));
                listMfn[k] = (pte >>> 12) & ((1L << 40) - 1);
            }
            aliasVa = layout.mappedEnd() - 4096;
        }

        long va(Step s) {
            return layout.p2mVa() + 4096L * s.page() + 8L * s.word();
        }

        long pte(int page, boolean rw) {
            return MachineMemory.maddr(listMfn[page]) | Mmu.PAGE_PRESENT | Mmu.PAGE_USER | (rw ? Mmu.PAGE_RW : 0);
        }

        long mmuext(int cmd, long mfn) {
            g.mem.putInt(g.scratch2, cmd);
            g.mem.putLong(g.scratch2 + 8, mfn);
            g.mem.putLong(g.scratch2 + 16, 0);
            return g.cpu.hypercall(Hypercall.MMUEXT_OP, g.scratch2, 1, 0, DomId.DOMID_SELF, 0);
        }

        long decrease(long mfn) {
            g.mem.putLong(g.scratch2, mfn);
            g.mem.putLong(g.scratch, g.scratch2);
            g.mem.putLong(g.scratch + 8, 1);
            g.mem.putInt(g.scratch + 16, 0);
            g.mem.putInt(g.scratch + 20, 0);
            g.mem.putShort(g.scratch + 24, (short) DomId.DOMID_SELF);
            return g.call(Hypercall.MEMORY_OP, MemoryOp.DECREASE_RESERVATION, g.scratch);
        }

        void step(Step s) {
            if (crashed) {
                return;
            }
            try {
                seen.add(s + " -> " + switch (s.kind()) {
                    case READ -> Long.toHexString(g.mem.getLong(va(s)));
                    case WRITE -> {
                        g.mem.putLong(va(s), s.value());
                        yield "written";
                    }
                    case UNMAP -> g.call(Hypercall.UPDATE_VA_MAPPING, layout.p2mVa() + 4096L * s.page(), 0, Uvmf.INVLPG);
                    case MAP_RO, MAP_RW -> g.call(Hypercall.UPDATE_VA_MAPPING, layout.p2mVa() + 4096L * s.page(),
                            pte(s.page(), s.kind() == Kind.MAP_RW), Uvmf.INVLPG);
                    case ALIAS -> g.call(Hypercall.UPDATE_VA_MAPPING, aliasVa, pte(s.page(), false), Uvmf.INVLPG);
                    case READ_ALIAS -> Long.toHexString(g.mem.getLong(aliasVa + 8L * s.word()));
                    case PIN_L1 -> mmuext(MmuextOp.PIN_L1_TABLE, listMfn[s.page()]);
                    case UNPIN -> mmuext(MmuextOp.UNPIN_TABLE, listMfn[s.page()]);
                    case DECREASE -> decrease(listMfn[s.page()]);
                });
            } catch (GuestAbort e) {
                crashed = true;
                seen.add(s + " -> crashed");
            }
        }

        /** Every page of the list that is still the domain's, read whole through the alias. */
        void readAll() {
            for (int k = 0; k < LIST_PAGES && !crashed; k++) {
                long rc = g.call(Hypercall.UPDATE_VA_MAPPING, aliasVa, pte(k, false), Uvmf.INVLPG);
                seen.add("alias page " + k + " -> " + rc);
                if (rc == 0) {
                    StringBuilder words = new StringBuilder();
                    for (int w = 0; w < 512; w++) {
                        words.append(Long.toHexString(g.mem.getLong(aliasVa + 8L * w))).append(' ');
                    }
                    seen.add("page " + k + ": " + words);
                }
            }
        }
    }

    @Property(tries = 80, shrinking = ShrinkingMode.BOUNDED)
    @Label("a guest that unmaps, remaps, aliases, writes, pins and gives back its P2M list's pages sees what Xen's eager builder would show it")
    void shouldSeeTheEagerListWhateverTheGuestDoes(@ForAll("steps") List<Step> steps) throws Exception {
        Run e = new Run(eager);
        Run l = new Run(lazy);
        try {
            assertThat(l.layout).isEqualTo(e.layout);
            assertThat(l.listMfn).isEqualTo(e.listMfn);
            for (Step s : steps) {
                e.step(s);
                l.step(s);
            }
            e.readAll();
            l.readAll();
            assertThat(l.seen).containsExactlyElementsOf(e.seen);
            assertThat(lazy.unhandledExceptions()).isZero();
        } finally {
            eager.destroy(e.g.domain);
            lazy.destroy(l.g.domain);
        }
        assertThat(lazy.frames().p2mPagesUnwritten()).as("a destroyed domain leaves no page of its list pending").isZero();
        assertThat(lazy.frames().freeFrames()).as("both hosts give every frame back alike").isEqualTo(eager.frames().freeFrames());
    }
}
