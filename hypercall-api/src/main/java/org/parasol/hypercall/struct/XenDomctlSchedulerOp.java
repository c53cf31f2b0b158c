package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_scheduler_op}'s member of {@code xen_domctl.u}: mirrors {@code domctl.h}:
 * {@code xen_domctl_scheduler_op} (24 bytes), with its union read as the credit scheduler's
 * {@code xen_domctl_sched_credit}.
 *
 * <pre>
 *  0          4       8        10    12                          24
 *  +----------+-------+--------+-----+---------------------------+
 *  | sched_id |  cmd  | weight | cap |  rest of the union        |
 *  +----------+-------+--------+-----+---------------------------+
 *    IN         IN      IN/OUT   IN/OUT: u.credit
 * </pre>
 *
 * <p>The union is 16 bytes, 8-aligned, for its largest member (a guest handle with a count,
 * for the per-vCPU commands); the credit scheduler uses its first four. Invariants:
 * {@code sched_id} is {@code XEN_SCHEDULER_CREDIT}; for putinfo a weight of 0 and a cap of
 * {@code 0xFFFF} leave those parameters as they are.
 */
public final class XenDomctlSchedulerOp {
    /** Bytes of the union {@code u}. */
    public static final long U_SIZE = 16;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("sched_id"),
            Layouts.U32.withName("cmd"),
            MemoryLayout.unionLayout(
                    MemoryLayout.structLayout(
                            Layouts.U16.withName("weight"),
                            Layouts.U16.withName("cap")).withName("credit"),
                    MemoryLayout.structLayout(
                            Layouts.U64.withName("vcpus"),
                            Layouts.U32.withName("nr_vcpus"),
                            Layouts.U32.withName("padding")).withName("v")).withName("u"))
            .withName("xen_domctl_scheduler_op");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SCHED_ID_OFFSET = Layouts.offsetOf(LAYOUT, "sched_id");
    public static final long CMD_OFFSET = Layouts.offsetOf(LAYOUT, "cmd");
    public static final long U_OFFSET = Layouts.offsetOf(LAYOUT, "u");
    public static final long CREDIT_WEIGHT_OFFSET = Layouts.offsetOf(LAYOUT, "u", "credit", "weight");
    public static final long CREDIT_CAP_OFFSET = Layouts.offsetOf(LAYOUT, "u", "credit", "cap");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlSchedulerOp() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlSchedulerOp wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctlSchedulerOp clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** {@code XEN_SCHEDULER_*}: the scheduler the caller means. */
    public long schedId() {
        return Layouts.u32(buffer.getInt(base + SCHED_ID_OFFSET));
    }

    public XenDomctlSchedulerOp schedId(long v) {
        buffer.putInt(base + SCHED_ID_OFFSET, (int) v);
        return this;
    }

    /** {@code XEN_DOMCTL_SCHEDOP_*}. */
    public long cmd() {
        return Layouts.u32(buffer.getInt(base + CMD_OFFSET));
    }

    public XenDomctlSchedulerOp cmd(long v) {
        buffer.putInt(base + CMD_OFFSET, (int) v);
        return this;
    }

    /** {@code u.credit.weight}: the domain's weight, 1..65535 (0 on putinfo: unchanged). */
    public int creditWeight() {
        return Layouts.u16(buffer.getShort(base + CREDIT_WEIGHT_OFFSET));
    }

    public XenDomctlSchedulerOp creditWeight(int v) {
        buffer.putShort(base + CREDIT_WEIGHT_OFFSET, (short) v);
        return this;
    }

    /** {@code u.credit.cap}: percent of one pCPU, 0 for none ({@code 0xFFFF} on putinfo: unchanged). */
    public int creditCap() {
        return Layouts.u16(buffer.getShort(base + CREDIT_CAP_OFFSET));
    }

    public XenDomctlSchedulerOp creditCap(int v) {
        buffer.putShort(base + CREDIT_CAP_OFFSET, (short) v);
        return this;
    }
}
