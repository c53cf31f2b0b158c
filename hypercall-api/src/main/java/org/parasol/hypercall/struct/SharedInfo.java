package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.Objects;

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
 * <p>Invariants: the 2-level event ABI has {@value #EVTCHN_2L_NR_CHANNELS} ports; pending and
 * mask bits are changed only with atomic 64-bit operations (the static helpers here, which
 * need the page 8-byte aligned); the wallclock is published under the {@code wc_version}
 * seqlock, as {@code vcpu_time_info} is under its {@code version}.
 */
public final class SharedInfo {
    /** {@code XEN_LEGACY_MAX_VCPUS}: vcpu_info slots in the page. */
    public static final int XEN_LEGACY_MAX_VCPUS = 32;
    /** Words in {@code evtchn_pending} and {@code evtchn_mask}. */
    public static final int EVTCHN_WORDS = 64;
    /** {@code EVTCHN_2L_NR_CHANNELS} on 64-bit: 64 words of 64 bits. */
    public static final int EVTCHN_2L_NR_CHANNELS = EVTCHN_WORDS * Long.SIZE;

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
            MemoryLayout.sequenceLayout(EVTCHN_WORDS, Layouts.U64).withName("evtchn_pending"),
            MemoryLayout.sequenceLayout(EVTCHN_WORDS, Layouts.U64).withName("evtchn_mask"),
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

    private MemorySegment segment;
    private long base;
    private final VcpuInfo vcpuInfo = new VcpuInfo();

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public SharedInfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public SharedInfo wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public SharedInfo clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** Byte offset of {@code vcpu_info[vcpu]} within the structure. */
    public static long vcpuInfoOffset(int vcpu) {
        Objects.checkIndex(vcpu, XEN_LEGACY_MAX_VCPUS);
        return VCPU_INFO_OFFSET + vcpu * VCPU_INFO_STRIDE;
    }

    /** Byte offset of the {@code evtchn_pending} word holding {@code port}'s bit. */
    public static long pendingWordOffset(int port) {
        Objects.checkIndex(port, EVTCHN_2L_NR_CHANNELS);
        return EVTCHN_PENDING_OFFSET + (long) (port >>> 6) * Long.BYTES;
    }

    /** Byte offset of the {@code evtchn_mask} word holding {@code port}'s bit. */
    public static long maskWordOffset(int port) {
        Objects.checkIndex(port, EVTCHN_2L_NR_CHANNELS);
        return EVTCHN_MASK_OFFSET + (long) (port >>> 6) * Long.BYTES;
    }

    /** The reusable {@link VcpuInfo} flyweight, re-wrapped at slot {@code vcpu}. */
    public VcpuInfo vcpuInfo(int vcpu) {
        return vcpuInfo.wrap(segment, base + vcpuInfoOffset(vcpu));
    }

    /** Plain read of {@code evtchn_pending[word]}. */
    public long evtchnPending(int word) {
        Objects.checkIndex(word, EVTCHN_WORDS);
        return segment.get(Layouts.U64, base + EVTCHN_PENDING_OFFSET + word * 8L);
    }

    public SharedInfo evtchnPending(int word, long v) {
        Objects.checkIndex(word, EVTCHN_WORDS);
        segment.set(Layouts.U64, base + EVTCHN_PENDING_OFFSET + word * 8L, v);
        return this;
    }

    /** Plain read of {@code evtchn_mask[word]}. */
    public long evtchnMask(int word) {
        Objects.checkIndex(word, EVTCHN_WORDS);
        return segment.get(Layouts.U64, base + EVTCHN_MASK_OFFSET + word * 8L);
    }

    public SharedInfo evtchnMask(int word, long v) {
        Objects.checkIndex(word, EVTCHN_WORDS);
        segment.set(Layouts.U64, base + EVTCHN_MASK_OFFSET + word * 8L, v);
        return this;
    }

    public long wcVersion() {
        return Layouts.u32(segment.get(Layouts.U32, base + WC_VERSION_OFFSET));
    }

    public SharedInfo wcVersion(long v) {
        segment.set(Layouts.U32, base + WC_VERSION_OFFSET, (int) v);
        return this;
    }

    public long wcSec() {
        return Layouts.u32(segment.get(Layouts.U32, base + WC_SEC_OFFSET));
    }

    public SharedInfo wcSec(long v) {
        segment.set(Layouts.U32, base + WC_SEC_OFFSET, (int) v);
        return this;
    }

    public long wcNsec() {
        return Layouts.u32(segment.get(Layouts.U32, base + WC_NSEC_OFFSET));
    }

    public SharedInfo wcNsec(long v) {
        segment.set(Layouts.U32, base + WC_NSEC_OFFSET, (int) v);
        return this;
    }

    public long wcSecHi() {
        return Layouts.u32(segment.get(Layouts.U32, base + WC_SEC_HI_OFFSET));
    }

    public SharedInfo wcSecHi(long v) {
        segment.set(Layouts.U32, base + WC_SEC_HI_OFFSET, (int) v);
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
        return segment.get(Layouts.U64, base + ARCH_MAX_PFN_OFFSET);
    }

    public SharedInfo maxPfn(long v) {
        segment.set(Layouts.U64, base + ARCH_MAX_PFN_OFFSET, v);
        return this;
    }

    public long pfnToMfnFrameListList() {
        return segment.get(Layouts.U64, base + ARCH_PFN_TO_MFN_FRAME_LIST_LIST_OFFSET);
    }

    public SharedInfo pfnToMfnFrameListList(long v) {
        segment.set(Layouts.U64, base + ARCH_PFN_TO_MFN_FRAME_LIST_LIST_OFFSET, v);
        return this;
    }

    public long nmiReason() {
        return segment.get(Layouts.U64, base + ARCH_NMI_REASON_OFFSET);
    }

    public SharedInfo nmiReason(long v) {
        segment.set(Layouts.U64, base + ARCH_NMI_REASON_OFFSET, v);
        return this;
    }

    public long p2mCr3() {
        return segment.get(Layouts.U64, base + ARCH_P2M_CR3_OFFSET);
    }

    public SharedInfo p2mCr3(long v) {
        segment.set(Layouts.U64, base + ARCH_P2M_CR3_OFFSET, v);
        return this;
    }

    public long p2mVaddr() {
        return segment.get(Layouts.U64, base + ARCH_P2M_VADDR_OFFSET);
    }

    public SharedInfo p2mVaddr(long v) {
        segment.set(Layouts.U64, base + ARCH_P2M_VADDR_OFFSET, v);
        return this;
    }

    public long p2mGeneration() {
        return segment.get(Layouts.U64, base + ARCH_P2M_GENERATION_OFFSET);
    }

    public SharedInfo p2mGeneration(long v) {
        segment.set(Layouts.U64, base + ARCH_P2M_GENERATION_OFFSET, v);
        return this;
    }

    // ---- Atomic event-channel bit operations on a shared_info page at `offset` (8-byte aligned).

    /** Atomically sets {@code port}'s pending bit; returns whether it was already set. */
    public static boolean testAndSetPending(MemorySegment segment, long offset, int port) {
        return testAndSet(segment, offset + pendingWordOffset(port), port);
    }

    /** Atomically clears {@code port}'s pending bit; returns whether it was set. */
    public static boolean testAndClearPending(MemorySegment segment, long offset, int port) {
        return testAndClear(segment, offset + pendingWordOffset(port), port);
    }

    /** Acquire-reads {@code port}'s pending bit. */
    public static boolean isPending(MemorySegment segment, long offset, int port) {
        return (wordAcquire(segment, offset + pendingWordOffset(port)) & bit(port)) != 0;
    }

    /** Atomically sets {@code port}'s mask bit; returns whether it was already set. */
    public static boolean testAndSetMask(MemorySegment segment, long offset, int port) {
        return testAndSet(segment, offset + maskWordOffset(port), port);
    }

    /** Atomically clears {@code port}'s mask bit; returns whether it was set. */
    public static boolean testAndClearMask(MemorySegment segment, long offset, int port) {
        return testAndClear(segment, offset + maskWordOffset(port), port);
    }

    /** Acquire-reads {@code port}'s mask bit. */
    public static boolean isMasked(MemorySegment segment, long offset, int port) {
        return (wordAcquire(segment, offset + maskWordOffset(port)) & bit(port)) != 0;
    }

    /** Acquire-reads {@code evtchn_pending[word]}. */
    public static long pendingWordAcquire(MemorySegment segment, long offset, int word) {
        Objects.checkIndex(word, EVTCHN_WORDS);
        return wordAcquire(segment, offset + EVTCHN_PENDING_OFFSET + word * 8L);
    }

    /** Acquire-reads {@code evtchn_mask[word]}. */
    public static long maskWordAcquire(MemorySegment segment, long offset, int word) {
        Objects.checkIndex(word, EVTCHN_WORDS);
        return wordAcquire(segment, offset + EVTCHN_MASK_OFFSET + word * 8L);
    }

    /** Acquire-reads {@code wc_version} (4-byte aligned). */
    public static int wcVersionAcquire(MemorySegment segment, long offset) {
        return (int) Layouts.ATOMIC_U32.getAcquire(segment, offset + WC_VERSION_OFFSET);
    }

    /** Release-writes {@code wc_version} (4-byte aligned). */
    public static void wcVersionRelease(MemorySegment segment, long offset, int version) {
        Layouts.ATOMIC_U32.setRelease(segment, offset + WC_VERSION_OFFSET, version);
    }

    private static long bit(int port) {
        return 1L << (port & 63);
    }

    private static long wordAcquire(MemorySegment segment, long wordOffset) {
        return (long) Layouts.ATOMIC_U64.getAcquire(segment, wordOffset);
    }

    private static boolean testAndSet(MemorySegment segment, long wordOffset, int port) {
        long mask = bit(port);
        return ((long) Layouts.ATOMIC_U64.getAndBitwiseOr(segment, wordOffset, mask) & mask) != 0;
    }

    private static boolean testAndClear(MemorySegment segment, long wordOffset, int port) {
        long mask = bit(port);
        return ((long) Layouts.ATOMIC_U64.getAndBitwiseAnd(segment, wordOffset, ~mask) & mask) != 0;
    }
}
