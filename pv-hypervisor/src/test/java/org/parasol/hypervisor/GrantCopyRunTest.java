package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.guest.ArgumentPage;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.struct.GnttabCopy;
import org.parasol.hypervisor.mm.PageTableEntry;
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * GNTTABOP_copy's elements read by runs and their statuses written through a translation kept
 * for the call: arrays longer than one run and over several pages, an array that runs into a
 * page the caller cannot read, a copy into the array itself (seen by the elements after it, as
 * Xen's one element at a time gives), a status field across two pages, and a status that
 * cannot be written.
 */
class GrantCopyRunTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();

    private Hypervisor hv;
    private BareGuest a;
    private BareGuest b;
    private long pageA;
    private long mfnA;
    private long pageB;
    private long mfnB;
    /** Where b keeps its op arrays: three pages after its two scratch pages. */
    private long array;

    @BeforeEach
    void boot() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withClock(new ManualClock()).withPcpus(1)));
        a = BareGuest.create(hv, "granter", 1024);
        b = BareGuest.create(hv, "grantee", 1024);
        GrantTableCalls ga = new GrantTableCalls(a.cpu, new ArgumentPage(a.scratch));
        long[] frames = new long[1];
        assertThat(ga.setupTable(DomId.SELF, frames).status()).isEqualTo(Gntst.OKAY);
        GrantFrame table = new GrantFrame(hv.machine().segment(), frames[0]);
        pageA = a.scratch2;
        mfnA = a.domain.vcpu(0).mmu().translate(pageA, false) >>> 12;
        pageB = b.scratch2;
        mfnB = b.domain.vcpu(0).mmu().translate(pageB, false) >>> 12;
        array = b.scratch2 + 4096;
        for (int i = 0; i < 4096; i++) {
            a.mem.putByte(pageA + i, (byte) (i * 13 + 1));
        }
        table.grant(8, b.domain.domid(), mfnA, Gtf.PERMIT_ACCESS | Gtf.READONLY);
    }

    @AfterEach
    void close() {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
    }

    /** Element {@code i} of b's array at {@link #array}: 8 bytes of a's granted page at {@code src} into b's page at {@code dst}. */
    private GnttabCopy element(int i, int ref, int src, int dst) {
        GnttabCopy c = new GnttabCopy().wrap(new GuestMemoryBuffer(b.mem, array + (long) i * GnttabCopy.SIZE, GnttabCopy.SIZE), 0);
        c.sourceRef(ref).sourceDomid(a.domain.domid()).sourceOffset(src).destGmfn(mfnB).destDomid(DomId.DOMID_SELF)
                .destOffset(dst).len(8).flags(Gntcopy.SOURCE_GREF).status(0x5555);
        return c;
    }

    private long copy(int count) {
        return b.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, array, count);
    }

    @Test
    @DisplayName("an array of 300 elements (three runs, over three pages) is carried out in order, each status in its own field")
    void shouldRunALongArrayInOrder() {
        int n = 300;
        GnttabCopy[] ops = new GnttabCopy[n];
        for (int i = 0; i < n; i++) {
            // element 150 names a grant reference that does not exist; 299 copies over what 0 wrote
            ops[i] = element(i, i == 150 ? 600 : 8, (i * 8) % 4096, i == 299 ? 0 : (i * 8) % 4096);
        }
        assertThat(copy(n)).isZero();
        for (int i = 0; i < n; i++) {
            assertThat(ops[i].status()).as("element %d", i).isEqualTo(i == 150 ? Gntst.BAD_GNTREF : Gntst.OKAY);
        }
        for (int i = 0; i < n - 1; i++) {
            int at = (i * 8) % 4096;
            for (int k = 0; k < 8; k++) {
                byte want = i == 150 ? 0 : a.mem.getByte(pageA + (i == 0 ? 299 * 8 : at) + k);
                assertThat(b.mem.getByte(pageB + at + k)).as("element %d byte %d", i, k).isEqualTo(want);
            }
        }
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }

    @Test
    @DisplayName("an array that runs into a page the caller cannot read: the elements before it are carried out, then -EFAULT")
    void shouldCarryOutTheReadableElementsThenFault() {
        // 110 elements end 4400 bytes into the array: element 102 straddles the second page, which is unmapped
        int n = 110;
        GnttabCopy[] ops = new GnttabCopy[n];
        for (int i = 0; i < n; i++) {
            ops[i] = i < 102 ? element(i, 8, i * 8, i * 8) : null;
        }
        assertThat(b.cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, array + 4096, 0, Uvmf.INVLPG, 0, 0)).isZero();
        assertThat(copy(n)).isEqualTo(-Errno.EFAULT);
        for (int i = 0; i < 102; i++) {
            assertThat(ops[i].status()).as("element %d", i).isEqualTo(Gntst.OKAY);
            assertThat(b.mem.getLong(pageB + i * 8L)).as("element %d", i).isEqualTo(a.mem.getLong(pageA + i * 8L));
        }
        assertThat(b.mem.getLong(pageB + 102 * 8L)).isZero();
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }

    @Test
    @DisplayName("Xen reads each element just before doing it: an element that copies over the next element of its run makes that one run as rewritten")
    void shouldSeeAnEarlierElementsCopyOverTheNext() {
        GnttabCopy first = element(0, 8, 0, 0);
        GnttabCopy second = element(1, 8, 16, 16);
        GnttabCopy third = element(2, 8, 24, 24);
        // element 0 copies 8 bytes of a's page over element 1's source.u.ref and what follows it:
        // bytes 1, 14, 27, 40 as the ref, a reference far beyond a's table
        long arrayMfn = b.domain.vcpu(0).mmu().translate(array, false) >>> 12;
        first.destGmfn(arrayMfn).destOffset((int) ((array & 4095) + GnttabCopy.SIZE));
        assertThat(copy(3)).isZero();
        assertThat(first.status()).isEqualTo(Gntst.OKAY);
        assertThat(b.mem.getLong(array + GnttabCopy.SIZE)).as("element 0's bytes landed in element 1")
                .isEqualTo(a.mem.getLong(pageA));
        assertThat(second.status()).as("element 1 ran as element 0 left it").isEqualTo(Gntst.BAD_GNTREF);
        assertThat(b.mem.getLong(pageB + 16)).isZero();
        assertThat(third.status()).isEqualTo(Gntst.OKAY);
        assertThat(b.mem.getLong(pageB + 24)).isEqualTo(a.mem.getLong(pageA + 24));
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }

    @Test
    @DisplayName("a copy over an element further on, across a page of the array, is seen there; one over elements already done changes nothing after them")
    void shouldSeeACopyOverALaterPageOfTheRun() {
        int n = 140; // 5600 bytes: elements 103 on are on the array's second page
        GnttabCopy[] ops = new GnttabCopy[n];
        for (int i = 0; i < n; i++) {
            ops[i] = element(i, 8, (i * 8) % 4096, (i * 8) % 4096);
        }
        long arrayMfn = b.domain.vcpu(0).mmu().translate(array, false) >>> 12;
        long secondMfn = b.domain.vcpu(0).mmu().translate(array + 4096, false) >>> 12;
        // element 10 rewrites element 120's len (on the second page) to 0: it then copies nothing
        long lenAt = array + 120L * GnttabCopy.SIZE + GnttabCopy.LEN_OFFSET;
        a.mem.putShort(pageA + 4000, (short) 0);
        ops[10].sourceOffset(4000).destGmfn(secondMfn).destOffset((int) (lenAt & 4095)).len(2);
        // element 20 copies over element 5 (already done): nothing after it changes
        ops[20].destGmfn(arrayMfn).destOffset((int) (5 * GnttabCopy.SIZE)).len(8);
        assertThat(copy(n)).isZero();
        for (int i = 0; i < n; i++) {
            assertThat(ops[i].status()).as("element %d", i).isEqualTo(Gntst.OKAY);
        }
        assertThat(ops[120].len()).isZero();
        assertThat(b.mem.getLong(pageB + 120 * 8)).as("element 120 copied nothing").isZero();
        assertThat(b.mem.getLong(pageB + 121 * 8)).isEqualTo(a.mem.getLong(pageA + 121 * 8));
        assertThat(b.mem.getLong(pageB + 30 * 8)).isEqualTo(a.mem.getLong(pageA + 30 * 8));
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }

    @Test
    @DisplayName("a status field that straddles two pages of the array is written whole, and the elements on both sides of it run")
    void shouldWriteAStatusThatStraddlesAPage() {
        // element 3 starts 37 bytes before the page end: its status is the page's last byte and the next page's first
        long uop = array + 4096 - 37 - 3L * GnttabCopy.SIZE;
        int n = 6;
        GnttabCopy[] ops = new GnttabCopy[n];
        for (int i = 0; i < n; i++) {
            GnttabCopy c = new GnttabCopy().wrap(new GuestMemoryBuffer(b.mem, uop + (long) i * GnttabCopy.SIZE, GnttabCopy.SIZE), 0);
            ops[i] = c.sourceRef(i == 4 ? 600 : 8).sourceDomid(a.domain.domid()).sourceOffset(i * 8).destGmfn(mfnB)
                    .destDomid(DomId.DOMID_SELF).destOffset(i * 8).len(8).flags(Gntcopy.SOURCE_GREF).status(0x5555);
        }
        assertThat((uop + 3L * GnttabCopy.SIZE + GnttabCopy.STATUS_OFFSET) & 4095).isEqualTo(4095);
        assertThat(b.call(Hypercall.GRANT_TABLE_OP, GnttabOp.COPY, uop, n)).isZero();
        for (int i = 0; i < n; i++) {
            assertThat(ops[i].status()).as("element %d", i).isEqualTo(i == 4 ? Gntst.BAD_GNTREF : Gntst.OKAY);
        }
        assertThat(b.mem.getLong(pageB + 5 * 8)).isEqualTo(a.mem.getLong(pageA + 5 * 8));
    }

    @Test
    @DisplayName("a status that cannot be written (a read-only page of the array): the element is carried out, then -EFAULT, as Xen's __copy_field_to_guest")
    void shouldFaultAtAnUnwritableStatus() {
        // 110 elements over two pages; the second page is mapped read-only: element 102's status is the first on it
        int n = 110;
        GnttabCopy[] ops = new GnttabCopy[n];
        for (int i = 0; i < n; i++) {
            ops[i] = element(i, 8, i * 8, i * 8);
        }
        long second = b.domain.vcpu(0).mmu().translate(array + 4096, false) >>> 12;
        long pte = PageTableEntry.make(second, PageTableEntry.PRESENT | PageTableEntry.USER | PageTableEntry.ACCESSED
                | PageTableEntry.DIRTY); // not writable
        assertThat(b.cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, array + 4096, pte, Uvmf.INVLPG, 0, 0)).isZero();
        assertThat(copy(n)).isEqualTo(-Errno.EFAULT);
        for (int i = 0; i < 102; i++) {
            assertThat(ops[i].status()).as("element %d", i).isEqualTo(Gntst.OKAY);
        }
        long statusAt = array + 102L * GnttabCopy.SIZE + GnttabCopy.STATUS_OFFSET;
        assertThat(statusAt & ~4095L).isEqualTo(array + 4096);
        assertThat(b.mem.getShort(statusAt)).as("element 102's status, not written").isEqualTo((short) 0x5555);
        assertThat(b.mem.getLong(pageB + 102 * 8L)).as("element 102 was carried out").isEqualTo(a.mem.getLong(pageA + 102 * 8L));
        assertThat(b.mem.getLong(pageB + 103 * 8L)).as("element 103 was not").isZero();
        assertThat(a.domain.grants().pinOf(8)).isZero();
    }
}
