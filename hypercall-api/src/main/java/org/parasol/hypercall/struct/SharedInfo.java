package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.Evtchn2l;

/**
 * The page every domain shares with the hypervisor: mirrors {@code xen.h}: {@code shared_info}
 * (x86-64, 3136 bytes in one 4 KiB page).
 *
 * <pre>
 *     0 vcpu_info[32]          32 x 64 B
 *  2048 evtchn_pending[64]     u64 words: port p is bit (p % 64) of word (p / 64)
 *  2560 evtchn_mask[64]        u64 words, same indexing
 *  3072 wc_version u32  3076 wc_sec u32  3080 wc_nsec u32  3084 wc_sec_hi u32
 *  3088 arch: max_pfn, pfn_to_mfn_frame_list_list, nmi_reason,
 *             p2m_cr3, p2m_vaddr, p2m_generation   (u64 each)
 * </pre>
 *
 * <p>Invariants: the 2-level event ABI has {@value Evtchn2l#NR_CHANNELS} ports; pending and
 * mask bits are changed only with atomic 64-bit operations (the methods below, which need the
 * page 8-byte aligned); the wallclock is published under the {@code wc_version} seqlock, as
 * {@code vcpu_time_info} is under its {@code version}. Both sides use this class: the
 * hypervisor over the machine page, the guest over its mapping of it.
 */
public final class SharedInfo {
    /** {@code XEN_LEGACY_MAX_VCPUS}: vcpu_info slots in the page. */
    public static final int XEN_LEGACY_MAX_VCPUS = 32;

    /** Layout of x86-64 {@code arch_shared_info} (48 bytes). */
    public static final StructLayout ARCH_LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("max_pfn"),
            Layouts.U64.withName("pfn_to_mfn_frame_list_list"),
            Layouts.U64.withName("nmi_reason"),
            Layouts.U64.withName("p2m_cr3"),
            Layouts.U64.withName("p2m_vaddr"),
            Layouts.U64.withName("p2m_generation")).withName("arch");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(XEN_LEGACY_MAX_VCPUS, VcpuInfo.LAYOUT).withName("vcpu_info"),
            MemoryLayout.sequenceLayout(Evtchn2l.NR_WORDS, Layouts.U64).withName("evtchn_pending"),
            MemoryLayout.sequenceLayout(Evtchn2l.NR_WORDS, Layouts.U64).withName("evtchn_mask"),
            Layouts.U32.withName("wc_version"),
            Layouts.U32.withName("wc_sec"),
            Layouts.U32.withName("wc_nsec"),
            Layouts.U32.withName("wc_sec_hi"),
            ARCH_LAYOUT).withName("shared_info");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long VCPU_INFO_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu_info");
    public static final long EVTCHN_PENDING_OFFSET = Layouts.offsetOf(LAYOUT, "evtchn_pending");
    public static final long EVTCHN_MASK_OFFSET = Layouts.offsetOf(LAYOUT, "evtchn_mask");
    public static final long WC_VERSION_OFFSET = Layouts.offsetOf(LAYOUT, "wc_version");
    public static final long WC_SEC_OFFSET = Layouts.offsetOf(LAYOUT, "wc_sec");
    public static final long WC_NSEC_OFFSET = Layouts.offsetOf(LAYOUT, "wc_nsec");
    public static final long WC_SEC_HI_OFFSET = Layouts.offsetOf(LAYOUT, "wc_sec_hi");
    public static final long ARCH_MAX_PFN_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "max_pfn");
    public static final long ARCH_PFN_TO_MFN_FRAME_LIST_LIST_OFFSET =
            Layouts.offsetOf(LAYOUT, "arch", "pfn_to_mfn_frame_list_list");
    public static final long ARCH_NMI_REASON_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "nmi_reason");
    public static final long ARCH_P2M_CR3_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "p2m_cr3");
    public static final long ARCH_P2M_VADDR_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "p2m_vaddr");
    public static final long ARCH_P2M_GENERATION_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "p2m_generation");
    /** Stride between {@code vcpu_info} slots. */
    public static final long VCPU_INFO_STRIDE =
            LAYOUT.select(PathElement.groupElement("vcpu_info"), PathElement.sequenceElement()).byteSize();

    private SharedBuffer buffer;
    private long base;
    private final VcpuInfo vcpuInfo = new VcpuInfo();

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SharedInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public SharedInfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public SharedInfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Byte offset of {@code vcpu_info[vcpu]} within the structure. */
    public static long vcpuInfoOffset(int vcpu) {
        Objects.checkIndex(vcpu, XEN_LEGACY_MAX_VCPUS);
        return VCPU_INFO_OFFSET + vcpu * VCPU_INFO_STRIDE;
    }

    /** Byte offset of the {@code evtchn_pending} word holding {@code port}'s bit. */
    public static long pendingWordOffset(int port) {
        Objects.checkIndex(port, Evtchn2l.NR_CHANNELS);
        return EVTCHN_PENDING_OFFSET + (long) (port >>> 6) * Long.BYTES;
    }

    /** Byte offset of the {@code evtchn_mask} word holding {@code port}'s bit. */
    public static long maskWordOffset(int port) {
        Objects.checkIndex(port, Evtchn2l.NR_CHANNELS);
        return EVTCHN_MASK_OFFSET + (long) (port >>> 6) * Long.BYTES;
    }

    /**
     * This flyweight's own {@link VcpuInfo}, re-pointed at slot {@code vcpu}: valid until the next
     * call. A holder that keeps one per vCPU uses {@link #vcpuInfo(int, VcpuInfo)} instead.
     */
    public VcpuInfo vcpuInfo(int vcpu) {
        return vcpuInfo(vcpu, vcpuInfo);
    }

    /** Points {@code into} at {@code vcpu_info[vcpu]} of this structure; returns it. */
    public VcpuInfo vcpuInfo(int vcpu, VcpuInfo into) {
        return into.wrap(buffer, base + vcpuInfoOffset(vcpu));
    }

    /** Plain read of {@code evtchn_pending[word]}. */
    public long evtchnPending(int word) {
        Objects.checkIndex(word, Evtchn2l.NR_WORDS);
        return buffer.getLong(base + EVTCHN_PENDING_OFFSET + word * (long) Long.BYTES);
    }

    public SharedInfo evtchnPending(int word, long v) {
        Objects.checkIndex(word, Evtchn2l.NR_WORDS);
        buffer.putLong(base + EVTCHN_PENDING_OFFSET + word * (long) Long.BYTES, v);
        return this;
    }

    /** Plain read of {@code evtchn_mask[word]}. */
    public long evtchnMask(int word) {
        Objects.checkIndex(word, Evtchn2l.NR_WORDS);
        return buffer.getLong(base + EVTCHN_MASK_OFFSET + word * (long) Long.BYTES);
    }

    public SharedInfo evtchnMask(int word, long v) {
        Objects.checkIndex(word, Evtchn2l.NR_WORDS);
        buffer.putLong(base + EVTCHN_MASK_OFFSET + word * (long) Long.BYTES, v);
        return this;
    }

    public long wcVersion() {
        return Layouts.u32(buffer.getInt(base + WC_VERSION_OFFSET));
    }

    public SharedInfo wcVersion(long v) {
        buffer.putInt(base + WC_VERSION_OFFSET, (int) v);
        return this;
    }

    public long wcSec() {
        return Layouts.u32(buffer.getInt(base + WC_SEC_OFFSET));
    }

    public SharedInfo wcSec(long v) {
        buffer.putInt(base + WC_SEC_OFFSET, (int) v);
        return this;
    }

    public long wcNsec() {
        return Layouts.u32(buffer.getInt(base + WC_NSEC_OFFSET));
    }

    public SharedInfo wcNsec(long v) {
        buffer.putInt(base + WC_NSEC_OFFSET, (int) v);
        return this;
    }

    public long wcSecHi() {
        return Layouts.u32(buffer.getInt(base + WC_SEC_HI_OFFSET));
    }

    public SharedInfo wcSecHi(long v) {
        buffer.putInt(base + WC_SEC_HI_OFFSET, (int) v);
        return this;
    }

    /** Wallclock seconds at system time 0: {@code wc_sec_hi:wc_sec}. */
    public long wallclockSeconds() {
        return (wcSecHi() << 32) | wcSec();
    }

    /** Splits {@code seconds} into {@code wc_sec_hi} and {@code wc_sec}. */
    public SharedInfo wallclockSeconds(long seconds) {
        return wcSec(seconds & 0xFFFF_FFFFL).wcSecHi(seconds >>> 32);
    }

    public long maxPfn() {
        return buffer.getLong(base + ARCH_MAX_PFN_OFFSET);
    }

    public SharedInfo maxPfn(long v) {
        buffer.putLong(base + ARCH_MAX_PFN_OFFSET, v);
        return this;
    }

    public long pfnToMfnFrameListList() {
        return buffer.getLong(base + ARCH_PFN_TO_MFN_FRAME_LIST_LIST_OFFSET);
    }

    public SharedInfo pfnToMfnFrameListList(long v) {
        buffer.putLong(base + ARCH_PFN_TO_MFN_FRAME_LIST_LIST_OFFSET, v);
        return this;
    }

    public long nmiReason() {
        return buffer.getLong(base + ARCH_NMI_REASON_OFFSET);
    }

    public SharedInfo nmiReason(long v) {
        buffer.putLong(base + ARCH_NMI_REASON_OFFSET, v);
        return this;
    }

    public long p2mCr3() {
        return buffer.getLong(base + ARCH_P2M_CR3_OFFSET);
    }

    public SharedInfo p2mCr3(long v) {
        buffer.putLong(base + ARCH_P2M_CR3_OFFSET, v);
        return this;
    }

    public long p2mVaddr() {
        return buffer.getLong(base + ARCH_P2M_VADDR_OFFSET);
    }

    public SharedInfo p2mVaddr(long v) {
        buffer.putLong(base + ARCH_P2M_VADDR_OFFSET, v);
        return this;
    }

    public long p2mGeneration() {
        return buffer.getLong(base + ARCH_P2M_GENERATION_OFFSET);
    }

    public SharedInfo p2mGeneration(long v) {
        buffer.putLong(base + ARCH_P2M_GENERATION_OFFSET, v);
        return this;
    }

    // ---- The fields both sides change: event bits and the wall-clock seqlock (page 8-byte aligned).

    /**
     * {@code test_and_set_bit(port, evtchn_pending)}: atomically sets {@code port}'s pending bit;
     * returns whether it was already set (then the event makes no new edge).
     */
    public boolean testAndSetPending(int port) {
        long bit = bit(port);
        return (buffer.getAndBitwiseOrLong(base + pendingWordOffset(port), bit) & bit) != 0;
    }

    /**
     * {@code test_and_clear_bit(port, evtchn_pending)}: atomically clears {@code port}'s pending
     * bit; returns whether it was set. The guest takes an event this way before handling it.
     *
     * <p>One locked clear, whatever the bit: reading the bit first (so that a polling vCPU does
     * not take the sender's line on every turn) cost the set-bit case a fence and a read, about
     * 10 ns on every event taken, more than the polling round trip was shown to gain
     * (results.md, issue 11's quiet run).
     */
    public boolean testAndClearPending(int port) {
        long bit = bit(port);
        return (buffer.getAndBitwiseAndLong(base + pendingWordOffset(port), ~bit) & bit) != 0;
    }

    /** Acquire-reads {@code port}'s pending bit. */
    public boolean isPending(int port) {
        return (buffer.getLongAcquire(base + pendingWordOffset(port)) & bit(port)) != 0;
    }

    /** Atomically sets {@code port}'s mask bit; returns whether it was already set. */
    public boolean testAndSetMask(int port) {
        long bit = bit(port);
        return (buffer.getAndBitwiseOrLong(base + maskWordOffset(port), bit) & bit) != 0;
    }

    /** Atomically clears {@code port}'s mask bit; returns whether it was set. */
    public boolean testAndClearMask(int port) {
        long bit = bit(port);
        return (buffer.getAndBitwiseAndLong(base + maskWordOffset(port), ~bit) & bit) != 0;
    }

    /** Acquire-reads {@code port}'s mask bit. */
    public boolean isMasked(int port) {
        return (buffer.getLongAcquire(base + maskWordOffset(port)) & bit(port)) != 0;
    }

    /** Acquire-reads {@code evtchn_pending[word]}. */
    public long pendingWordAcquire(int word) {
        Objects.checkIndex(word, Evtchn2l.NR_WORDS);
        return buffer.getLongAcquire(base + EVTCHN_PENDING_OFFSET + word * (long) Long.BYTES);
    }

    /** Acquire-reads {@code evtchn_mask[word]}. */
    public long maskWordAcquire(int word) {
        Objects.checkIndex(word, Evtchn2l.NR_WORDS);
        return buffer.getLongAcquire(base + EVTCHN_MASK_OFFSET + word * (long) Long.BYTES);
    }

    /** Acquire-reads {@code wc_version}: the wall-clock seqlock reader's first and last step. */
    public int wcVersionAcquire() {
        return buffer.getIntAcquire(base + WC_VERSION_OFFSET);
    }

    /** Release-writes {@code wc_version}. */
    public SharedInfo wcVersionRelease(int version) {
        buffer.putIntRelease(base + WC_VERSION_OFFSET, version);
        return this;
    }

    /**
     * The hypervisor's side of the wall-clock seqlock: makes {@code wc_version} odd, writes
     * {@code wc_sec_hi:wc_sec} and {@code wc_nsec}, then makes the version even again. A reader
     * that sees the same even version before and after reading the fields saw all of this
     * update or none of it.
     */
    public SharedInfo publishWallclock(long seconds, int nanoseconds) {
        int version = wcVersionAcquire();
        int odd = (version & 1) == 0 ? version + 1 : version + 2;
        // Release: the previous update's fields are ordered before the odd version...
        wcVersionRelease(odd);
        // ...and no field store below may become visible before it.
        VarHandle.storeStoreFence();
        wallclockSeconds(seconds).wcNsec(Integer.toUnsignedLong(nanoseconds));
        // Release: a reader that acquires the even version sees every field above.
        return wcVersionRelease(odd + 1);
    }

    private static long bit(int port) {
        return 1L << (port & 63);
    }
}
