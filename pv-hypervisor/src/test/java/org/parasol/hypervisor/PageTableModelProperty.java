package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.abi.VmAssist;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Random sequences of page-table updates — mappings made and removed through update_va_mapping,
 * mmu_update and trapped direct writes, read-only and writable, some of them of a page table —
 * checked after every step against a model that only counts: a frame's reference count is its
 * allocation plus one per present entry mapping it; its writable type count is the number of
 * writable entries; a page table never gets a writable entry.
 */
class PageTableModelProperty {
    static final long VA = 0x20_0000L + 0x1000;
    static final int VAS = 8;
    static final int FRAMES = 5;

    /** jqwik runs no JUnit extension: the container checks for leaks itself once it closed the host. */
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;

    @BeforeContainer
    static void boot() {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
    }

    @AfterContainer
    static void close() {
        hv.close();
        LEAKS.verify();
    }

    /** How an update reaches the hypervisor. */
    enum Via { UPDATE_VA_MAPPING, MMU_UPDATE, TRAPPED_WRITE }

    /** Map frame {@code frame} (FRAMES = the L4 page table) at VA slot {@code slot}, or unmap it (frame -1). */
    record Step(int slot, int frame, boolean writable, Via via) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Combinators.combine(
                Arbitraries.integers().between(0, VAS - 1),
                Arbitraries.integers().between(-1, FRAMES),
                Arbitraries.of(true, false),
                Arbitraries.of(Via.class)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    void countsFollowTheModelAfterEveryStep(@ForAll("steps") List<Step> steps) throws Exception {
        BareGuest g = BareGuest.create(hv, "model", 8192);
        try {
            assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, VmAssist.TYPE_WRITABLE_PAGETABLES)).isZero();
            FrameTable frames = hv.frames();
            long[] mfn = new long[FRAMES + 1];
            for (int i = 0; i < FRAMES; i++) {
                mfn[i] = g.mem.getLong(g.domain.layout().p2mVa() + 8 * (g.domain.layout().mappedPages() + i));
            }
            mfn[FRAMES] = g.domain.layout().l4Mfn();
            long[] baseRefs = new long[FRAMES + 1];
            long[] baseTypes = new long[FRAMES + 1];
            for (int i = 0; i <= FRAMES; i++) {
                baseRefs[i] = frames.refCount(mfn[i]);
                baseTypes[i] = FrameTable.typeCount(frames.typeInfo(mfn[i]));
            }
            long l1Maddr = TlbShootdownTest.l1EntryAddress(hv.machine().segment(), g.domain.layout().l4Mfn(), VA);
            long l1TableVa = l1TableVa(g, l1Maddr >>> 12);
            Map<Integer, long[]> model = new HashMap<>(); // slot -> {frame index, writable}
            for (Step s : steps) {
                long va = VA + 0x1000L * s.slot;
                long entryMaddr = l1Maddr + 8L * s.slot;
                long pte = s.frame < 0 ? 0
                        : MachineMemory.maddr(mfn[s.frame]) | Mmu.PAGE_PRESENT | Mmu.PAGE_USER | (s.writable ? Mmu.PAGE_RW : 0);
                boolean refused = s.frame == FRAMES && s.writable;
                Via via = refused && s.via == Via.TRAPPED_WRITE ? Via.UPDATE_VA_MAPPING : s.via;
                long rc = switch (via) {
                    case UPDATE_VA_MAPPING -> g.call(Hypercall.UPDATE_VA_MAPPING, va, pte, Uvmf.INVLPG);
                    case MMU_UPDATE -> {
                        g.mem.putLong(g.scratch2, entryMaddr);
                        g.mem.putLong(g.scratch2 + 8, pte);
                        yield g.cpu.hypercall(Hypercall.MMU_UPDATE, g.scratch2, 1, 0, DomId.DOMID_SELF, 0);
                    }
                    case TRAPPED_WRITE -> {
                        g.mem.putLong(l1TableVa + (entryMaddr & 4095), pte);
                        yield 0;
                    }
                };
                assertThat(rc).as("%s", s).isEqualTo(refused ? -org.parasol.hypercall.Errno.EINVAL : 0);
                if (!refused) {
                    if (s.frame < 0) {
                        model.remove(s.slot);
                    } else {
                        model.put(s.slot, new long[] {s.frame, s.writable ? 1 : 0});
                    }
                }
                assertThat(hv.machine().segment().get(ValueLayout.JAVA_LONG, entryMaddr) & ~(Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY))
                        .as("entry after %s", s).isEqualTo(model.containsKey(s.slot) ? entryOf(model.get(s.slot), mfn) : 0);
                for (int f = 0; f <= FRAMES; f++) {
                    long mappings = 0;
                    long writable = 0;
                    for (long[] m : model.values()) {
                        if (m[0] == f) {
                            mappings++;
                            writable += m[1];
                        }
                    }
                    assertThat(frames.refCount(mfn[f])).as("refs of frame %d after %s", f, s).isEqualTo(baseRefs[f] + mappings);
                    long ti = frames.typeInfo(mfn[f]);
                    if (f == FRAMES) {
                        assertThat(FrameTable.pageType(ti)).isEqualTo(FrameTable.PGT_L4_PAGE_TABLE);
                        assertThat(FrameTable.typeCount(ti)).isEqualTo(baseTypes[f]);
                    } else {
                        assertThat(FrameTable.typeCount(ti)).as("writable count of frame %d after %s", f, s).isEqualTo(writable);
                    }
                }
            }
        } finally {
            hv.destroy(g.domain);
        }
        assertThat(hv.unhandledExceptions()).isZero();
    }

    private static long entryOf(long[] m, long[] mfn) {
        return MachineMemory.maddr(mfn[(int) m[0]]) | Mmu.PAGE_PRESENT | Mmu.PAGE_USER | (m[1] == 1 ? Mmu.PAGE_RW : 0);
    }

    private static long l1TableVa(BareGuest g, long l1Mfn) {
        var layout = g.domain.layout();
        for (long pfn = layout.firstFreePfn() - layout.nrPtFrames(); pfn < layout.firstFreePfn(); pfn++) {
            if (g.mem.getLong(layout.p2mVa() + 8 * pfn) == l1Mfn) {
                return layout.vaOfPfn(pfn);
            }
        }
        throw new AssertionError("the L1 is not mapped");
    }
}
