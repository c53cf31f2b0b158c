package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypercall.Errno.EFAULT;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOSYS;
import static org.parasol.hypercall.Errno.EPERM;
import static org.parasol.hypercall.Errno.ESRCH;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GuestAbort;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.TrapHandler;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.MmuextOp;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.abi.VmAssist;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.mm.PageTables;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The PV MMU through its hypercalls and its trap path, from a bare domain of 8 MiB (1024
 * pages mapped at start of day, 1024 more owned but unmapped: the "spare" frames).
 */
class PvMmuTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    static final long RW = Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER;
    static final long RO = Mmu.PAGE_PRESENT | Mmu.PAGE_USER;
    /** Free VAs under the builder's L1 for 0x200000 (shared_info sits at its first page). */
    static final long VA = 0x20_0000L + 0x1000;

    private Hypervisor hv;
    private BareGuest g;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20).withClock(new ManualClock()).withPcpus(1)));
        // Kept after a crash, so the reaper cannot release frames while a test still counts them.
        g = BareGuest.create(hv, new DomainConfig("pv", 8192, 8192, 1, null, "", false,
                DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE));
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    FrameTable frames() {
        return hv.frames();
    }

    long mfnOfPfn(BareGuest guest, long pfn) {
        return guest.mem.getLong(guest.domain.layout().p2mVa() + 8 * pfn);
    }

    /** A frame of the guest that is not mapped anywhere. */
    long spare(int i) {
        return mfnOfPfn(g, g.domain.layout().mappedPages() + i);
    }

    long l1e(long va) {
        return TlbShootdownTest.l1EntryAddress(hv.machine().segment(), g.domain.vcpu(0).baseMfn(), va);
    }

    long pte(long va) {
        return hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, l1e(va));
    }

    long uvm(long va, long pte, long flags) {
        return g.call(Hypercall.UPDATE_VA_MAPPING, va, pte, flags);
    }

    /** Writes {@code n} mmu_update requests at scratch2 and issues them. */
    long mmuUpdate(long[] ptrs, long[] vals, long foreigndom) {
        for (int i = 0; i < ptrs.length; i++) {
            g.mem.putLong(g.scratch2 + 16L * i, ptrs[i]);
            g.mem.putLong(g.scratch2 + 16L * i + 8, vals[i]);
        }
        g.mem.putInt(g.scratch, -1);
        return g.cpu.hypercall(Hypercall.MMU_UPDATE, g.scratch2, ptrs.length, g.scratch, foreigndom, 0);
    }

    int done() {
        return g.mem.getInt(g.scratch);
    }

    long mmuext(int cmd, long arg1, long arg2) {
        g.mem.putInt(g.scratch2, cmd);
        g.mem.putLong(g.scratch2 + 8, arg1);
        g.mem.putLong(g.scratch2 + 16, arg2);
        return g.cpu.hypercall(Hypercall.MMUEXT_OP, g.scratch2, 1, 0, DomId.DOMID_SELF, 0);
    }

    /**
     * Every frame's counts, one line per frame that has any: the reference count, the type count
     * and the validated and pinned bits. (A failed validation may leave the type field itself
     * changed with a count of 0, as on Xen; that changes no reference.)
     */
    List<String> counts() {
        List<String> c = new ArrayList<>();
        for (long mfn = 0; mfn < frames().frameCount(); mfn++) {
            long ti = frames().typeInfo(mfn);
            int refs = frames().refCount(mfn);
            if (refs != 0 || FrameTable.typeCount(ti) != 0) {
                c.add(String.format("mfn %d: refs %d, type count %d%s%s", mfn, refs, FrameTable.typeCount(ti),
                        FrameTable.isValidated(ti) && FrameTable.typeCount(ti) > 0 ? " validated" : "",
                        FrameTable.isPinned(ti) ? " pinned" : ""));
            }
        }
        return c;
    }

    @Test
    @DisplayName("update_va_mapping: a writable L1 entry takes a general and a PGT_writable_page reference; unmapping drops them")
    void shouldTakeAndDropReferencesForAMapping() {
        long mfn = spare(0);
        assertThat(frames().refCount(mfn)).isEqualTo(1);
        assertThat(uvm(VA, MachineMemory.maddr(mfn) | RW, Uvmf.INVLPG)).isZero();
        assertThat(frames().refCount(mfn)).isEqualTo(2);
        assertThat(FrameTable.pageType(frames().typeInfo(mfn))).isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
        assertThat(FrameTable.typeCount(frames().typeInfo(mfn))).isEqualTo(1);
        g.mem.putLong(VA + 8, 0x1234);
        assertThat(hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, MachineMemory.maddr(mfn) + 8))
                .isEqualTo(0x1234);

        assertThat(uvm(VA, 0, Uvmf.INVLPG)).isZero();
        assertThat(frames().refCount(mfn)).isEqualTo(1);
        assertThat(FrameTable.typeCount(frames().typeInfo(mfn))).isZero();
        assertThatThrownBy(() -> g.mem.getLong(VA)).as("no handler: the fault crashes the domain")
                .isInstanceOf(GuestAbort.class);
    }

    @Test
    @DisplayName("mmu_update runs a batch in order, stops at the first refusal and reports how many took effect")
    void shouldReportPartialFailure() {
        long[] ptrs = {l1e(VA), l1e(VA + 0x1000), l1e(VA + 0x2000)};
        long l4 = g.domain.layout().l4Mfn();
        long[] vals = {MachineMemory.maddr(spare(0)) | RW, MachineMemory.maddr(l4) | RW, MachineMemory.maddr(spare(2)) | RW};
        assertThat(mmuUpdate(ptrs, vals, DomId.DOMID_SELF)).as("a page table mapped writable").isEqualTo(-EINVAL);
        assertThat(done()).isEqualTo(1);
        assertThat(frames().refCount(spare(0))).isEqualTo(2);
        assertThat(frames().refCount(spare(2))).as("never reached").isEqualTo(1);
        vals[1] = MachineMemory.maddr(l4) | RO;
        assertThat(mmuUpdate(ptrs, vals, DomId.DOMID_SELF)).as("a page table mapped read-only is fine").isZero();
        assertThat(done()).isEqualTo(3);
        assertThat(frames().refCount(spare(0))).as("re-writing the same entry takes nothing more").isEqualTo(2);
    }

    @Test
    @DisplayName("hostile page-table updates are refused with the right errno and leave every count as it was")
    void shouldRefuseHostileUpdatesWithoutChangingAnyCount() throws Exception {
        BareGuest victim = BareGuest.create(hv, "victim", 1024);
        long victimFrame = mfnOfPfn(victim, victim.domain.layout().firstFreePfn());
        long l4 = g.domain.layout().l4Mfn();
        long l4Maddr = MachineMemory.maddr(l4);
        // Re-attach our vCPU: creating the victim attached its vCPU to this thread too.
        g.domain.vcpu(0).attach();
        List<String> before = counts();
        record Case(String what, long ptr, long val, long foreigndom, long errno) {
        }
        List<Case> cases = new ArrayList<>(List.of(
                new Case("another domain's frame", l1e(VA), MachineMemory.maddr(victimFrame) | RO, DomId.DOMID_SELF, -EINVAL),
                new Case("a page table mapped writable", l1e(VA), l4Maddr | RW, DomId.DOMID_SELF, -EINVAL),
                new Case("a hypervisor-private L4 slot", l4Maddr + 8 * PageTables.XEN_L4_FIRST_SLOT,
                        MachineMemory.maddr(l4) | RO, DomId.DOMID_SELF, -EINVAL),
                new Case("the last private L4 slot, not present", l4Maddr + 8 * PageTables.XEN_L4_LAST_SLOT, 0,
                        DomId.DOMID_SELF, -EINVAL),
                new Case("a misaligned entry pointer", l1e(VA) + 4, MachineMemory.maddr(spare(0)) | RW, DomId.DOMID_SELF, -EINVAL),
                new Case("an entry beyond machine memory", MachineMemory.maddr(frames().frameCount() + 7),
                        MachineMemory.maddr(spare(0)) | RW, DomId.DOMID_SELF, -EINVAL),
                new Case("an entry in another domain's table", MachineMemory.maddr(victim.domain.layout().l4Mfn()), 0,
                        DomId.DOMID_SELF, -EINVAL),
                new Case("a frame beyond machine memory", l1e(VA), MachineMemory.maddr(frames().frameCount() + 1) | RO,
                        DomId.DOMID_SELF, -EINVAL),
                new Case("a superpage in an L2", MachineMemory.maddr(l4), 0, DomId.DOMID_SELF, -EINVAL),
                new Case("foreigndom from an unprivileged domain", l1e(VA), MachineMemory.maddr(victimFrame) | RO,
                        victim.domain.domid(), -EPERM),
                new Case("a foreign page-table owner, unprivileged", l1e(VA), 0,
                        (long) (victim.domain.domid() + 1) << 16 | DomId.DOMID_SELF, -EPERM),
                new Case("get_pg_owner: an unknown page owner", l1e(VA), 0, 0x7000, -ESRCH),
                new Case("get_pg_owner: the caller's own id as a foreign domain", l1e(VA), 0, g.domain.domid(), -ESRCH),
                new Case("M2P update of another domain's frame", MachineMemory.maddr(victimFrame) | Mmu.MACHPHYS_UPDATE, 5,
                        DomId.DOMID_SELF, -EPERM)));
        // An L2 entry with PSE: find the L2 entry of VA.
        long l3 = (hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, l4Maddr) >>> 12) & 0xFFFFFFFFFL;
        long l2 = (hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, MachineMemory.maddr(l3)) >>> 12)
                & 0xFFFFFFFFFL;
        cases.set(8, new Case("a superpage in an L2", MachineMemory.maddr(l2) + 8 * 5,
                MachineMemory.maddr(spare(0)) | RW | Mmu.PAGE_PSE, DomId.DOMID_SELF, -EINVAL));
        for (Case c : cases) {
            assertThat(mmuUpdate(new long[] {c.ptr}, new long[] {c.val}, c.foreigndom)).as(c.what).isEqualTo(c.errno);
            assertThat(counts()).as("counts after %s", c.what).isEqualTo(before);
        }
        assertThat(g.cpu.hypercall(Hypercall.MMU_UPDATE, 0, 1, 0, DomId.DOMID_SELF, 0)).as("NULL requests").isEqualTo(-EFAULT);
        assertThat(g.cpu.hypercall(Hypercall.MMU_UPDATE, 0xFFFF_8700_0000_0000L, 1, 0, DomId.DOMID_SELF, 0))
                .as("requests in the hypervisor's range").isEqualTo(-EFAULT);
        assertThat(g.cpu.hypercall(Hypercall.MMU_UPDATE, 1L << 47, 1, 0, DomId.DOMID_SELF, 0))
                .as("non-canonical requests").isEqualTo(-EFAULT);
        // A huge batch: the requests run off the end of the mapping (after the last mapped page).
        long end = g.domain.layout().mappedEnd();
        g.mem.putLong(end - 16, l1e(VA));
        g.mem.putLong(end - 8, 0);
        g.mem.putInt(g.scratch, -1);
        assertThat(g.cpu.hypercall(Hypercall.MMU_UPDATE, end - 16, 0x7FFF_FFFFL, g.scratch, DomId.DOMID_SELF, 0))
                .as("a batch of 2^31 - 1").isEqualTo(-EFAULT);
        assertThat(g.mem.getInt(g.scratch)).isEqualTo(1);
        assertThat(mmuUpdate(new long[] {l1e(VA) | 3}, new long[] {0}, DomId.DOMID_SELF))
                .as("NO_TRANSLATE is a normal update for PV").isZero();
        assertThat(mmuext(MmuextOp.PIN_L4_TABLE, victim.domain.layout().l4Mfn(), 0)).isEqualTo(-EINVAL);
        assertThat(mmuext(MmuextOp.NEW_BASEPTR, mfnOfPfn(g, g.domain.layout().firstFreePfn()), 0))
                .as("a frame mapped writable as CR3").isEqualTo(-EINVAL);
        assertThat(mmuext(MmuextOp.UNPIN_TABLE, spare(0), 0)).isEqualTo(-EINVAL);
        assertThat(mmuext(MmuextOp.PIN_L4_TABLE, l4, 0)).as("pinned once only").isEqualTo(-EINVAL);
        assertThat(mmuext(MmuextOp.TLB_FLUSH_MULTI, 0, 0)).as("NULL vCPU mask").isEqualTo(-EFAULT);
        assertThat(mmuext(MmuextOp.COPY_PAGE, spare(0), spare(1))).isEqualTo(-ENOSYS);
        assertThat(uvm(0xFFFF_8000_0000_0000L, 0, 0)).as("update_va_mapping in the hypervisor's range").isEqualTo(-EINVAL);
        assertThat(uvm(VA, 0, 3)).as("__do_update_va_mapping: flush type 3 writes the entry and flushes nothing")
                .isZero();
        assertThat(counts()).isEqualTo(before);
        assertThat(victim.domain.mayRun()).isTrue();
    }

    @Test
    @DisplayName("pinning validates once per frame; a table mapped writable cannot be pinned, nor mapped writable once pinned")
    void shouldPinAndUnpinAnL1() {
        long table = spare(0);
        long data = spare(1);
        // Fill the future L1 through a writable mapping, as a guest does.
        assertThat(uvm(VA, MachineMemory.maddr(table) | RW, Uvmf.INVLPG)).isZero();
        g.mem.putLong(VA + 8 * 3, MachineMemory.maddr(data) | RW);
        assertThat(mmuext(MmuextOp.PIN_L1_TABLE, table, 0)).as("still mapped writable").isEqualTo(-EINVAL);
        assertThat(uvm(VA, MachineMemory.maddr(table) | RO, Uvmf.INVLPG)).isZero();
        assertThat(mmuext(MmuextOp.PIN_L1_TABLE, table, 0)).isZero();
        long ti = frames().typeInfo(table);
        assertThat(FrameTable.pageType(ti)).isEqualTo(FrameTable.PGT_L1_PAGE_TABLE);
        assertThat(FrameTable.isPinned(ti)).isTrue();
        assertThat(FrameTable.isValidated(ti)).isTrue();
        assertThat(frames().refCount(data)).as("the entry's reference").isEqualTo(2);
        assertThat(FrameTable.pageType(frames().typeInfo(data))).isEqualTo(FrameTable.PGT_WRITABLE_PAGE);
        assertThat(mmuext(MmuextOp.PIN_L1_TABLE, table, 0)).isEqualTo(-EINVAL);
        assertThat(mmuext(MmuextOp.PIN_L2_TABLE, table, 0)).as("another level").isEqualTo(-EINVAL);
        assertThat(uvm(VA + 0x1000, MachineMemory.maddr(table) | RW, 0)).isEqualTo(-EINVAL);
        assertThat(mmuext(MmuextOp.UNPIN_TABLE, table, 0)).isZero();
        assertThat(FrameTable.typeCount(frames().typeInfo(table))).isZero();
        assertThat(frames().refCount(data)).as("devalidation dropped the entry's reference").isEqualTo(1);
        assertThat(mmuext(MmuextOp.UNPIN_TABLE, table, 0)).isEqualTo(-EINVAL);
    }

    @Test
    @DisplayName("an L1 whose entry maps a page table writable does not validate, and validation leaves nothing behind")
    void shouldRollBackAFailedValidation() {
        long table = spare(0);
        List<String> before;
        assertThat(uvm(VA, MachineMemory.maddr(table) | RW, Uvmf.INVLPG)).isZero();
        g.mem.putLong(VA, MachineMemory.maddr(spare(1)) | RW);
        g.mem.putLong(VA + 8, MachineMemory.maddr(spare(2)) | RO);
        g.mem.putLong(VA + 16, MachineMemory.maddr(g.domain.layout().l4Mfn()) | RW);
        assertThat(uvm(VA, MachineMemory.maddr(table) | RO, Uvmf.INVLPG)).isZero();
        before = counts();
        assertThat(mmuext(MmuextOp.PIN_L1_TABLE, table, 0)).isEqualTo(-EINVAL);
        assertThat(counts()).isEqualTo(before);
    }

    @Test
    @DisplayName("NEW_BASEPTR moves the CR3 reference; an address space built from scratch can be switched to and back")
    void shouldSwitchAddressSpaces() {
        long l4 = g.domain.layout().l4Mfn();
        long refs = frames().refCount(l4);
        assertThat(mmuext(MmuextOp.NEW_BASEPTR, l4, 0)).isZero();
        assertThat(frames().refCount(l4)).isEqualTo(refs);
        // A second L4 that shares the first's L3 (read-only mapping of the tables).
        long copy = spare(0);
        assertThat(uvm(VA, MachineMemory.maddr(copy) | RW, Uvmf.INVLPG)).isZero();
        long va4 = g.domain.layout().ptBaseVa();
        for (int i = 0; i < 256; i++) {
            g.mem.putLong(VA + 8L * i, g.mem.getLong(va4 + 8L * i));
        }
        assertThat(uvm(VA, MachineMemory.maddr(copy) | RO, Uvmf.INVLPG)).isZero();
        assertThat(mmuext(MmuextOp.NEW_BASEPTR, copy, 0)).isZero();
        assertThat(g.domain.vcpu(0).baseMfn()).isEqualTo(copy);
        assertThat(FrameTable.pageType(frames().typeInfo(copy))).isEqualTo(FrameTable.PGT_L4_PAGE_TABLE);
        assertThat(g.mem.getLong(g.scratch)).as("the same memory through the new L4").isEqualTo(g.mem.getLong(g.scratch));
        assertThat(mmuext(MmuextOp.NEW_BASEPTR, l4, 0)).isZero();
        assertThat(FrameTable.typeCount(frames().typeInfo(copy))).as("unreferenced: devalidated").isZero();
    }

    @Test
    @DisplayName("the M2P table is mapped read-only where XENMEM_machphys_mapping says, and maps the guest's MFNs to PFNs")
    void shouldMapTheM2pTableReadOnly() {
        assertThat(g.call(Hypercall.MEMORY_OP, MemoryOp.MACHPHYS_MAPPING, g.scratch)).isZero();
        long vStart = g.mem.getLong(g.scratch);
        assertThat(vStart).isEqualTo(Mmu.MACH2PHYS_VIRT_START);
        assertThat(g.mem.getLong(g.scratch + 8)).isEqualTo(Mmu.MACH2PHYS_VIRT_END);
        assertThat(g.mem.getLong(g.scratch + 16)).isEqualTo(frames().frameCount() - 1);
        for (long pfn : new long[] {0, 7, 1500}) {
            long mfn = mfnOfPfn(g, pfn);
            assertThat(g.mem.getLong(vStart + 8 * mfn)).as("m2p[%d]", mfn).isEqualTo(pfn);
        }
        assertThat(mmuUpdate(new long[] {MachineMemory.maddr(spare(0)) | Mmu.MACHPHYS_UPDATE}, new long[] {4242},
                DomId.DOMID_SELF)).isZero();
        assertThat(g.mem.getLong(vStart + 8 * spare(0))).isEqualTo(4242);
        g.mem.putLong(g.scratch2, 2);
        g.mem.putLong(g.scratch2 + 8, g.scratch2 + 64);
        assertThat(g.call(Hypercall.MEMORY_OP, MemoryOp.MACHPHYS_MFN_LIST, g.scratch2)).isZero();
        assertThat(g.mem.getInt(g.scratch2 + 16)).isEqualTo(1);
        assertThat(g.mem.getLong(g.scratch2 + 64)).isEqualTo(frames().machphysBase());
        assertThatThrownBy(() -> g.mem.putLong(vStart, 1)).as("read-only").isInstanceOf(GuestAbort.class);
    }

    @Test
    @DisplayName("decrease_reservation frees a frame only when its last reference, mappings included, goes")
    void shouldReleaseAFrameOnlyWhenUnreferenced() {
        long mapped = spare(0);
        long unmapped = spare(1);
        long freeBefore = frames().freeFrames();
        assertThat(uvm(VA, MachineMemory.maddr(mapped) | RW, Uvmf.INVLPG)).isZero();
        g.mem.putLong(g.scratch2, mapped);
        g.mem.putLong(g.scratch2 + 8, unmapped);
        reservation(g.scratch2, 2);
        assertThat(g.call(Hypercall.MEMORY_OP, MemoryOp.DECREASE_RESERVATION, g.scratch)).isEqualTo(2);
        assertThat(frames().owner(unmapped)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames().owner(mapped)).as("still mapped").isEqualTo(g.domain.domid());
        assertThat(frames().freeFrames()).isEqualTo(freeBefore + 1);
        assertThat(uvm(VA, 0, Uvmf.INVLPG)).isZero();
        assertThat(frames().owner(mapped)).isEqualTo(DomId.DOMID_INVALID);
        assertThat(frames().freeFrames()).isEqualTo(freeBefore + 2);
        assertThat(g.domain.pages().totPages()).isEqualTo(2048 - 2);
    }

    void reservation(long extents, long nr) {
        g.mem.putLong(g.scratch, extents);
        g.mem.putLong(g.scratch + 8, nr);
        g.mem.putInt(g.scratch + 16, 0);
        g.mem.putInt(g.scratch + 20, 0);
        g.mem.putShort(g.scratch + 24, (short) DomId.DOMID_SELF);
    }

    @Test
    @DisplayName("continuations: a batch preempted every k entries re-enters with its progress; no entry is lost or applied twice")
    void shouldContinuePreemptedBatchesExactlyOnce() {
        int n = 100;
        long[] ptrs = new long[n];
        long[] vals = new long[n];
        for (int i = 0; i < n; i++) {
            ptrs[i] = l1e(VA + 0x1000L * i);
            vals[i] = MachineMemory.maddr(spare(i)) | RW;
        }
        g.domain.vcpu(0).forcePreemptionEvery(7);
        assertThat(mmuUpdate(ptrs, vals, DomId.DOMID_SELF)).isZero();
        assertThat(done()).isEqualTo(n);
        assertThat(g.domain.vcpu(0).continuations()).isEqualTo((n - 1) / 7);
        for (int i = 0; i < n; i++) {
            assertThat(frames().refCount(spare(i))).as("frame %d referenced once by its mapping", i).isEqualTo(2);
            assertThat(FrameTable.typeCount(frames().typeInfo(spare(i)))).isEqualTo(1);
        }
        // memory_op continues with the extent index above the command's low 6 bits.
        for (int i = 0; i < 30; i++) {
            g.mem.putLong(g.scratch2 + 8L * i, spare(200 + i));
        }
        reservation(g.scratch2, 30);
        long before = g.domain.vcpu(0).continuations();
        assertThat(g.call(Hypercall.MEMORY_OP, MemoryOp.DECREASE_RESERVATION, g.scratch)).isEqualTo(30);
        assertThat(g.domain.vcpu(0).continuations() - before).isEqualTo(4);
        for (int i = 0; i < 30; i++) {
            assertThat(frames().owner(spare(200 + i))).isEqualTo(DomId.DOMID_INVALID);
        }
        // Inside a multicall the sub-call runs to completion.
        g.domain.vcpu(0).forcePreemptionEvery(3);
        for (int i = 0; i < 10; i++) {
            g.mem.putLong(g.scratch2 + 16L * i, ptrs[i]);
            g.mem.putLong(g.scratch2 + 16L * i + 8, 0);
        }
        long mc = g.scratch2 + 4096 - 64;
        g.mem.putLong(mc, Hypercall.MMU_UPDATE);
        g.mem.putLong(mc + 16, g.scratch2);
        g.mem.putLong(mc + 24, 10);
        g.mem.putLong(mc + 32, 0);
        g.mem.putLong(mc + 40, DomId.DOMID_SELF);
        assertThat(g.call(Hypercall.MULTICALL, mc, 1)).isZero();
        assertThat(g.mem.getLong(mc + 8)).isZero();
        for (int i = 0; i < 10; i++) {
            assertThat(frames().refCount(spare(i))).isEqualTo(1);
        }
    }

    // ---------------------------------------------------------------- writable page tables

    /** The VA at which the guest sees the L1 table that maps {@code va} (bootstrap tables are mapped read-only). */
    long l1TableVa(long va) {
        long l1Mfn = l1e(va) >>> 12;
        var layout = g.domain.layout();
        for (long pfn = layout.firstFreePfn() - layout.nrPtFrames(); pfn < layout.firstFreePfn(); pfn++) {
            if (mfnOfPfn(g, pfn) == l1Mfn) {
                return layout.vaOfPfn(pfn);
            }
        }
        throw new AssertionError("no mapping of the L1 of " + Long.toHexString(va));
    }

    @Test
    @DisplayName("without VMASST_TYPE_writable_pagetables a store into an own L1 is an ordinary fault")
    void shouldNotEmulateWithoutTheAssist() {
        long slot = l1TableVa(VA) + 8 * ((VA >>> 12) & 511);
        assertThatThrownBy(() -> g.mem.putLong(slot, MachineMemory.maddr(spare(0)) | RW))
                .as("without the assist the fault goes to the guest (no handler: crash)").isInstanceOf(GuestAbort.class);
    }

    @Test
    @DisplayName("writable page tables: full, partial and compare-and-swap stores into an L1 are emulated; bad ones fault")
    void shouldEmulateStoresWithTheAssist() {
        assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, VmAssist.TYPE_WRITABLE_PAGETABLES)).isZero();
        long slot = l1TableVa(VA) + 8 * ((VA >>> 12) & 511);
        List<Long> faults = new ArrayList<>();
        g.domain.vcpu(0).traps().setTrap(14, (TrapHandler) (cpu, vector, code, address) -> {
            faults.add(address);
            throw new IllegalStateException("refused page-table write at 0x" + Long.toHexString(address));
        });
        long entry = MachineMemory.maddr(spare(0)) | RW;
        g.mem.putLong(slot, entry);
        assertThat(pte(VA)).isEqualTo(entry);
        assertThat(frames().refCount(spare(0))).isEqualTo(2);
        g.mem.putLong(VA, 77);
        assertThat(g.mem.getLong(VA)).isEqualTo(77);
        assertThat(g.domain.vcpu(0).ptwrEmulations()).isEqualTo(1);

        // An aligned partial store merges with the rest of the entry: set NX in the high half.
        g.mem.putInt(slot + 4, (int) ((pte(VA) | Mmu.PAGE_NX) >>> 32));
        assertThat(pte(VA) & Mmu.PAGE_NX).isNotZero();
        assertThat(pte(VA) & Mmu.PAGE_FRAME_MASK).isEqualTo(MachineMemory.maddr(spare(0)));

        // Compare-and-swap: a stale expected value changes nothing; the right one swaps.
        long cur = pte(VA);
        long next = MachineMemory.maddr(spare(1)) | RO;
        assertThat(g.mem.compareAndSetLong(slot, cur ^ 1, next)).isFalse();
        assertThat(pte(VA)).isEqualTo(cur);
        assertThat(g.mem.compareAndExchangeLong(slot, cur, next)).isEqualTo(cur);
        assertThat(pte(VA)).isEqualTo(next);
        assertThat(frames().refCount(spare(0))).as("the old entry's references went").isEqualTo(1);
        assertThat(frames().refCount(spare(1))).isEqualTo(2);

        // Refused: a page table mapped writable reaches the guest's handler.
        long before = frames().refCount(g.domain.layout().l4Mfn());
        assertThatThrownBy(() -> g.mem.putLong(slot, MachineMemory.maddr(g.domain.layout().l4Mfn()) | RW))
                .isInstanceOf(GuestAbort.class);
        assertThat(faults).containsExactly(slot);
        assertThat(frames().refCount(g.domain.layout().l4Mfn())).isEqualTo(before);
    }

    @Test
    @DisplayName("writable page tables: a store straddling two entries is not emulated")
    void shouldNotEmulateAStraddlingStore() {
        assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, VmAssist.TYPE_WRITABLE_PAGETABLES)).isZero();
        long slot = l1TableVa(VA) + 8 * ((VA >>> 12) & 511);
        List<Long> faults = new ArrayList<>();
        g.domain.vcpu(0).traps().setTrap(14, (TrapHandler) (cpu, vector, code, address) -> {
            faults.add(address);
            throw new IllegalStateException("not emulated");
        });
        assertThatThrownBy(() -> g.mem.putLong(slot + 4, 0)).isInstanceOf(GuestAbort.class);
        assertThat(faults).containsExactly(slot + 4);
    }

    @Test
    @DisplayName("writable page tables: a direct write to an L2 page goes to the guest's page-fault handler")
    void shouldDeliverAStoreIntoAnL2ToTheGuest() {
        assertThat(g.call(Hypercall.VM_ASSIST, VmAssist.CMD_ENABLE, VmAssist.TYPE_WRITABLE_PAGETABLES)).isZero();
        var layout = g.domain.layout();
        long l2Va = layout.ptBaseVa() + 2 * 4096; // L4, L3, then the L2
        long l2Mfn = mfnOfPfn(g, layout.firstFreePfn() - layout.nrPtFrames() + 2);
        assertThat(FrameTable.pageType(frames().typeInfo(l2Mfn))).isEqualTo(FrameTable.PGT_L2_PAGE_TABLE);
        List<long[]> faults = new ArrayList<>();
        g.domain.vcpu(0).traps().setTrap(14, (TrapHandler) (cpu, vector, code, address) -> {
            faults.add(new long[] {vector, code, address});
            throw new IllegalStateException("the guest's handler gives up");
        });
        long before = hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, MachineMemory.maddr(l2Mfn) + 8 * 7);
        assertThatThrownBy(() -> g.mem.putLong(l2Va + 8 * 7, 0)).isInstanceOf(GuestAbort.class);
        assertThat(faults).hasSize(1);
        assertThat(faults.get(0)).containsExactly(14, 3, l2Va + 8 * 7);
        assertThat(hv.machine().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, MachineMemory.maddr(l2Mfn) + 8 * 7))
                .isEqualTo(before);
    }

    @Test
    @DisplayName("reclamation: after destroy every frame of a domain with pinned tables and live mappings is free again")
    void shouldReturnEveryFrameAfterDestroy() throws Exception {
        long freeAtBoot = frames().freeFrames() + g.domain.pages().totPages() + 1;
        long table = spare(0);
        assertThat(uvm(VA, MachineMemory.maddr(table) | RW, Uvmf.INVLPG)).isZero();
        g.mem.putLong(VA, MachineMemory.maddr(spare(1)) | RW);
        assertThat(uvm(VA, MachineMemory.maddr(table) | RO, Uvmf.INVLPG)).isZero();
        assertThat(mmuext(MmuextOp.PIN_L1_TABLE, table, 0)).isZero();
        assertThat(uvm(VA + 0x1000, MachineMemory.maddr(spare(2)) | RW, Uvmf.INVLPG)).isZero();
        assertThat(hv.destroy(g.domain)).isTrue();
        assertThat(frames().ownedBy(g.domain.domid())).isZero();
        assertThat(frames().freeFrames()).isEqualTo(freeAtBoot);
    }
}
