package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * One version-1 grant entry in a granter's table: mirrors {@code grant_table.h}:
 * {@code grant_entry_v1} (8 bytes).
 *
 * <pre>
 *  0       2       4               8
 *  +-------+-------+---------------+
 *  | flags | domid |     frame     |
 *  +-------+-------+---------------+
 *   GTF type (bits 0..1) | readonly 2 | reading 3 | writing 4 | PWT 5 | PCD 6 | PAT 7 | sub_page 8
 * </pre>
 *
 * <p>Invariants: 512 entries fill a 4 KiB frame. The granter publishes by writing
 * {@code domid} and {@code frame}, then the type in {@code flags} with a release store; the
 * hypervisor sets and clears {@code GTF_reading}/{@code GTF_writing} with compare-and-set over
 * the 32-bit word made of {@code flags} and {@code domid}; the granter ends access only with a
 * compare-and- set that sees both busy bits clear. The static helpers do these on a 4-byte
 * aligned entry.
 */
public final class GrantEntryV1 {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("flags"),
            Layouts.U16.withName("domid"),
            Layouts.U32.withName("frame")).withName("grant_entry_v1");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");
    public static final long FRAME_OFFSET = Layouts.offsetOf(LAYOUT, "frame");

    private MemorySegment segment;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GrantEntryV1() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code segment}; returns this. */
    public GrantEntryV1 wrap(MemorySegment segment, long offset) {
        this.base = Layouts.checkWrap(segment, offset, SIZE);
        this.segment = segment;
        return this;
    }

    /** Zeroes the whole structure. */
    public GrantEntryV1 clear() {
        Layouts.zero(segment, base, SIZE);
        return this;
    }

    /** {@code GTF_*} type and sub-flags. */
    public int flags() {
        return Layouts.u16(segment.get(Layouts.U16, base + FLAGS_OFFSET));
    }

    public GrantEntryV1 flags(int v) {
        segment.set(Layouts.U16, base + FLAGS_OFFSET, (short) v);
        return this;
    }

    /** The domain granted rights. */
    public int domid() {
        return Layouts.u16(segment.get(Layouts.U16, base + DOMID_OFFSET));
    }

    public GrantEntryV1 domid(int v) {
        segment.set(Layouts.U16, base + DOMID_OFFSET, (short) v);
        return this;
    }

    /** The granted frame (or, after a transfer, the frame received). */
    public long frame() {
        return Layouts.u32(segment.get(Layouts.U32, base + FRAME_OFFSET));
    }

    public GrantEntryV1 frame(long v) {
        segment.set(Layouts.U32, base + FRAME_OFFSET, (int) v);
        return this;
    }

    /** The 32-bit word at offset 0: {@code flags} in the low half, {@code domid} in the high half. */
    public static int header(int flags, int domid) {
        return (flags & 0xFFFF) | (domid << 16);
    }

    /** {@code flags} of a {@link #header} word. */
    public static int headerFlags(int header) {
        return header & 0xFFFF;
    }

    /** {@code domid} of a {@link #header} word. */
    public static int headerDomid(int header) {
        return header >>> 16;
    }

    /** Acquire-reads the header word of the entry at {@code offset}. */
    public static int headerAcquire(MemorySegment segment, long offset) {
        return (int) Layouts.ATOMIC_U32.getAcquire(segment, offset + FLAGS_OFFSET);
    }

    /** Acquire-reads {@code flags} of the entry at {@code offset}. */
    public static int flagsAcquire(MemorySegment segment, long offset) {
        return Layouts.u16((short) Layouts.ATOMIC_U16.getAcquire(segment, offset + FLAGS_OFFSET));
    }

    /** Release-writes {@code flags}: the granter's last step when publishing an entry. */
    public static void flagsRelease(MemorySegment segment, long offset, int flags) {
        Layouts.ATOMIC_U16.setRelease(segment, offset + FLAGS_OFFSET, (short) flags);
    }

    /** Compare-and-set of the header word ({@code flags} and {@code domid} together). */
    public static boolean compareAndSetHeader(MemorySegment segment, long offset, int expected, int update) {
        return Layouts.ATOMIC_U32.compareAndSet(segment, offset + FLAGS_OFFSET, expected, update);
    }

    /** Compare-and-exchange of the header word; returns the witness value. */
    public static int compareAndExchangeHeader(MemorySegment segment, long offset, int expected, int update) {
        return (int) Layouts.ATOMIC_U32.compareAndExchange(segment, offset + FLAGS_OFFSET, expected, update);
    }
}
