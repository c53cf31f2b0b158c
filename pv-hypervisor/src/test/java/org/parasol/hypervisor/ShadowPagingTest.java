package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypercall.x86.Registers.RAX;
import static org.parasol.hypercall.x86.Registers.RDI;
import static org.parasol.hypercall.x86.Registers.RSI;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.x86.Encoder;
import org.parasol.hypercall.x86.Instruction;
import org.parasol.hypercall.x86.RegisterFile;
import org.parasol.hypercall.x86.Registers;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Virtualization;
import org.parasol.hypervisor.domain.VmExits;
import org.parasol.hypervisor.hvm.ExitReason;
import org.parasol.hypervisor.mm.ShadowPageTables;
import org.parasol.hypervisor.testing.LeakCheck;
import org.parasol.hypervisor.time.ManualClock;

/**
 * Shadow page tables under trap-and-emulate (and binary translation), driven instruction by
 * instruction from a bare vCPU: the guest's tables stay what it wrote, the MMU walks the
 * shadow, and each way the guest changes its tables reaches the shadow (a trapped store,
 * updating it in place or dropping it, invlpg, mov cr3, a hypercall).
 */
class ShadowPagingTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest g;
    private RegisterFile regs;
    private VmExits exits;
    private ShadowPageTables shadow;
    private final byte[] buf = new byte[64];
    /** Where the test's instructions are: a page of its own, past the two scratch pages. */
    private long text;

    /** bt: instructions go through {@code Translation.execute}, decoded once per rip. */
    private boolean translated;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        use(Virtualization.TRAP);
    }

    /** Makes the test's guest a new domain of configuration {@code virt}. */
    private void use(Virtualization virt) throws Exception {
        g = BareGuest.create(hv, new DomainConfig("shadow-" + virt.key(), 8192, 8192, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, virt));
        regs = g.cpu.registers();
        exits = g.domain.vcpu(0).vmExits();
        shadow = exits.shadow();
        text = g.scratch2 + 4096;
        translated = virt == Virtualization.BT;
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private void run(int n) {
        run(0, n);
    }

    /**
     * One instruction at {@code text + at}. Each kind the tests run has an address of its own,
     * so that a translation cached for it (bt) stays true.
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

    /** {@code mov [rdi], rsi}: the native kernel's PTE store, trapped (trap) or called inline (bt). */
    private void storePte(long entryVa, long value) {
        regs.set(RDI, entryVa);
        regs.set(RSI, value);
        run(16, Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI));
    }

    private void invlpg(long va) {
        regs.set(RDI, va);
        run(32, Encoder.invlpg(buf, 0, RDI, Instruction.NONE, 1, 0));
    }

    /** {@code mov rax, cr3; mov cr3, rax}: a TLB flush that keeps the shadows. */
    private void reloadCr3() {
        run(48, Encoder.movFromCr(buf, 0, RAX, Registers.CR3));
        run(64, Encoder.movToCr(buf, 0, Registers.CR3, RAX));
    }

    private long entryVa(long va) {
        long l1Maddr = hv.pageTables().l1EntryAddress(g.domain.domid(), g.domain.vcpu(0).baseMfn(), va);
        assertThat(l1Maddr).isPositive();
        return tableVa(l1Maddr >>> 12) + (l1Maddr & 0xFFF);
    }

    @Test
    @DisplayName("the MMU walks the shadow: the first access after the shadow entry is dropped is a hidden #PF exit "
            + "that fills it, and a CR3 reload flushes the TLB but keeps the shadow, so the next miss is no fault")
    void shouldFillOnAHiddenFaultAndKeepTheShadowAcrossACr3Reload() {
        long pte = entryVa(g.scratch2);
        storePte(pte, g.mem.getLong(pte)); // the same entry again: its shadow is dropped
        invlpg(g.scratch2);
        long hidden = shadow.hiddenFaults();
        long nmi = exits.exits(ExitReason.EXCEPTION_NMI);
        g.mem.getLong(g.scratch2);
        assertThat(shadow.hiddenFaults() - hidden).isEqualTo(1);
        assertThat(exits.exits(ExitReason.EXCEPTION_NMI) - nmi).as("a hidden fault is a #PF exit").isEqualTo(1);

        reloadCr3();
        long misses = g.domain.vcpu(0).mmu().tlbMisses();
        hidden = shadow.hiddenFaults();
        g.mem.getLong(g.scratch2);
        assertThat(g.domain.vcpu(0).mmu().tlbMisses()).as("the TLB was flushed").isGreaterThan(misses);
        assertThat(shadow.hiddenFaults()).as("the shadow was not").isEqualTo(hidden);
    }

    @Test
    @DisplayName("the guest reads back what it wrote into its table (Accessed and Dirty as the walk set them), and a "
            + "write through the now read-only mapping is its own #PF, reflected to it")
    void shouldKeepTheGuestsTablesAuthoritative() {
        long pte = entryVa(g.scratch2);
        long readOnly = g.mem.getLong(pte) & ~(Mmu.PAGE_RW | Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY);
        storePte(pte, readOnly);
        invlpg(g.scratch2);
        assertThat(g.mem.getLong(pte)).isEqualTo(readOnly);
        g.mem.getLong(g.scratch2);
        assertThat(g.mem.getLong(pte)).as("the hidden fault set Accessed in the guest's entry")
                .isEqualTo(readOnly | Mmu.PAGE_ACCESSED);
        long reflected = shadow.reflectedFaults();
        assertThatThrownBy(() -> g.mem.putLong(g.scratch2, 1)).isInstanceOf(GuestAbort.class);
        assertThat(shadow.reflectedFaults() - reflected).isEqualTo(1);
        assertThat(g.domain.crashCause()).contains("page fault");
    }

    @Test
    @DisplayName("a write to a clean writable page faults once more to set Dirty in the guest's entry, then goes "
            + "through the shadow writable")
    void shouldSetDirtyOnTheFirstWrite() {
        long pte = entryVa(g.scratch2);
        long clean = g.mem.getLong(pte) & ~(Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY);
        storePte(pte, clean);
        invlpg(g.scratch2);
        g.mem.getLong(g.scratch2);
        assertThat(g.mem.getLong(pte) & Mmu.PAGE_DIRTY).isZero();
        long hidden = shadow.hiddenFaults();
        g.mem.putLong(g.scratch2, 42);
        assertThat(shadow.hiddenFaults() - hidden).isEqualTo(1);
        assertThat(g.mem.getLong(pte) & Mmu.PAGE_DIRTY).isNotZero();
        g.mem.putLong(g.scratch2 + 8, 43);
        assertThat(shadow.hiddenFaults() - hidden).isEqualTo(1);
    }

    @Test
    @DisplayName("a trapped store that remaps a page drops its shadow entry: after invlpg the page reads the new "
            + "frame")
    void shouldRemapThroughATrappedStore() {
        g.mem.putLong(g.scratch, 0x1111);
        g.mem.putLong(g.scratch2, 0x2222);
        long drops = shadow.drops();
        long scratchPte = g.mem.getLong(entryVa(g.scratch));
        long pte = entryVa(g.scratch2);
        long updates = shadow.writeUpdates();
        long resyncs = shadow.resyncs();
        storePte(pte, scratchPte & ~(Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY));
        assertThat(shadow.writeUpdates() - updates).isEqualTo(1);
        assertThat(shadow.drops() - drops).as("not Accessed: not mirrored").isEqualTo(1);
        invlpg(g.scratch2);
        assertThat(g.mem.getLong(g.scratch2)).isEqualTo(0x1111);
        assertThat(shadow.resyncs()).as("the vCPU's own store keeps the shadow in step").isEqualTo(resyncs);
    }

    @Test
    @DisplayName("a trapped store of an Accessed entry into a slot the shadow mirrors updates the shadow entry in "
            + "place: after a TLB flush the page reads the new frame with no hidden fault")
    void shouldUpdateTheShadowInPlace() {
        inPlace();
        assertThat(exits.exits(ExitReason.EXCEPTION_NMI)).as("the store's #PF exit").isPositive();
    }

    @Test
    @DisplayName("bt walks shadows too: a translated PTE store updates the shadow in place with no exit, and its "
            + "second run calls the page-table emulation inline; aimed at an ordinary page it is an ordinary store")
    void shouldShadowATranslatedKernel() throws Exception {
        hv.destroy(g.domain);
        use(Virtualization.BT);
        assertThat(shadow).as("a bt vCPU's MMU walks shadows").isNotNull();
        inPlace();
        long inline = exits.inlinePageTableStores();
        long pte = entryVa(g.scratch2);
        storePte(pte, g.mem.getLong(pte));
        assertThat(exits.inlinePageTableStores() - inline).as("the store at the same rip, translated again").isEqualTo(1);
        // The same translated store aimed at an ordinary page is an ordinary store.
        storePte(g.scratch + 64, 0x7777);
        assertThat(g.mem.getLong(g.scratch + 64)).isEqualTo(0x7777);
        assertThat(exits.inlinePageTableStores() - inline).isEqualTo(1);
        assertThat(g.domain.state()).isEqualTo(DomainState.RUNNING);
        // A shadow miss under bt is the monitor's own fault: counted by the shadow, not a VM exit.
        storePte(pte, g.mem.getLong(pte) & ~Mmu.PAGE_ACCESSED);
        reloadCr3();
        long hidden = shadow.hiddenFaults();
        g.mem.getLong(g.scratch2);
        assertThat(shadow.hiddenFaults() - hidden).isEqualTo(1);
        assertThat(exits.exits()).as("no VM exit under bt").isZero();
    }

    /** The in-place check, for trap and bt: a remap to an Accessed entry is mirrored at once. */
    private void inPlace() {
        g.mem.putLong(g.scratch, 0x1111);
        g.mem.putLong(g.scratch2, 0x2222);
        long scratchPte = g.mem.getLong(entryVa(g.scratch));
        assertThat(scratchPte & Mmu.PAGE_ACCESSED).isNotZero();
        long pte = entryVa(g.scratch2);
        long updates = shadow.inPlaceUpdates();
        long drops = shadow.drops();
        storePte(pte, scratchPte);
        assertThat(shadow.inPlaceUpdates() - updates).isEqualTo(1);
        assertThat(shadow.drops()).isEqualTo(drops);
        reloadCr3();
        long hidden = shadow.hiddenFaults();
        assertThat(g.mem.getLong(g.scratch2)).isEqualTo(0x1111);
        assertThat(shadow.hiddenFaults()).as("no refill: the shadow already had it").isEqualTo(hidden);
        g.mem.putLong(g.scratch2, 0x3333); // Dirty was set: writable through the shadow at once
        assertThat(g.mem.getLong(g.scratch)).isEqualTo(0x3333);
        assertThat(shadow.hiddenFaults()).isEqualTo(hidden);
    }

    @Test
    @DisplayName("a store of an entry that is not yet Accessed drops the shadow entry: the next access is a hidden "
            + "fault that sets Accessed in the guest's entry")
    void shouldDropWhatCannotBeMirrored() {
        long pte = entryVa(g.scratch2);
        long notAccessed = g.mem.getLong(pte) & ~Mmu.PAGE_ACCESSED;
        long drops = shadow.drops();
        storePte(pte, notAccessed);
        assertThat(shadow.drops() - drops).isEqualTo(1);
        reloadCr3();
        long hidden = shadow.hiddenFaults();
        g.mem.getLong(g.scratch2);
        assertThat(shadow.hiddenFaults() - hidden).isEqualTo(1);
        assertThat(g.mem.getLong(pte) & Mmu.PAGE_ACCESSED).isNotZero();
    }

    @Test
    @DisplayName("a change the trap path did not see (update_va_mapping) makes the next walk resync from the guest's "
            + "tables")
    void shouldResyncAfterAHypercallChange() {
        g.mem.putLong(g.scratch, 0x1111);
        long scratchPte = g.mem.getLong(entryVa(g.scratch));
        long resyncs = shadow.resyncs();
        long rc = g.cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, g.scratch2, scratchPte, Uvmf.INVLPG, 0, 0);
        assertThat(rc).isZero();
        assertThat(g.mem.getLong(g.scratch2)).isEqualTo(0x1111);
        assertThat(shadow.resyncs() - resyncs).isEqualTo(1);
    }

    @Test
    @DisplayName("a store that would map one of its own page tables writable is refused: the guest's #PF, and the "
            + "table is untouched")
    void shouldNeverMapAPageTableWritable() {
        long pte = entryVa(g.scratch2);
        long l1Mfn = hv.pageTables().l1EntryAddress(g.domain.domid(), g.domain.vcpu(0).baseMfn(), g.scratch2) >>> 12;
        long before = g.mem.getLong(pte);
        regs.set(RDI, pte);
        regs.set(RSI, l1Mfn << 12 | Mmu.PAGE_PRESENT | Mmu.PAGE_RW);
        for (int i = 0; i < 8; i++) {
            g.mem.putByte(text + i, (byte) 0);
        }
        int n = Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI);
        for (int i = 0; i < n; i++) {
            g.mem.putByte(text + i, buf[i]);
        }
        regs.rip(text);
        assertThatThrownBy(() -> g.cpu.execute(1)).isInstanceOf(GuestAbort.class);
        assertThat(g.domain.state()).isEqualTo(DomainState.SHUTDOWN);
        assertThat(hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED,
                hv.pageTables().l1EntryAddress(g.domain.domid(), g.domain.vcpu(0).baseMfn(), g.scratch2)))
                .isEqualTo(before);
    }

    @Test
    @DisplayName("mov cr3 to another L4 builds its shadow; switching back finds the first one still filled")
    void shouldKeepAShadowPerAddressSpace() {
        // A second address space: a copy of the L4 in a free page, pinned by mov cr3 (getBaseRef validates it).
        long l4 = g.domain.vcpu(0).baseMfn();
        long l4Va = tableVa(l4);
        long copyVa = g.scratch2 + 2 * 4096;
        long copyPte = entryVa(copyVa);
        for (int i = 0; i < 512; i++) {
            long e = g.mem.getLong(l4Va + i * 8L);
            g.mem.putLong(copyVa + i * 8L, i >= 256 && i <= 271 ? 0 : e);
        }
        long copyMfn = g.mem.getLong(copyPte) >>> 12 & 0xF_FFFF_FFFFL;
        // Make the page read-only first, as a kernel does before it uses a page as a table.
        storePte(copyPte, g.mem.getLong(copyPte) & ~Mmu.PAGE_RW);
        invlpg(copyVa);
        // Pinned, as a PV kernel pins its L4s: switching away from it leaves it a page table, so
        // nothing stops being one (which would move the generation and drop every shadow).
        g.mem.putInt(g.scratch, org.parasol.hypercall.abi.MmuextOp.PIN_L4_TABLE);
        g.mem.putLong(g.scratch + 8, copyMfn);
        assertThat(g.cpu.hypercall(Hypercall.MMUEXT_OP, g.scratch, 1, 0, org.parasol.hypercall.DomId.DOMID_SELF, 0))
                .isZero();
        g.mem.putLong(g.scratch2, 0x5151);
        g.mem.getLong(g.scratch);
        long builds = shadow.builds();
        regs.set(RAX, copyMfn << 12);
        run(Encoder.movToCr(buf, 0, Registers.CR3, RAX));
        assertThat(g.domain.vcpu(0).baseMfn()).isEqualTo(copyMfn);
        assertThat(shadow.builds() - builds).as("the new root").isGreaterThanOrEqualTo(1);
        assertThat(g.mem.getLong(g.scratch2)).as("the same L3 down: the same page").isEqualTo(0x5151);
        regs.set(RAX, l4 << 12);
        long hidden = shadow.hiddenFaults();
        run(Encoder.movToCr(buf, 0, Registers.CR3, RAX));
        g.mem.getLong(g.scratch);
        assertThat(shadow.hiddenFaults()).as("the first address space's shadow is still there").isEqualTo(hidden);
    }

    @Test
    @DisplayName("an L1 table unhooked by a trapped store loses its last type reference and becomes an ordinary "
            + "frame: the page-table generation moves, so once the guest has written it as data and hooked it again "
            + "the shadow maps through what it now holds, not through a stale mirror of its old entries")
    void shouldDropTheShadowOfAFrameThatStopsBeingATable() {
        long vT = g.scratch2 + 3 * 4096;
        long vA = g.scratch2 + 4 * 4096;
        long vB = g.scratch2 + 5 * 4096;
        g.mem.putLong(vA, 0xAAAA);
        g.mem.putLong(vB, 0xBBBB);
        long tPte = entryVa(vT);
        long mfnT = g.mem.getLong(tPte) >>> 12 & 0xF_FFFF_FFFFL;
        long mfnA = g.mem.getLong(entryVa(vA)) >>> 12 & 0xF_FFFF_FFFFL;
        long mfnB = g.mem.getLong(entryVa(vB)) >>> 12 & 0xF_FFFF_FFFFL;
        long leafFlags = Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY;
        // T becomes an L1 table mapping A at slot 3 of an empty 2 MiB region R of the scratch's L2.
        for (int i = 0; i < 512; i++) {
            g.mem.putLong(vT + 8L * i, 0);
        }
        g.mem.putLong(vT + 8 * 3, mfnA << 12 | leafFlags);
        long region = (g.scratch & ~((1L << 30) - 1)) + (256L << 21);
        long l2Entry = tableEntryVa(region, 2);
        assertThat(g.mem.getLong(l2Entry)).as("an empty L2 slot").isZero();
        storePte(tPte, g.mem.getLong(tPte) & ~Mmu.PAGE_RW); // read-only first, as a kernel does
        invlpg(vT);
        long hook = mfnT << 12 | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_ACCESSED;
        storePte(l2Entry, hook);
        assertThat(g.mem.getLong(region + 3 * 4096)).as("through T's shadow: A").isEqualTo(0xAAAA);

        // Unhooked: T's last type reference goes, it is an ordinary frame again.
        long generation = g.domain.pages().pageTableGeneration();
        storePte(l2Entry, 0);
        assertThat(g.domain.pages().pageTableGeneration() - generation)
                .as("the entry written, and T no longer a table").isEqualTo(2);
        // Written as data through a writable mapping: slot 3 now maps B.
        storePte(tPte, g.mem.getLong(tPte) | Mmu.PAGE_RW | Mmu.PAGE_DIRTY);
        invlpg(vT);
        g.mem.putLong(vT + 8 * 3, mfnB << 12 | leafFlags);
        storePte(tPte, g.mem.getLong(tPte) & ~Mmu.PAGE_RW);
        invlpg(vT);
        // Hooked again (validated with what it now holds), and the TLB flushed: B, as the guest's tables say.
        storePte(l2Entry, hook);
        reloadCr3();
        assertThat(g.mem.getLong(region + 3 * 4096)).as("through T's entries as they are now").isEqualTo(0xBBBB);
    }

    /** The VA of the bootstrap table entry of {@code va} at {@code level} (2-4), walking from CR3. */
    private long tableEntryVa(long va, int level) {
        long table = g.domain.vcpu(0).baseMfn();
        for (int l = 4; l > level; l--) {
            long e = g.mem.getLong(tableVa(table) + 8L * (va >>> (12 + 9 * (l - 1)) & 511));
            table = e >>> 12 & 0xF_FFFF_FFFFL;
        }
        return tableVa(table) + 8L * (va >>> (12 + 9 * (level - 1)) & 511);
    }

    /** The VA at which the bootstrap tables map page-table frame {@code mfn}. */
    private long tableVa(long mfn) {
        long si = g.domain.startInfoVa();
        long ptBase = g.mem.getLong(si + 88);
        long nrPt = g.mem.getLong(si + 96);
        for (long i = 0; i < nrPt; i++) {
            long va = ptBase + i * 4096;
            if (g.domain.vcpu(0).mmu().translate(va, false) >>> 12 == mfn) {
                return va;
            }
        }
        throw new AssertionError("frame " + mfn + " is not a bootstrap table");
    }
}
