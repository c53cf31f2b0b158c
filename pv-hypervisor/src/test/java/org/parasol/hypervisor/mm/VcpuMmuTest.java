package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.parasol.hypervisor.mm.VcpuMmu.PF_PRESENT;
import static org.parasol.hypervisor.mm.VcpuMmu.PF_WRITE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parasol.hypercall.GuestAbort;

class VcpuMmuTest {
    private static final long PAGE = 4096;
    private final TestHost host = new TestHost(32L << 20);
    private final TestHost.Domain d = host.domain(1, 2048);
    private final VcpuMmu mmu = d.mmu();
    private final BootLayout l = d.layout();
    /** Two free, mapped, adjacent pages. */
    private final long va = l.freeVa();

    @AfterEach
    void close() {
        host.close();
    }

    private long maOf(long pfn) {
        return MachineMemory.maddr(host.mfnOf(d, pfn));
    }

    private long pfnOf(long guestVa) {
        return (guestVa - l.virtBase()) >>> 12;
    }

    @Test
    @DisplayName("loads and stores of every width are little-endian and land in the mapped frame")
    void shouldLoadAndStoreEveryWidth() {
        mmu.putByte(va, (byte) 0x81);
        mmu.putShort(va + 2, (short) 0x8382);
        mmu.putInt(va + 4, 0x87868584);
        mmu.putLong(va + 8, 0x8F8E8D8C8B8A8988L);
        assertThat(mmu.getByte(va)).isEqualTo((byte) 0x81);
        assertThat(mmu.getShort(va + 2)).isEqualTo((short) 0x8382);
        assertThat(mmu.getInt(va + 4)).isEqualTo(0x87868584);
        assertThat(mmu.getLong(va + 8)).isEqualTo(0x8F8E8D8C8B8A8988L);
        assertThat(mmu.getByte(va + 8)).isEqualTo((byte) 0x88);
        assertThat(mmu.getInt(va + 3)).as("unaligned inside a page").isEqualTo(0x86858483);
        long ma = maOf(pfnOf(va));
        assertThat(host.mem().get(ValueLayout.JAVA_BYTE, ma + 15)).isEqualTo((byte) 0x8F);
    }

    @ParameterizedTest(name = "{0} bytes before the page end")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    @DisplayName("an unaligned access crossing a page boundary is split per page")
    void shouldSplitPageCrossingAccesses(int before) {
        long at = va + PAGE - before;
        mmu.putLong(at, 0x1122334455667788L);
        assertThat(mmu.getLong(at)).isEqualTo(0x1122334455667788L);
        long secondPage = maOf(pfnOf(va) + 1);
        assertThat(host.mem().get(ValueLayout.JAVA_BYTE, secondPage))
                .isEqualTo((byte) (0x1122334455667788L >>> (8 * before)));
        mmu.putInt(at, 0xA1B2C3D4);
        assertThat(mmu.getInt(at)).isEqualTo(0xA1B2C3D4);
        mmu.putShort(va + PAGE - 1, (short) 0x7E7F);
        assertThat(mmu.getShort(va + PAGE - 1)).isEqualTo((short) 0x7E7F);
        assertThat(host.mem().get(ValueLayout.JAVA_BYTE, secondPage)).isEqualTo((byte) 0x7E);
    }

    @Test
    @DisplayName("a page-crossing store into a read-only page writes neither page")
    void shouldNotHalfWriteAPageCrossingStore() {
        long lastWritable = l.ptBaseVa() - 4; // start_info's last bytes, then the read-only L4
        assertThatThrownBy(() -> mmu.putLong(lastWritable, -1L)).isInstanceOf(GuestAbort.class);
        assertThat(d.context().faults).containsExactly(new TestContext.Fault(l.ptBaseVa(), PF_PRESENT | PF_WRITE));
        assertThat(mmu.getInt(lastWritable)).isZero();
    }

    @Test
    void shouldDoAcquireReleaseAndAtomicsOnAlignedWords() {
        mmu.putByteRelease(va, (byte) 7);
        assertThat(mmu.getByteAcquire(va)).isEqualTo((byte) 7);
        mmu.putShortRelease(va + 2, (short) 0x1234);
        assertThat(mmu.getShortAcquire(va + 2)).isEqualTo((short) 0x1234);
        mmu.putIntRelease(va + 4, 0x01020304);
        assertThat(mmu.getIntAcquire(va + 4)).isEqualTo(0x01020304);
        assertThat(mmu.getByte(va + 4)).as("little-endian").isEqualTo((byte) 4);
        mmu.putLongRelease(va + 8, 42L);
        assertThat(mmu.getLongAcquire(va + 8)).isEqualTo(42L);

        assertThat(mmu.compareAndSetInt(va + 4, 1, 2)).isFalse();
        assertThat(mmu.compareAndSetInt(va + 4, 0x01020304, 10)).isTrue();
        assertThat(mmu.compareAndExchangeInt(va + 4, 10, 11)).isEqualTo(10);
        assertThat(mmu.getAndSetInt(va + 4, 20)).isEqualTo(11);
        assertThat(mmu.getAndAddInt(va + 4, 5)).isEqualTo(20);
        assertThat(mmu.getAndBitwiseOrInt(va + 4, 0x100)).isEqualTo(25);
        assertThat(mmu.getAndBitwiseAndInt(va + 4, 0xF00)).isEqualTo(0x119);
        assertThat(mmu.getAndBitwiseXorInt(va + 4, 0x101)).isEqualTo(0x100);
        assertThat(mmu.getInt(va + 4)).isEqualTo(0x001);

        assertThat(mmu.compareAndSetLong(va + 8, 0, 1)).isFalse();
        assertThat(mmu.compareAndSetLong(va + 8, 42, 1L << 40)).isTrue();
        assertThat(mmu.compareAndExchangeLong(va + 8, 1L << 40, 3)).isEqualTo(1L << 40);
        assertThat(mmu.getAndSetLong(va + 8, 4)).isEqualTo(3);
        assertThat(mmu.getAndAddLong(va + 8, -5)).isEqualTo(4);
        assertThat(mmu.getAndBitwiseOrLong(va + 8, 0)).isEqualTo(-1);
        assertThat(mmu.getAndBitwiseAndLong(va + 8, 0xFF)).isEqualTo(-1);
        assertThat(mmu.getAndBitwiseXorLong(va + 8, 0xF0)).isEqualTo(0xFF);
        assertThat(mmu.getLong(va + 8)).isEqualTo(0x0F);
    }

    @ParameterizedTest(name = "offset {0}")
    @ValueSource(ints = {1, 2, 3, 5, 6, 7})
    @DisplayName("a misaligned atomic access crashes the domain (guest bug)")
    void shouldTreatMisalignedAtomicsAsAGuestBug(int offset) {
        long at = va + offset;
        assertThatThrownBy(() -> mmu.compareAndSetLong(at, 0, 1)).isInstanceOf(GuestAbort.class);
        if ((offset & 3) != 0) {
            assertThatThrownBy(() -> mmu.getAndAddInt(at, 1)).isInstanceOf(GuestAbort.class);
            assertThatThrownBy(() -> mmu.getIntAcquire(at)).isInstanceOf(GuestAbort.class);
        }
        if ((offset & 1) != 0) {
            assertThatThrownBy(() -> mmu.putShortRelease(at, (short) 1)).isInstanceOf(GuestAbort.class);
        }
        assertThat(d.context().bugs).isNotEmpty().allMatch(s -> s.startsWith("misaligned"));
        assertThat(d.context().faults).isEmpty();
        assertThat(mmu.getLong(va)).as("nothing written").isZero();
    }

    @Test
    @DisplayName("the walk sets Accessed on every level it uses and Dirty on the L1 entry at the first write")
    void shouldSetAccessedAndDirty() {
        long page = va + 5 * PAGE;
        long before = host.l1Entry(d, page);
        assertThat(before & (PageTableEntry.ACCESSED | PageTableEntry.DIRTY)).isZero();
        mmu.getInt(page);
        long afterRead = host.l1Entry(d, page);
        assertThat(afterRead & PageTableEntry.ACCESSED).isNotZero();
        assertThat(afterRead & PageTableEntry.DIRTY).isZero();
        long misses = mmu.tlbMisses();
        mmu.putInt(page, 1);
        assertThat(mmu.tlbMisses()).as("a read-only TLB entry cannot serve the first write").isEqualTo(misses + 1);
        assertThat(host.l1Entry(d, page) & PageTableEntry.DIRTY).isNotZero();
        mmu.putInt(page, 2);
        mmu.getInt(page);
        assertThat(mmu.tlbMisses()).as("the writable entry serves the next write and read").isEqualTo(misses + 1);
        long l4e = host.mem().get(TestHost.U64, MachineMemory.maddr(l.l4Mfn()));
        assertThat(l4e & PageTableEntry.ACCESSED).isNotZero();
        assertThat(l4e & PageTableEntry.DIRTY).as("Dirty is only for the L1 entry").isZero();
    }

    @Test
    @DisplayName("x86 TLB semantics: a stale entry survives a PTE change until INVLPG")
    void shouldUseTheStaleTranslationUntilInvlpg() {
        long page = va;
        long other = va + 9 * PAGE;
        mmu.putLong(page, 111);
        mmu.putLong(other, 222);
        long pte = host.l1Entry(d, page);
        host.setL1Entry(d, page, host.l1Entry(d, other));
        assertThat(mmu.getLong(page)).as("stale TLB entry").isEqualTo(111);
        mmu.invlpg(page + 77);
        assertThat(mmu.getLong(page)).isEqualTo(222);
        host.setL1Entry(d, page, pte);
        assertThat(mmu.getLong(page)).isEqualTo(222);
        mmu.flushTlb();
        assertThat(mmu.getLong(page)).isEqualTo(111);
    }

    @Test
    @DisplayName("removing write permission takes effect only after the flush")
    void shouldKeepAStaleWritableEntryUntilTheFlush() {
        mmu.putLong(va, 1);
        long pte = host.l1Entry(d, va);
        host.setL1Entry(d, va, pte & ~PageTableEntry.RW);
        mmu.putLong(va, 2);
        mmu.flushTlb();
        assertThatThrownBy(() -> mmu.putLong(va, 3)).isInstanceOf(GuestAbort.class);
        assertThat(d.context().faults).containsExactly(new TestContext.Fault(va, PF_PRESENT | PF_WRITE));
        assertThat(mmu.getLong(va)).isEqualTo(2);
    }

    @Test
    @DisplayName("a flush requested from another thread is acknowledged at the vCPU's next access")
    void shouldAcknowledgeARemoteFlushAtTheNextAccess() throws Exception {
        mmu.putLong(va, 111);
        mmu.putLong(va + PAGE, 222);
        host.setL1Entry(d, va, host.l1Entry(d, va + PAGE));
        long generation = CompletableFuture.supplyAsync(d.context()::requestFlush).get(10, TimeUnit.SECONDS);
        assertThat(generation).isEqualTo(1);
        assertThat(mmu.flushAcked()).isZero();
        assertThat(mmu.getLong(va)).as("flushed before the access").isEqualTo(222);
        assertThat(mmu.flushAcked()).isEqualTo(1);
        long second = d.context().requestFlush();
        mmu.flushTlb();
        assertThat(mmu.flushAcked()).as("a local flush satisfies pending requests").isEqualTo(second);
    }

    @Test
    @DisplayName("a raised poll word reaches the vCPU's safe point before the access, which may end the domain")
    void shouldPassASafePointWhenThePollWordIsRaised() {
        d.context().raise(TestContext.PREEMPT);
        mmu.getByte(va);
        assertThat(d.context().safePoints).containsExactly(TestContext.PREEMPT);
        mmu.getByte(va);
        assertThat(d.context().safePoints).as("a clear word is one read, no safe point").hasSize(1);
        d.context().requestFlush();
        d.context().raise(TestContext.ABORT);
        assertThatThrownBy(() -> mmu.putByte(va, (byte) 1)).isInstanceOf(GuestAbort.class);
        assertThat(d.context().safePoints).containsExactly(TestContext.PREEMPT, TestContext.ABORT);
        assertThat(mmu.flushAcked()).isEqualTo(1);
    }

    @Test
    @DisplayName("a GuestMemory is used only on its own vCPU's thread")
    void shouldCrashWhenUsedFromAnotherThread() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                mmu.getByte(va);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        other.start();
        other.join(10_000);
        assertThat(thrown.get()).isInstanceOf(GuestAbort.class);
        assertThat(d.context().wrongThreadCalls).isEqualTo(1);
        assertThat(mmu.translate(va, false)).as("the hypervisor's walk works from any thread").isPositive();
    }

    @Test
    @DisplayName("we can't trust the guest: a PTE naming another domain's frame reaches nothing")
    void shouldNeverReachAnotherDomainsFrame() {
        TestHost.Domain victim = host.domain(2, 256);
        long victimFrame = host.mfnOf(victim, victim.layout().firstFreePfn());
        host.mem().set(ValueLayout.JAVA_LONG, MachineMemory.maddr(victimFrame), 0x5EC7E7L);
        long page = va + 3 * PAGE;
        host.setL1Entry(d, page, PageTableEntry.make(victimFrame, PageTableEntry.PRESENT | PageTableEntry.RW));
        assertThatThrownBy(() -> mmu.getLong(page)).isInstanceOf(GuestAbort.class);
        assertThatThrownBy(() -> mmu.putLong(page, 0)).isInstanceOf(GuestAbort.class);
        assertThat(d.context().faults).containsExactly(
                new TestContext.Fault(page, PF_PRESENT), new TestContext.Fault(page, PF_PRESENT | PF_WRITE));
        assertThat(mmu.translate(page, false)).isEqualTo(-1);
        MemorySegment buffer = MemorySegment.ofArray(new byte[8]);
        assertThat(mmu.copyFromGuest(page, buffer, 0, 8)).isFalse();
        // A free frame, MFN 0 and an MFN beyond machine memory are no better.
        for (long mfn : new long[] {0, host.frames.frameCount() - 1, host.frames.frameCount() + 5}) {
            host.setL1Entry(d, page, PageTableEntry.make(mfn, PageTableEntry.PRESENT | PageTableEntry.RW));
            assertThat(mmu.translate(page, false)).as("mfn %d", mfn).isEqualTo(-1);
        }
        // Nor through an upper level: an L2 entry naming a victim frame as "L1".
        long l2EntryAddress = MachineMemory.maddr(host.mfnOf(d, l.firstFreePfn() - l.nrPtFrames() + 2))
                + 8L * PageTableEntry.index(page, 2);
        long l2e = host.mem().get(TestHost.U64, l2EntryAddress);
        host.mem().set(TestHost.U64, l2EntryAddress, PageTableEntry.make(victimFrame, PageTableEntry.PRESENT | PageTableEntry.RW));
        assertThat(mmu.translate(page - PAGE, false)).isEqualTo(-1);
        host.mem().set(TestHost.U64, l2EntryAddress, l2e);
        assertThat(host.mem().get(ValueLayout.JAVA_LONG, MachineMemory.maddr(victimFrame))).isEqualTo(0x5EC7E7L);
    }

    @Test
    @DisplayName("a fault goes to the guest's handler and the access is retried when it returns")
    void shouldRetryTheAccessAfterTheHandlerFixedTheMapping() {
        long unmapped = l.sharedInfoVa() + PAGE;
        long spareMfn = host.mfnOf(d, l.mappedPages() + 1);
        d.context().handler = (faultVa, code) -> {
            host.setL1Entry(d, faultVa, PageTableEntry.make(spareMfn, PageTableEntry.PRESENT | PageTableEntry.RW));
            return true;
        };
        mmu.putInt(unmapped + 16, 0xCAFE);
        assertThat(d.context().faults).containsExactly(new TestContext.Fault(unmapped + 16, PF_WRITE));
        assertThat(host.mem().get(ValueLayout.JAVA_INT, MachineMemory.maddr(spareMfn) + 16)).isEqualTo(0xCAFE);
        assertThat(mmu.getInt(unmapped + 16)).isEqualTo(0xCAFE);
        assertThat(d.context().faults).hasSize(1);
    }

    @Test
    @DisplayName("non-canonical addresses fault")
    void shouldFaultOnNonCanonicalAddresses() {
        for (long bad : new long[] {0x0000_8000_0000_0000L, 0x8000_0000_0000_0000L, 0x0001_0000_0040_0000L}) {
            assertThat(mmu.translate(bad, false)).isEqualTo(-1);
            assertThatThrownBy(() -> mmu.getByte(bad)).isInstanceOf(GuestAbort.class);
        }
        // The upper half is canonical but unmapped.
        assertThat(mmu.translate(0xFFFF_8000_0000_0000L, false)).isEqualTo(-1);
        assertThat(mmu.copyToGuest(MemorySegment.ofArray(new byte[1]), 0, 0x0001_0000_0040_0000L, 1)).isFalse();
    }

    @Test
    @DisplayName("copy_from_guest/copy_to_guest: whole mapped ranges copy, bad pointers are -EFAULT, never a #PF")
    void shouldCopyForTheHypervisorWithoutDeliveringFaults() {
        byte[] data = new byte[3 * (int) PAGE + 100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        MemorySegment src = MemorySegment.ofArray(data);
        long at = va + 1000;
        assertThat(mmu.copyToGuest(src, 0, at, data.length)).isTrue();
        MemorySegment dst = MemorySegment.ofArray(new byte[data.length]);
        assertThat(mmu.copyFromGuest(at, dst, 0, data.length)).isTrue();
        assertThat(dst.mismatch(src)).isEqualTo(-1);
        MemorySegment viaGuest = MemorySegment.ofArray(new byte[data.length]);
        mmu.copyToSegment(at, viaGuest, 0, data.length);
        assertThat(viaGuest.mismatch(src)).isEqualTo(-1);

        assertThat(mmu.clearGuest(at + 10, 5000)).isTrue();
        assertThat(mmu.getByte(at + 9)).isEqualTo(data[9]);
        assertThat(mmu.getLong(at + 10 + 4992)).isZero();
        assertThat(mmu.getByte(at + 5010)).isEqualTo(data[5010]);

        assertThat(mmu.copyFromGuest(0, dst, 0, 8)).isFalse();
        assertThat(mmu.copyToGuest(src, 0, l.ptBaseVa(), 8)).as("page tables are read-only").isFalse();
        assertThat(mmu.clearGuest(l.ptBaseVa(), 1)).isFalse();
        assertThat(mmu.copyFromGuest(l.ptBaseVa(), dst, 0, 8)).isTrue();
        assertThat(mmu.copyFromGuest(l.sharedInfoVa() + PAGE - 4, dst, 0, 8)).as("runs off the mapping").isFalse();
        assertThat(mmu.copyFromGuest(-8, dst, 0, 16)).as("wraps around").isFalse();
        assertThat(mmu.copyFromGuest(at, dst, 0, -1)).isFalse();
        assertThat(mmu.copyFromGuest(0, dst, 0, 0)).as("nothing to copy").isTrue();
        assertThat(d.context().faults).isEmpty();
    }

    @Test
    void shouldFillGuestMemoryAcrossPages() {
        mmu.fill(va + 3, 2 * PAGE, (byte) 0xA5);
        assertThat(mmu.getByte(va + 2)).isZero();
        assertThat(mmu.getLong(va + 3)).isEqualTo(0xA5A5A5A5A5A5A5A5L);
        assertThat(mmu.getByte(va + 2 * PAGE + 2)).isEqualTo((byte) 0xA5);
        assertThat(mmu.getByte(va + 2 * PAGE + 3)).isZero();
        MemorySegment src = MemorySegment.ofArray(new byte[] {1, 2, 3});
        mmu.copyFromSegment(src, 0, va + PAGE - 1, 3);
        assertThat(mmu.getByte(va + PAGE + 1)).isEqualTo((byte) 3);
    }

    @Test
    @DisplayName("copy moves guest bytes frame to frame across page boundaries, and a fault on the source is delivered first")
    void shouldCopyWithinGuestMemory() {
        for (int i = 0; i < 300; i++) {
            mmu.putByte(va + PAGE - 100 + i, (byte) (i + 1));
        }
        mmu.copy(va + PAGE - 100, va + 3 * PAGE - 7, 300);
        for (int i = 0; i < 300; i++) {
            assertThat(mmu.getByte(va + 3 * PAGE - 7 + i)).as("byte %d", i).isEqualTo((byte) (i + 1));
        }
        long unmapped = l.sharedInfoVa() + PAGE;
        long spareMfn = host.mfnOf(d, l.mappedPages() + 1);
        host.mem().set(ValueLayout.JAVA_BYTE, MachineMemory.maddr(spareMfn) + 5, (byte) 0x42);
        d.context().handler = (faultVa, code) -> {
            host.setL1Entry(d, faultVa, PageTableEntry.make(spareMfn, PageTableEntry.PRESENT | PageTableEntry.RW));
            return true;
        };
        mmu.copy(unmapped + 5, va, 1);
        assertThat(d.context().faults).containsExactly(new TestContext.Fault(unmapped + 5, 0));
        assertThat(mmu.getByte(va)).isEqualTo((byte) 0x42);
        assertThatThrownBy(() -> mmu.copy(va, va + 10, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> mmu.copy(va + 10, va, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> mmu.copy(va, va + PAGE, -1)).isInstanceOf(IllegalArgumentException.class);
        mmu.copy(va, va + 20, 20); // touching, not overlapping
    }
}
