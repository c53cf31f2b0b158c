package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code EVTCHNOP_bind_vcpu} (8): mirrors {@code event_channel.h}:
 * {@code evtchn_bind_vcpu} (8 bytes).
 *
 * <pre>
 *  0        4        8
 *  +--------+--------+
 *  |  port  |  vcpu  |
 *  +--------+--------+
 * </pre>
 *
 * <p>Invariants: per-vCPU VIRQ and IPI ports cannot be moved.
 */
public final class EvtchnBindVcpu {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("port"),
            Layouts.U32.withName("vcpu")).withName("evtchn_bind_vcpu");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long PORT_OFFSET = Layouts.offsetOf(LAYOUT, "port");
    public static final long VCPU_OFFSET = Layouts.offsetOf(LAYOUT, "vcpu");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public EvtchnBindVcpu() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public EvtchnBindVcpu wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public EvtchnBindVcpu clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The local port. */
    public long port() {
        return Layouts.u32(buffer.getInt(base + PORT_OFFSET));
    }

    public EvtchnBindVcpu port(long v) {
        buffer.putInt(base + PORT_OFFSET, (int) v);
        return this;
    }

    /** The vCPU to notify from now on. */
    public long vcpu() {
        return Layouts.u32(buffer.getInt(base + VCPU_OFFSET));
    }

    public EvtchnBindVcpu vcpu(long v) {
        buffer.putInt(base + VCPU_OFFSET, (int) v);
        return this;
    }
}
