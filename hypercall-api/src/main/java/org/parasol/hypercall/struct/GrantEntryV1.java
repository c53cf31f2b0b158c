package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

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
 * compare-and-set that sees both busy bits clear. The methods below do these on a 4-byte
 * aligned entry, for both sides.
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

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GrantEntryV1() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GrantEntryV1 wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GrantEntryV1 clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code GTF_*} type and sub-flags. */
    public int flags() {
        return Layouts.u16(buffer.getShort(base + FLAGS_OFFSET));
    }

    public GrantEntryV1 flags(int v) {
        buffer.putShort(base + FLAGS_OFFSET, (short) v);
        return this;
    }

    /** The domain granted rights. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public GrantEntryV1 domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }

    /** The granted frame (or, after a transfer, the frame received). */
    public long frame() {
        return Layouts.u32(buffer.getInt(base + FRAME_OFFSET));
    }

    public GrantEntryV1 frame(long v) {
        buffer.putInt(base + FRAME_OFFSET, (int) v);
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

    // ---- The fields granter and hypervisor both change (entry 4-byte aligned, as in a grant frame).

    /** Acquire-reads the header word ({@code flags} and {@code domid}). */
    public int headerAcquire() {
        return buffer.getIntAcquire(base + FLAGS_OFFSET);
    }

    /** Acquire-reads {@code flags}. */
    public int flagsAcquire() {
        return Layouts.u16(buffer.getShortAcquire(base + FLAGS_OFFSET));
    }

    /** Release-writes {@code flags}: the granter's last step when publishing an entry. */
    public GrantEntryV1 flagsRelease(int flags) {
        buffer.putShortRelease(base + FLAGS_OFFSET, (short) flags);
        return this;
    }

    /** Acquire-reads {@code frame}. */
    public long frameAcquire() {
        return Layouts.u32(buffer.getIntAcquire(base + FRAME_OFFSET));
    }

    /** Compare-and-set of the header word ({@code flags} and {@code domid} together). */
    public boolean compareAndSetHeader(int expected, int update) {
        return buffer.compareAndSetInt(base + FLAGS_OFFSET, expected, update);
    }

    /** Compare-and-exchange of the header word; returns the witness value. */
    public int compareAndExchangeHeader(int expected, int update) {
        return buffer.compareAndExchangeInt(base + FLAGS_OFFSET, expected, update);
    }

    /**
     * Atomically clears {@code flags} bits {@code bits} (the hypervisor dropping
     * {@code GTF_reading}/{@code GTF_writing}), leaving {@code domid} alone; returns the old
     * header word.
     */
    public int clearFlags(int bits) {
        return buffer.getAndBitwiseAndInt(base + FLAGS_OFFSET, ~(bits & 0xFFFF));
    }
}
