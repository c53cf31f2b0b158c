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
 * Shadow page tables under trap-and-emulate, driven instruction by instruction from a bare
 * vCPU: the guest's tables stay what it wrote, the MMU walks the shadow, and each way the
 * guest changes its tables reaches the shadow (a trapped store, invlpg, mov cr3, a hypercall).
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

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        g = BareGuest.create(hv, new DomainConfig("shadow", 8192, 8192, 1, null, "", false, DomainConfig.Action.PRESERVE,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, Virtualization.TRAP));
        regs = g.cpu.registers();
        exits = g.domain.vcpu(0).vmExits();
        shadow = exits.shadow();
        text = g.scratch2 + 4096;
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private void run(int n) {
        for (int i = 0; i < n; i++) {
            g.mem.putByte(text + i, buf[i]);
        }
        regs.rip(text);
        g.cpu.execute(1);
    }

    /** {@code mov [rdi], rsi}: the native kernel's PTE store, trapped. */
    private void storePte(long entryVa, long value) {
        regs.set(RDI, entryVa);
        regs.set(RSI, value);
        run(Encoder.movStore(buf, 0, 8, RDI, Instruction.NONE, 1, 0, RSI));
    }

    private void invlpg(long va) {
        regs.set(RDI, va);
        run(Encoder.invlpg(buf, 0, RDI, Instruction.NONE, 1, 0));
    }

    /** {@code mov rax, cr3; mov cr3, rax}: a TLB flush that keeps the shadows. */
    private void reloadCr3() {
        run(Encoder.movFromCr(buf, 0, RAX, Registers.CR3));
        run(Encoder.movToCr(buf, 0, Registers.CR3, RAX));
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
        long scratchPte = g.mem.getLong(entryVa(g.scratch));
        long pte = entryVa(g.scratch2);
        long updates = shadow.writeUpdates();
        long resyncs = shadow.resyncs();
        storePte(pte, scratchPte & ~(Mmu.PAGE_ACCESSED | Mmu.PAGE_DIRTY));
        assertThat(shadow.writeUpdates() - updates).isEqualTo(1);
        invlpg(g.scratch2);
        assertThat(g.mem.getLong(g.scratch2)).isEqualTo(0x1111);
        assertThat(shadow.resyncs()).as("the vCPU's own store keeps the shadow in step").isEqualTo(resyncs);
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
