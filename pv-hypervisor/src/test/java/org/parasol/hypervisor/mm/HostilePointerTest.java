package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;
import org.parasol.hypercall.GuestAbort;

/**
 * Hostile pointers: whatever address and length a guest passes, the hypervisor's copies and
 * the guest's own accesses never throw anything but {@link GuestAbort}, agree with the
 * start-of-day layout, and never touch a frame outside the domain.
 */
class HostilePointerTest {
    private static final long PAGE = 4096;
    private static final long VIRT_BASE = BootstrapBuilder.VIRT_BASE;
    /** A 1 MiB domain is mapped whole up to 0x500000; shared_info's VA (0x200000) stays unmapped until the guest maps it. */
    private static final long MAPPED_END = VIRT_BASE + (256 << 12);
    private static final long SHARED_INFO_VA = org.parasol.hypercall.StartOfDay.SHARED_INFO_VA;

    private TestHost host;
    private TestHost.Domain dom;
    private long[] p2m;
    private MemorySegment snapshot;

    @BeforeProperty
    void boot() {
        host = new TestHost(4L << 20);
        dom = host.domain(1, 256);
        TestHost.Domain neighbour = host.domain(2, 256);
        for (long pfn = neighbour.layout().firstFreePfn(); pfn < 256; pfn++) {
            host.mem().asSlice(MachineMemory.maddr(host.mfnOf(neighbour, pfn)), PAGE).fill((byte) 0xBB);
        }
        assertThat(dom.layout().mappedEnd()).isEqualTo(MAPPED_END);
        p2m = new long[256];
        for (int pfn = 0; pfn < 256; pfn++) {
            p2m[pfn] = host.mfnOf(dom, pfn);
        }
        snapshot = MemorySegment.ofArray(new byte[(int) host.mem().byteSize()]);
        MemorySegment.copy(host.mem(), 0, snapshot, 0, snapshot.byteSize());
        dom.context().handler = null;
    }

    @AfterProperty
    void shutdown() {
        host.close();
    }

    @Provide
    Arbitrary<Long> addresses() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(VIRT_BASE - 3 * PAGE, MAPPED_END + 3 * PAGE),
                Arbitraries.longs().between(SHARED_INFO_VA - 3 * PAGE, SHARED_INFO_VA + 3 * PAGE),
                Arbitraries.longs().between(-4 * PAGE, 4 * PAGE),
                Arbitraries.longs().between(0x7FFF_FFFF_0000L, 0x8000_0001_0000L),
                Arbitraries.longs(),
                Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L));
    }

    @Property(tries = 400)
    void shouldNeverThrowNorLeaveTheDomainInHypervisorCopies(
            @ForAll("addresses") long va, @ForAll @IntRange(min = -2, max = 3 * 4096) int length,
            @ForAll boolean toGuest) {
        boolean expected = length >= 0 && rangeOk(va, length, toGuest);
        boolean ok;
        int n = Math.max(length, 0);
        if (toGuest) {
            byte[] data = new byte[n];
            new Random(va ^ length).nextBytes(data);
            ok = dom.mmu().copyToGuest(MemorySegment.ofArray(data), 0, va, length);
            if (ok) {
                for (int i = 0; i < n; i++) {
                    assertThat(host.mem().get(ValueLayout.JAVA_BYTE, model(va + i))).isEqualTo(data[i]);
                }
            }
        } else {
            MemorySegment dst = MemorySegment.ofArray(new byte[n]);
            ok = dom.mmu().copyFromGuest(va, dst, 0, length);
            if (ok) {
                for (int i = 0; i < n; i++) {
                    // The copy's own walk may set Accessed in a page-table entry it copied
                    // earlier: compare entries' low bytes without A/D.
                    int adMask = isPageTable(va + i) && ((va + i) & 7) == 0 ? ~0x60 : ~0;
                    assertThat(dst.get(ValueLayout.JAVA_BYTE, i) & adMask)
                            .isEqualTo(host.mem().get(ValueLayout.JAVA_BYTE, model(va + i)) & adMask);
                }
            }
        }
        assertThat(ok).as("copy of %d bytes at 0x%x", length, va).isEqualTo(expected);
        assertThat(dom.context().faults).as("a hypervisor copy never delivers #PF").isEmpty();
        assertOutsideUntouched();
    }

    @Property(tries = 300)
    void shouldFaultOrHitOnlyTheDomainsOwnFramesOnGuestAccess(
            @ForAll("addresses") long va, @ForAll @IntRange(min = 0, max = 3) int widthLog2, @ForAll boolean write) {
        int width = 1 << widthLog2;
        boolean expected = rangeOk(va, width, write);
        dom.context().faults.clear();
        VcpuMmu mmu = dom.mmu();
        try {
            if (write) {
                switch (width) {
                    case 1 -> mmu.putByte(va, (byte) 0x11);
                    case 2 -> mmu.putShort(va, (short) 0x2222);
                    case 4 -> mmu.putInt(va, 0x44444444);
                    default -> mmu.putLong(va, 0x8888888888888888L);
                }
                assertThat(host.mem().get(ValueLayout.JAVA_BYTE, model(va + width - 1)))
                        .isEqualTo((byte) (0x11 * width));
            } else {
                long value = switch (width) {
                    case 1 -> mmu.getByte(va);
                    case 2 -> mmu.getShort(va);
                    case 4 -> mmu.getInt(va);
                    default -> mmu.getLong(va);
                };
                assertThat((byte) (value >>> (8 * (width - 1))))
                        .isEqualTo(host.mem().get(ValueLayout.JAVA_BYTE, model(va + width - 1)));
            }
            assertThat(expected).as("access at 0x%x succeeded", va).isTrue();
        } catch (GuestAbort crash) {
            assertThat(expected).as("access at 0x%x faulted", va).isFalse();
            assertThat(dom.context().faults).hasSize(1);
        }
        assertOutsideUntouched();
    }

    /** Whether every page of {@code [va, va + length)} is mapped for the access in the layout. */
    private boolean rangeOk(long va, long length, boolean write) {
        if (length == 0) {
            return true;
        }
        long last = va + length - 1;
        if (Long.compareUnsigned(last, va) < 0) {
            return false;
        }
        for (long page = va & ~(PAGE - 1); Long.compareUnsigned(page, last) <= 0; page += PAGE) {
            if (model(page) < 0 || (write && isPageTable(page))) {
                return false;
            }
            if (page == (last & ~(PAGE - 1))) {
                break;
            }
        }
        return true;
    }

    private boolean isPageTable(long va) {
        BootLayout l = dom.layout();
        return va >= l.ptBaseVa() && va < l.freeVa();
    }

    /** The machine address the layout says {@code va} maps to, or -1. */
    private long model(long va) {
        if (va >= VIRT_BASE && va < MAPPED_END) {
            return MachineMemory.maddr(p2m[(int) ((va - VIRT_BASE) >>> 12)]) + (va & (PAGE - 1));
        }
        return -1;
    }

    private void assertOutsideUntouched() {
        for (long mfn = 0; mfn < host.frames.frameCount(); mfn++) {
            if (!host.frames.mayMap(dom.domid(), mfn)) {
                long at = MachineMemory.maddr(mfn);
                assertThat(host.mem().asSlice(at, PAGE).mismatch(snapshot.asSlice(at, PAGE)))
                        .as("frame %d outside the domain", mfn).isEqualTo(-1);
            }
        }
    }
}
