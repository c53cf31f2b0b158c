package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypervisor.grant.GrantTable;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;
import org.parasol.hypervisor.time.ManualClock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Grant tables v1 (mapping is in GrantMapTest): setup_table and query_size, versions, and grant copy with
 * every refusal of the fact sheet. The granter writes its entries straight into its grant
 * frame's machine memory, standing in for its own mapping of the frame (which needs the PV
 * MMU's mmu_update).
 */
class GrantTableTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private static final DomId BAD = DomId.of(0x1234);

    private Hypervisor hv;
    private BareGuest a;
    private BareGuest b;
    private GrantTableCalls ga;
    private GrantTableCalls gb;
    private long grantFrameA;
    /** a's grant frame, written from the host side. */
    private GrantFrame table;
    /** A page of a's, granted to b in most tests, and its MFN. */
    private long pageA;
    private long mfnA;
    /** A page of b's and its MFN. */
    private long pageB;
    private long mfnB;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        a = BareGuest.create(hv, "granter", 1024);
        b = BareGuest.create(hv, "grantee", 1024);
        ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        gb = new GrantTableCalls(b.cpu, new ArgumentPage(b.scratch));
        long[] frames = new long[1];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        grantFrameA = frames[0];
        table = new GrantFrame(hv.machine().segment(), grantFrameA);
        pageA = a.scratch2;
        mfnA = mfnOf(a, pageA);
        pageB = b.scratch2;
        mfnB = mfnOf(b, pageB);
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    private MemorySegment machine() {
        return hv.machine().segment();
    }

    private static long mfnOf(BareGuest g, long va) {
        return g.domain.vcpu(0).mmu().translate(va, false) >>> 12;
    }

    private long entry(int ref) {
        return table.entry(ref);
    }

    private void grant(int ref, int domid, long frame, int flags) {
        table.grant(ref, domid, frame, flags);
    }

    private int flags(int ref) {
        return table.flags(ref);
    }

    private DomId id(BareGuest g) {
        return DomId.of(g.domain.domid());
    }

    private int copyFromGrant(int ref, DomId granter, int srcOff, int dstOff, int len) {
        return gb.copy(Gntcopy.SOURCE_GREF, ref, granter, srcOff, mfnB, DomId.SELF, dstOff, len).status();
    }

    private void fillA(byte seed) {
        for (int i = 0; i < 4096; i++) {
            a.mem.putByte(pageA + i, (byte) (seed + i * 7));
        }
    }

    @Test
    @DisplayName("setup_table gives hypervisor frames shared with the granter, outside its nr_pages")
    void shouldSetUpHypervisorOwnedGrantFrames() {
        FrameTable ft = hv.frames();
        long tot = a.domain.pages().totPages();
        long[] frames = new long[4];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        assertThat(frames[0]).isEqualTo(grantFrameA);
        for (long f : frames) {
            assertThat(ft.owner(f)).isEqualTo(DomId.DOMID_XEN);
            assertThat(ft.sharedWith(f)).isEqualTo(a.domain.domid());
        }
        assertThat(frames).doesNotHaveDuplicates();
        assertThat(a.domain.pages().totPages()).isEqualTo(tot);
        var q = ga.querySize(DomId.SELF);
        assertThat(q.status()).isEqualTo(Gntst.OKAY);
        assertThat(q.nrFrames()).isEqualTo(4);
        assertThat(q.maxNrFrames()).isEqualTo(64);
    }

    @Test
    @DisplayName("setup_table refusals: beyond 64 frames general_error, another domain permission_denied, unknown bad_domain")
    void shouldRefuseBadSetups() {
        assertThat(ga.setupTable(DomId.SELF, new long[65]).status()).isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(gb.setupTable(id(a), new long[1]).status()).isEqualTo(Gntst.PERMISSION_DENIED);
        assertThat(gb.setupTable(BAD, new long[1]).status()).isEqualTo(Gntst.BAD_DOMAIN);
        assertThat(gb.querySize(id(a)).status()).isEqualTo(Gntst.PERMISSION_DENIED);
        assertThat(gb.setupTable(DomId.SELF, 1, 0x10).status()).as("unwritable frame list")
                .isEqualTo(Gntst.BAD_VIRT_ADDR);
        assertThat(b.call(Hypercall.GRANT_TABLE_OP, GnttabOp.SETUP_TABLE, b.scratch, 2)).isEqualTo(-Errno.EINVAL);
        assertThat(b.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, b.scratch, 0xFFFF_FFFFL)).isEqualTo(-Errno.EINVAL);
        assertThat(b.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, 0x10, 1)).isEqualTo(-Errno.EFAULT);
        assertThat(b.call(Hypercall.GRANT_TABLE_OP, GnttabOp.TRANSFER, b.scratch, 1)).isEqualTo(-Errno.ENOSYS);
    }

    @Test
    @DisplayName("set_version: 1 accepted, 2 -ENOSYS (max version 1), others -EINVAL; get_version 1; dump_table -ENOSYS as in Xen")
    void shouldStayOnVersionOne() {
        assertThat(ga.setVersion(1)).isEqualTo(1);
        assertThat(ga.setVersion(2)).isEqualTo(-Errno.ENOSYS);
        assertThat(ga.setVersion(3)).isEqualTo(-Errno.EINVAL);
        assertThat(ga.getVersion(DomId.SELF)).isEqualTo(1);
        assertThat(gb.getVersion(id(a))).isEqualTo(-Errno.EPERM);
        assertThat(ga.dumpTable(DomId.SELF).result()).isEqualTo(-Errno.ENOSYS);
        assertThat(gb.dumpTable(BAD).result()).isEqualTo(-Errno.ENOSYS);
    }

    @Test
    @DisplayName("copy from a grant into a local frame; busy bits are clear again afterwards")
    void shouldCopyFromAGrant() {
        fillA((byte) 3);
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(copyFromGrant(8, id(a), 100, 200, 1000)).isEqualTo(Gntst.OKAY);
        for (int i = 0; i < 1000; i++) {
            assertThat(b.mem.getByte(pageB + 200 + i)).isEqualTo((byte) (3 + (100 + i) * 7));
        }
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }

    @Test
    @DisplayName("copy into a writable grant; a read-only grant as destination is general_error")
    void shouldCopyIntoAWritableGrantOnly() {
        for (int i = 0; i < 64; i++) {
            b.mem.putByte(pageB + i, (byte) (i + 1));
        }
        grant(9, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        var s = gb.copy(Gntcopy.DEST_GREF, mfnB, DomId.SELF, 0, 9, id(a), 4000, 64);
        assertThat(s.status()).isEqualTo(Gntst.OKAY);
        assertThat(a.mem.getByte(pageA + 4000)).isEqualTo((byte) 1);
        assertThat(a.mem.getByte(pageA + 4063)).isEqualTo((byte) 64);
        assertThat(flags(9)).isEqualTo(Gtf.PERMIT_ACCESS);
        grant(10, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(gb.copy(Gntcopy.DEST_GREF, mfnB, DomId.SELF, 0, 10, id(a), 0, 64).status())
                .isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(flags(10)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
    }

    @Test
    @DisplayName("copy refusals: wrong domid or type general_error, ref out of range bad_gntref, unknown domain bad_domain")
    void shouldRefuseBadGrants() {
        grant(8, 0x55, mfnA, Gtf.PERMIT_ACCESS);
        assertThat(copyFromGrant(8, id(a), 0, 0, 8)).as("granted to someone else").isEqualTo(Gntst.GENERAL_ERROR);
        grant(11, b.domain.domid(), mfnA, Gtf.ACCEPT_TRANSFER);
        assertThat(copyFromGrant(11, id(a), 0, 0, 8)).as("not permit_access").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(copyFromGrant(12, id(a), 0, 0, 8)).as("GTF_invalid").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(copyFromGrant(512, id(a), 0, 0, 8)).as("beyond one frame").isEqualTo(Gntst.BAD_GNTREF);
        assertThat(copyFromGrant(-1, id(a), 0, 0, 8)).isEqualTo(Gntst.BAD_GNTREF);
        assertThat(copyFromGrant(8, BAD, 0, 0, 8)).isEqualTo(Gntst.BAD_DOMAIN);
        assertThat(a.domain.grants().pinOf(8)).isZero();
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
    }

    @Test
    @DisplayName("copy: offset + len beyond 4096 is bad_copy_arg; len 0 succeeds")
    void shouldRefuseCopiesBeyondAPage() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        assertThat(copyFromGrant(8, id(a), 4000, 0, 200)).isEqualTo(Gntst.BAD_COPY_ARG);
        assertThat(copyFromGrant(8, id(a), 0, 3990, 200)).isEqualTo(Gntst.BAD_COPY_ARG);
        assertThat(copyFromGrant(8, id(a), 4096, 4096, 0)).isEqualTo(Gntst.OKAY);
        assertThat(copyFromGrant(8, id(a), 0, 0, 4096)).isEqualTo(Gntst.OKAY);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
    }

    @Test
    @DisplayName("A frame side must be DOMID_SELF (permission_denied) and the caller's own frame (bad_page)")
    void shouldRefuseForeignFrames() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        assertThat(gb.copy(Gntcopy.SOURCE_GREF, 8, id(a), 0, mfnB, id(b), 0, 8).status())
                .isEqualTo(Gntst.PERMISSION_DENIED);
        assertThat(gb.copy(Gntcopy.SOURCE_GREF, 8, id(a), 0, mfnA, DomId.SELF, 0, 8).status())
                .as("a's frame named as b's own").isEqualTo(Gntst.BAD_PAGE);
        assertThat(gb.copy(0, mfnA, DomId.SELF, 0, mfnB, DomId.SELF, 0, 8).status()).isEqualTo(Gntst.BAD_PAGE);
        assertThat(gb.copy(0, 1L << 40, DomId.SELF, 0, mfnB, DomId.SELF, 0, 8).status()).isEqualTo(Gntst.BAD_PAGE);
        long pageTable = b.domain.layout().l4Mfn();
        assertThat(gb.copy(Gntcopy.SOURCE_GREF, 8, id(a), 0, pageTable, DomId.SELF, 0, 8).status())
                .as("a page table cannot be written").isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }

    @Test
    @DisplayName("The granted frame must belong to the granter (bad_page)")
    void shouldRefuseAGrantOfSomeoneElsesFrame() {
        grant(8, b.domain.domid(), mfnB, Gtf.PERMIT_ACCESS);
        assertThat(copyFromGrant(8, id(a), 0, 0, 8)).isEqualTo(Gntst.BAD_PAGE);
        assertThat(flags(8)).as("busy bits undone").isEqualTo(Gtf.PERMIT_ACCESS);
    }

    @Test
    @DisplayName("A batch reports each element's status in its own status field")
    void shouldReportPerElementStatusInABatch() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        SegmentBuffer ops = SegmentBuffer.allocate(3 * GnttabCopy.SIZE);
        GnttabCopy c = new GnttabCopy();
        c.wrap(ops, 0).sourceRef(8).sourceDomid(a.domain.domid()).destGmfn(mfnB).destDomid(DomId.DOMID_SELF)
                .len(16).flags(Gntcopy.SOURCE_GREF);
        c.wrap(ops, GnttabCopy.SIZE).sourceRef(600).sourceDomid(a.domain.domid()).destGmfn(mfnB)
                .destDomid(DomId.DOMID_SELF).len(16).flags(Gntcopy.SOURCE_GREF);
        c.wrap(ops, 2 * GnttabCopy.SIZE).sourceRef(8).sourceDomid(a.domain.domid()).sourceOffset(4090).destGmfn(mfnB)
                .destDomid(DomId.DOMID_SELF).len(16).flags(Gntcopy.SOURCE_GREF);
        assertThat(gb.batch(GnttabOp.COPY, ops, 0, 3)).isZero();
        assertThat(c.wrap(ops, 0).status()).isEqualTo(Gntst.OKAY);
        assertThat(c.wrap(ops, GnttabCopy.SIZE).status()).isEqualTo(Gntst.BAD_GNTREF);
        assertThat(c.wrap(ops, 2 * GnttabCopy.SIZE).status()).isEqualTo(Gntst.BAD_COPY_ARG);
    }

    @Test
    @DisplayName("A batch whose elements share a grant or a frame copies each; a failed element in between, and the end of the call, leave nothing pinned or referenced")
    void shouldKeepASharedSideClaimedOnlyWithinTheCall() {
        fillA((byte) 5);
        for (int i = 0; i < 100; i++) {
            b.mem.putByte(pageB + 3000 + i, (byte) (0x40 + i));
        }
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        grant(10, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        int refsA = hv.frames().refCount(mfnA);
        int refsB = hv.frames().refCount(mfnB);
        long typesA = hv.frames().typeInfo(mfnA);
        long typesB = hv.frames().typeInfo(mfnB);
        int adom = a.domain.domid();
        SegmentBuffer ops = SegmentBuffer.allocate(7 * GnttabCopy.SIZE);
        GnttabCopy c = new GnttabCopy();
        // 0-1: the same source grant and destination frame; 2: that grant, bytes beyond its page;
        // 3: the same grant again; 4-5: one frame into one writable grant; 6: len 0.
        int[][] el = {{0, 0, 100}, {100, 100, 100}, {4090, 200, 16}, {200, 200, 100}};
        for (int i = 0; i < el.length; i++) {
            c.wrap(ops, i * GnttabCopy.SIZE).sourceRef(8).sourceDomid(adom).sourceOffset(el[i][0]).destGmfn(mfnB)
                    .destDomid(DomId.DOMID_SELF).destOffset(el[i][1]).len(el[i][2]).flags(Gntcopy.SOURCE_GREF);
        }
        for (int i = 4; i < 6; i++) {
            c.wrap(ops, i * GnttabCopy.SIZE).sourceGmfn(mfnB).sourceDomid(DomId.DOMID_SELF).sourceOffset(3000 + (i - 4) * 50)
                    .destRef(10).destDomid(adom).destOffset(1000 + (i - 4) * 50).len(50).flags(Gntcopy.DEST_GREF);
        }
        c.wrap(ops, 6 * GnttabCopy.SIZE).sourceRef(8).sourceDomid(adom).destRef(10).destDomid(adom).len(0)
                .flags(Gntcopy.SOURCE_GREF | Gntcopy.DEST_GREF);
        // What the copies from a read: a's bytes before element 4 writes into them.
        byte[] before = new byte[300];
        for (int i = 0; i < 300; i++) {
            before[i] = a.mem.getByte(pageA + i);
        }
        assertThat(gb.batch(GnttabOp.COPY, ops, 0, 7)).isZero();
        int[] want = {Gntst.OKAY, Gntst.OKAY, Gntst.BAD_COPY_ARG, Gntst.OKAY, Gntst.OKAY, Gntst.OKAY, Gntst.OKAY};
        for (int i = 0; i < want.length; i++) {
            assertThat(c.wrap(ops, i * GnttabCopy.SIZE).status()).as("element %d", i).isEqualTo(want[i]);
        }
        for (int i = 0; i < 300; i++) {
            assertThat(b.mem.getByte(pageB + i)).as("byte %d", i).isEqualTo(before[i]);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(a.mem.getByte(pageA + 1000 + i)).isEqualTo((byte) (0x40 + i));
        }
        assertThat(a.domain.grants().pinOf(8)).isZero();
        assertThat(a.domain.grants().pinOf(10)).isZero();
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(flags(10)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refsA);
        assertThat(hv.frames().refCount(mfnB)).isEqualTo(refsB);
        assertThat(hv.frames().typeInfo(mfnA)).isEqualTo(typesA);
        assertThat(hv.frames().typeInfo(mfnB)).isEqualTo(typesB);
        // the granter can end access at once: nothing of the batch is still held
        int plain = GrantEntryV1.header(Gtf.PERMIT_ACCESS, b.domain.domid());
        assertThat(table.at(10).compareAndSetHeader(plain, GrantEntryV1.header(0, b.domain.domid()))).isTrue();
    }

    @Test
    @DisplayName("GTF_reading/GTF_writing are held while pinned, so the granter's end-of-access CAS fails until release")
    void shouldHoldBusyBitsWhilePinned() {
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        GrantTable gt = a.domain.grants();
        int bdom = b.domain.domid();
        long typeRefs = hv.frames().typeInfo(mfnA) & FrameTable.PGT_COUNT_MASK;
        int refs = hv.frames().refCount(mfnA);
        long mfn = gt.acquire(8, bdom, false);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs + 1);
        assertThat(mfn).isEqualTo(mfnA);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READING | Gtf.WRITING);
        int plain = GrantEntryV1.header(Gtf.PERMIT_ACCESS, bdom);
        assertThat(table.at(8).compareAndSetHeader(plain, GrantEntryV1.header(0, bdom)))
                .as("end of access must observe the busy bits").isFalse();
        assertThat(gt.acquire(8, bdom, true)).isEqualTo(mfnA);
        assertThat(gt.acquire(8, 0x77, true)).as("pinned by another domain").isEqualTo(Gntst.GENERAL_ERROR);
        gt.release(8, false);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READING);
        gt.release(8, true);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(table.at(8).compareAndSetHeader(plain, GrantEntryV1.header(0, bdom))).isTrue();
        assertThat(hv.frames().typeInfo(mfnA) & FrameTable.PGT_COUNT_MASK).isEqualTo(typeRefs);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
    }

    @Test
    @DisplayName("acquireAll pins every piece (skipping empty ones) or none: a refusal drops the pins already taken")
    void shouldPinAllOrNothing() {
        int bdom = b.domain.domid();
        grant(8, bdom, mfnA, Gtf.PERMIT_ACCESS);
        grant(9, bdom, mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
        GrantTable gt = a.domain.grants();
        long typeRefs = hv.frames().typeInfo(mfnA) & FrameTable.PGT_COUNT_MASK;
        int refs = hv.frames().refCount(mfnA);
        long[] mfns = new long[3];
        // Read-only pins: both grants, the empty middle piece skipped.
        assertThat(gt.acquireAll(new int[] {8, 77, 9}, new int[] {512, 0, 4096}, 3, bdom, true, mfns))
                .isEqualTo(Gntst.OKAY);
        assertThat(mfns).containsExactly(mfnA, -1L, mfnA);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs + 2);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READING);
        gt.releaseAll(new int[] {8, 77, 9}, 3, true, mfns);
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(flags(9)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
        // Writable pins: the read-only grant last refuses them all, and nothing stays pinned.
        assertThat(gt.acquireAll(new int[] {8, 8, 9}, new int[] {4096, 4096, 4096}, 3, bdom, false, mfns))
                .isEqualTo(Gntst.GENERAL_ERROR);
        assertThat(gt.pinOf(8)).isZero();
        assertThat(gt.pinOf(9)).isZero();
        assertThat(flags(8)).isEqualTo(Gtf.PERMIT_ACCESS);
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
        assertThat(hv.frames().typeInfo(mfnA) & FrameTable.PGT_COUNT_MASK).isEqualTo(typeRefs);
        // A reference beyond the table, after a good one.
        assertThat(gt.acquireAll(new int[] {8, 1 << 20}, new int[] {8, 8}, 2, bdom, true, mfns))
                .isEqualTo(Gntst.BAD_GNTREF);
        assertThat(gt.pinOf(8)).isZero();
        assertThat(hv.frames().refCount(mfnA)).isEqualTo(refs);
        assertThat(gt.lockFree()).isTrue();
    }

    @Test
    @DisplayName("A granter's death frees its grant frames with its memory, and its table refuses copies")
    void shouldReleaseGrantFramesAtDeath() {
        long[] frames = new long[3];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS);
        long free = hv.frames().freeFrames();
        long owned = a.domain.pages().totPages();
        GrantTable gt = a.domain.grants();
        assertThat(hv.destroy(a.domain)).isTrue();
        assertThat(hv.frames().freeFrames()).isEqualTo(free + owned + 3 + 1); // + shared_info
        for (long f : frames) {
            assertThat(hv.frames().owner(f)).isEqualTo(DomId.DOMID_INVALID);
        }
        assertThat(gt.acquire(8, b.domain.domid(), true)).isEqualTo(Gntst.BAD_DOMAIN);
        assertThat(copyFromGrant(8, id(a), 0, 0, 8)).isEqualTo(Gntst.BAD_DOMAIN);
    }
}
