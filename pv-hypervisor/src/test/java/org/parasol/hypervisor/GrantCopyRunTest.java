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
import org.parasol.hypervisor.time.ManualClock;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * GNTTABOP_copy's elements read by runs (deviation 55): arrays longer than one run and over
 * several pages, an array that runs into a page the caller cannot read, and what a run changes
 * against Xen's one element at a time.
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
    @DisplayName("deviation 55: an element that copies over a later element of its own run does not change what that element does (Xen would read the new bytes)")
    void shouldReadARunBeforeCarryingItOut() {
        GnttabCopy first = element(0, 8, 0, 0);
        GnttabCopy second = element(1, 8, 16, 16);
        // element 0 copies 8 bytes of a's page over element 1's source.u.ref and what follows it
        long arrayMfn = b.domain.vcpu(0).mmu().translate(array, false) >>> 12;
        first.destGmfn(arrayMfn).destOffset((int) ((array & 4095) + GnttabCopy.SIZE));
        assertThat(copy(2)).isZero();
        assertThat(first.status()).isEqualTo(Gntst.OKAY);
        assertThat(second.status()).as("element 1 ran as it was when the run was read").isEqualTo(Gntst.OKAY);
        assertThat(b.mem.getLong(pageB + 16)).isEqualTo(a.mem.getLong(pageA + 16));
        assertThat(b.mem.getLong(array + GnttabCopy.SIZE)).as("element 0's bytes did land in element 1")
                .isEqualTo(a.mem.getLong(pageA));
    }
}
