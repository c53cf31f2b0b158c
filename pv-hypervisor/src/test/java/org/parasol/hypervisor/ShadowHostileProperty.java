package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RSI;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.zip.CRC32C;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypercall.x86.Registers;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * "We can't trust the guest" under shadow paging: a trap-and-emulate or binary-translated guest stores random
 * entries into random slots of its own page tables (its own frames, its own tables writable,
 * another domain's frames, reserved bits, grant bits, garbage), reads and writes through what it
 * mapped, invalidates and switches CR3 at random, and changes its tables by hypercall behind the
 * shadow's back. Whatever it does, it gets #PF or #GP (and, having no handler, ends) or goes on;
 * the hypervisor throws nothing, a bystander's memory is untouched, and none of the guest's
 * tables ever holds a writable mapping of a page table or a mapping of a frame it may not map
 * — which a store that got past the shadow's write protection would leave behind.
 */
class ShadowHostileProperty {
    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static Domain bystander;
    private static int created;

    @BeforeContainer
    static void boot() throws Exception {
        hv = LEAKS.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        bystander = hv.createBareDomain(DomainConfig.of("bystander", null, 1));
    }

    @AfterContainer
    static void close() {
        hv.close();
        LEAKS.verify();
    }

    /** What a hostile step does; {@code a} and {@code b} pick slots, frames and values. */
    enum Kind { STORE_PTE, LOAD, STORE, INVLPG, MOV_CR3, UPDATE_VA_MAPPING }

    record Step(Kind kind, int a, int b, long raw) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Kind> kind = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(Kind.STORE_PTE)),
                Tuple.of(3, Arbitraries.just(Kind.LOAD)), Tuple.of(3, Arbitraries.just(Kind.STORE)),
                Tuple.of(2, Arbitraries.just(Kind.INVLPG)), Tuple.of(1, Arbitraries.just(Kind.MOV_CR3)),
                Tuple.of(1, Arbitraries.just(Kind.UPDATE_VA_MAPPING)));
        return Combinators.combine(kind, Arbitraries.integers().between(0, 1 << 20),
                Arbitraries.integers().between(0, 1 << 20), Arbitraries.longs())
                .as(Step::new).list().ofMinSize(20).ofMaxSize(40);
    }

    @Property(tries = 100)
    @Label("a trap-and-emulate guest writing random page-table entries gets #PF/#GP or goes on; the hypervisor, the "
            + "bystander and the write protection of the guest's tables hold")
    void shouldContainRandomPageTableWrites(@ForAll("steps") List<Step> steps) throws Exception {
        contain(steps, Virtualization.TRAP);
    }

    @Property(tries = 100)
    @Label("a binary-translated guest writing random page-table entries (its stores called inline, its MMU on "
            + "shadows) gets #PF/#GP or goes on; the hypervisor, the bystander and the write protection hold")
    void shouldContainRandomPageTableWritesTranslated(@ForAll("steps") List<Step> steps) throws Exception {
        contain(steps, Virtualization.BT);
    }

    private void contain(List<Step> steps, Virtualization virt) throws Exception {
        long bystanderSum = checksum(bystander);
        BareGuest g = BareGuest.create(hv, new DomainConfig("hostile" + created++, 8192, 8192, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, virt));
        try {
            Hostile h = new Hostile(g, virt == Virtualization.BT);
            int ran = 0;
            try {
                for (Step s : steps) {
                    h.step(s);
                    ran++;
                    if (g.domain.state() == DomainState.SHUTDOWN) {
                        break;
                    }
                }
            } catch (GuestAbort ended) {
                // #PF or #GP with no handler: the domain ended, as the machine's fault would end it
            }
            var exits = g.domain.vcpu(0).vmExits();
            var shadow = exits.shadow();
            if (h.translated) {
                assertThat(exits.exits()).as("a translated guest takes no VM exit, its shadow faults included").isZero();
            }
            Statistics.label("shadow entries updated in place").collect(shadow.inPlaceUpdates() > 0);
            Statistics.label("steps before the end").collect(ran < 5 ? "<5" : ran < 20 ? "5-19" : "20+");
            Statistics.label("page-table stores accepted").collect(g.domain.vcpu(0).ptwrEmulations() > 0);
            Statistics.label("hidden faults").collect(shadow.hiddenFaults() > 0);
            Statistics.label("ended by").collect(g.domain.state() == DomainState.SHUTDOWN
                    ? (h.gaveUp ? "fault loop" : "#GP/#UD") : "ran every step");
            assertThat(h.shadowRefusedWhatTheGuestAllows).as("the shadow refused an access the guest's tables allow")
                    .isFalse();
            assertThat(hv.unhandledExceptions()).isZero();
            assertThat(checksum(bystander)).isEqualTo(bystanderSum);
            assertNoForbiddenMapping(g.domain);
        } finally {
            hv.destroy(g.domain);
        }
    }

    /** Every present L1 entry in the domain's tables maps a frame it may map, writable only if not a page table. */
    private static void assertNoForbiddenMapping(Domain d) {
        FrameTable frames = hv.frames();
        MemorySegment mem = hv.machine().segment();
        for (long mfn = 0; mfn < frames.frameCount(); mfn++) {
            if (frames.owner(mfn) != d.domid()
                    || FrameTable.pageType(frames.typeInfo(mfn)) != FrameTable.PGT_L1_PAGE_TABLE
                    || FrameTable.typeCount(frames.typeInfo(mfn)) == 0) {
                continue;
            }
            for (int i = 0; i < 512; i++) {
                long e = mem.get(ValueLayout.JAVA_LONG_UNALIGNED, MachineMemory.maddr(mfn) + i * 8L);
                if ((e & Mmu.PAGE_PRESENT) == 0) {
                    continue;
                }
                long target = (e >>> 12) & 0xF_FFFF_FFFFL;
                assertThat(frames.mayMap(d.domid(), target)).as("L1 %d[%d] = %x", mfn, i, e).isTrue();
                if ((e & Mmu.PAGE_RW) != 0) {
                    assertThat(FrameTable.isPageTableType(FrameTable.pageType(frames.typeInfo(target))))
                            .as("L1 %d[%d] = %x maps a page table writable", mfn, i, e).isFalse();
                }
            }
        }
    }

    private static long checksum(Domain d) {
        CRC32C crc = new CRC32C();
        MemorySegment mem = hv.machine().segment();
        for (long mfn = 0; mfn < hv.frames().frameCount(); mfn++) {
            if (hv.frames().owner(mfn) == d.domid()) {
                crc.update(mem.asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE).asByteBuffer());
                crc.update((int) mfn);
            }
        }
        return crc.getValue();
    }

    /** One hostile guest: its tables, its frames, and the bystander's, to aim at. */
    private static final class Hostile {
        private final BareGuest g;
        private final RegisterFile regs;
        private final long ptBase;
        private final int nrPt;
        private final long text;
        private final byte[] buf = new byte[16];
        /** bt: instructions run through {@code Translation.execute}, cached per rip. */
        final boolean translated;

        /** Page faults in the current step; the handler gives up (crashing the guest) past a few. */
        private int faults;
        boolean gaveUp;
        /** The current access is one the guest's own tables allow (checked by a walk of them first). */
        private boolean allowed;
        boolean shadowRefusedWhatTheGuestAllows;

        Hostile(BareGuest g, boolean translated) {
            this.g = g;
            this.translated = translated;
            this.regs = g.cpu.registers();
            long si = g.domain.startInfoVa();
            this.ptBase = g.mem.getLong(si + 88);
            this.nrPt = (int) g.mem.getLong(si + 96);
            this.text = g.scratch;
            // A #PF handler that lets the guest go on: a refused trapped store is skipped, as a
            // kernel's fixup would skip it; a fault that repeats is a loop, and it gives up.
            long handler = g.cpu.registerCode((org.parasol.hypercall.TrapHandler) (c, vector, error, address) -> {
                if (++faults > 3) {
                    gaveUp = true;
                    shadowRefusedWhatTheGuestAllows |= allowed;
                    throw new IllegalStateException("a fault loop at " + Long.toHexString(address));
                }
            });
            long table = g.scratch2 + 4096;
            g.mem.fill(table, 32, (byte) 0);
            g.mem.putByte(table, (byte) 14);
            g.mem.putLong(table + 8, handler);
            assertThat(g.call(Hypercall.SET_TRAP_TABLE, table)).isZero();
        }

        void step(Step s) {
            faults = 0;
            allowed = false;
            switch (s.kind()) {
                case STORE_PTE -> {
                    long entryVa = ptBase + (long) (s.a() % nrPt) * 4096 + (s.b() % 512) * 8L;
                    regs.set(RDI, entryVa);
                    regs.set(RSI, value(s));
                    run(0, Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI));
                }
                case LOAD -> {
                    long va = va(s);
                    if (g.domain.vcpu(0).mmu().translate(va, false) >= 0) {
                        allowed = true;
                        g.mem.getLong(va);
                    }
                }
                case STORE -> {
                    long va = va(s);
                    long v = value(s);
                    if (g.domain.vcpu(0).mmu().translate(va, true) >= 0) {
                        allowed = true;
                        g.mem.putLong(va, v);
                        allowed = false;
                    }
                    // The store instruction: a page-table write is trapped, a refused one skipped.
                    regs.set(RDI, va);
                    regs.set(RSI, v);
                    run(0, Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI));
                }
                case INVLPG -> {
                    regs.set(RDI, va(s));
                    run(16, Encoder.invlpg(buf, 0, RDI, Instruction.NONE, 1, 0));
                }
                case MOV_CR3 -> {
                    regs.set(RAX, frame(s) << 12);
                    run(32, Encoder.movToCr(buf, 0, Registers.CR3, RAX));
                }
                case UPDATE_VA_MAPPING -> g.cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, va(s), value(s),
                        s.b() % 2 == 0 ? Uvmf.INVLPG : Uvmf.TLB_FLUSH, 0, 0);
            }
        }

        /**
         * One instruction at {@code text + at}: each kind has its own address, so a translation
         * cached for it stays true (the same bytes are written there every time).
         */
        private void run(int at, int n) {
            for (int i = 0; i < n; i++) {
                g.mem.putByte(text + at + i, buf[i]);
            }
            regs.rip(text + at);
            if (translated) {
                g.cpu.executeTranslated(1);
            } else {
                g.cpu.execute(1);
            }
        }

        /** A virtual address: mostly the domain's low pages (tables included), sometimes anywhere. */
        private long va(Step s) {
            return switch (s.a() % 4) {
                case 0 -> ptBase + (long) (s.b() % nrPt) * 4096 + (s.b() & 0xFF8);
                case 1, 2 -> g.scratch2 + (long) (s.b() % 512) * 4096 + (s.b() & 0xFF8);
                default -> s.raw() & 0x0000_7FFF_FFFF_FFF8L;
            };
        }

        /** A frame: one of the domain's tables, one of its pages, the bystander's, or any. */
        private long frame(Step s) {
            return switch (s.b() % 8) {
                case 0 -> g.domain.vcpu(0).mmu().translate(ptBase + (long) (s.a() % nrPt) * 4096, false) >>> 12;
                case 1, 2, 3, 4 -> g.domain.vcpu(0).mmu().translate(g.scratch2 + (long) (s.a() % 256) * 4096, false) >>> 12;
                case 5 -> bystanderFrame(s.a());
                case 6 -> s.a();
                default -> (s.raw() >>> 12) & 0xF_FFFF_FFFFL;
            };
        }

        private long value(Step s) {
            long flags = switch ((s.b() >>> 3) % 6) {
                case 0 -> Mmu.PAGE_PRESENT | Mmu.PAGE_RW;
                case 1 -> Mmu.PAGE_PRESENT;
                case 2 -> Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_PSE;
                case 3 -> Mmu.PAGE_PRESENT | Mmu.PAGE_RW | 1L << 62;
                case 4 -> 0;
                default -> s.raw() & 0xFFF;
            };
            return s.a() % 7 == 0 ? s.raw() : frame(s) << 12 | flags;
        }
    }

    private static long bystanderFrame(int pick) {
        FrameTable frames = hv.frames();
        long n = frames.frameCount();
        for (long i = 0; i < n; i++) {
            long mfn = (pick + i) % n;
            if (frames.owner(mfn) == bystander.domid()) {
                return mfn;
            }
        }
        return 0;
    }
}
