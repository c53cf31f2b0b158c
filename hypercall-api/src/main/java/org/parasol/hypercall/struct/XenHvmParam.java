package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code HVMOP_set_param} (0) and {@code HVMOP_get_param} (1): mirrors
 * {@code hvm/hvm_op.h}: {@code xen_hvm_param} (16 bytes).
 *
 * <pre>
 *  0       2       4               8                               16
 *  +-------+-------+---------------+-------------------------------+
 *  | domid |  pad  |     index     |             value             |
 *  +-------+-------+---------------+-------------------------------+
 * </pre>
 *
 * <p>Invariants: {@code domid} is a {@code domid_t} ({@code DOMID_SELF} for the caller);
 * {@code index} an {@code HVM_PARAM_*} number below {@code HVM_NR_PARAMS}; {@code value} is
 * IN for set and OUT for get.
 */
public final class XenHvmParam {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("domid"),
            MemoryLayout.paddingLayout(2),
            Layouts.U32.withName("index"),
            Layouts.U64.withName("value")).withName("xen_hvm_param");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "domid");
    public static final long INDEX_OFFSET = Layouts.offsetOf(LAYOUT, "index");
    public static final long VALUE_OFFSET = Layouts.offsetOf(LAYOUT, "value");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenHvmParam() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenHvmParam wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenHvmParam clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain, {@code DOMID_SELF} for the caller. */
    public int domid() {
        return Layouts.u16(buffer.getShort(base + DOMID_OFFSET));
    }

    public XenHvmParam domid(int v) {
        buffer.putShort(base + DOMID_OFFSET, (short) v);
        return this;
    }

    /** {@code HVM_PARAM_*}, unsigned. */
    public long index() {
        return Layouts.u32(buffer.getInt(base + INDEX_OFFSET));
    }

    public XenHvmParam index(long v) {
        buffer.putInt(base + INDEX_OFFSET, (int) v);
        return this;
    }

    /** The parameter's value (IN for set, OUT for get). */
    public long value() {
        return buffer.getLong(base + VALUE_OFFSET);
    }

    public XenHvmParam value(long v) {
        buffer.putLong(base + VALUE_OFFSET, v);
        return this;
    }
}
