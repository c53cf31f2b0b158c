package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * The common head of a version-2 grant entry: mirrors {@code grant_table.h}:
 * {@code grant_entry_header} (4 bytes).
 *
 * <pre>
 *  0       2       4
 *  +-------+-------+
 *  | flags | domid |
 *  +-------+-------+
 * </pre>
 *
 * <p>Invariants: {@code flags} holds the {@code GTF_*} type in bits 0..1 and sub-flags above;
 * the  granter writes {@code domid} (and the body) before it publishes the type with a release
 * store of {@code flags}.
 */
public final class GrantEntryHeader {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("flags"),
            Layouts.U16.withName("domid")).withName("grant_entry_header");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public GrantEntryHeader() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public GrantEntryHeader wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public GrantEntryHeader clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code GTF_*} type and sub-flags. */
    public int flags() {
        return Layouts.u16(buffer.getShort(base + FLAGS_OFFSET));
    }

    public GrantEntryHeader flags(int v) {
        buffer.putShort(base + FLAGS_OFFSET, (short) v);
        return this;
    }

    /** The domain granted rights. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public GrantEntryHeader domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }
}
