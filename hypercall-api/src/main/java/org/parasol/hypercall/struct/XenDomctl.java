package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Argument of {@code domctl} (hypercall 36): mirrors {@code domctl.h}: {@code xen_domctl}
 * (144 bytes): a 16-byte header and a 128-byte union whose member {@code cmd} selects.
 *
 * <pre>
 *  0       4                   8        10              16                              144
 *  +-------+-------------------+--------+---------------+-------------------------------+
 *  |  cmd  | interface_version | domain |  _pad[3]      | u: one XEN_DOMCTL_* argument  |
 *  +-------+-------------------+--------+---------------+-------------------------------+
 *    IN      IN                  IN/OUT                   IN/OUT, the member per cmd
 * </pre>
 *
 * <p>The union's members each have a flyweight of their own, wrapped at {@link #U_OFFSET}:
 * {@link XenDomctlCreatedomain}, {@link XenDomctlGetdomaininfo}, {@link XenDomctlMaxMem},
 * {@link XenDomctlVcpucontext}, {@link XenDomctlMaxVcpus}, {@link XenDomctlSchedulerOp},
 * {@link XenDomctlVcpuaffinity} and Parasol's
 * {@link ParasolDomctlLoadImage}.
 *
 * <p>Invariants: {@code interface_version} is {@code XEN_DOMCTL_INTERFACE_VERSION} (0 for the
 * stable ops); Xen copies the whole structure in once and, for the commands that answer in
 * it, the whole structure back.
 */
public final class XenDomctl {
    /** Bytes of the union {@code u}. */
    public static final long U_SIZE = 128;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("cmd"),
            Layouts.U32.withName("interface_version"),
            Layouts.U16.withName("domain"),
            MemoryLayout.paddingLayout(6),
            MemoryLayout.unionLayout(
                    XenDomctlCreatedomain.LAYOUT.withName("createdomain"),
                    XenDomctlGetdomaininfo.LAYOUT.withName("getdomaininfo"),
                    XenDomctlMaxMem.LAYOUT.withName("max_mem"),
                    XenDomctlVcpucontext.LAYOUT.withName("vcpucontext"),
                    XenDomctlMaxVcpus.LAYOUT.withName("max_vcpus"),
                    XenDomctlSchedulerOp.LAYOUT.withName("scheduler_op"),
                    XenDomctlVcpuaffinity.LAYOUT.withName("vcpuaffinity"),
                    ParasolDomctlLoadImage.LAYOUT.withName("parasol_load_image"),
                    MemoryLayout.sequenceLayout(U_SIZE, Layouts.U8).withName("pad")).withName("u"))
            .withName("xen_domctl");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long CMD_OFFSET = Layouts.offsetOf(LAYOUT, "cmd");
    public static final long INTERFACE_VERSION_OFFSET = Layouts.offsetOf(LAYOUT, "interface_version");
    public static final long DOMAIN_OFFSET = Layouts.offsetOf(LAYOUT, "domain");
    public static final long U_OFFSET = Layouts.offsetOf(LAYOUT, "u");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctl() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctl wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctl clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Zeroes the union {@code u} only, before an OUT member is filled. */
    public XenDomctl clearU() {
        buffer.setMemory(base + U_OFFSET, U_SIZE, (byte) 0);
        return this;
    }

    /** {@code XEN_DOMCTL_*}. */
    public long cmd() {
        return Layouts.u32(buffer.getInt(base + CMD_OFFSET));
    }

    public XenDomctl cmd(long v) {
        buffer.putInt(base + CMD_OFFSET, (int) v);
        return this;
    }

    /** {@code XEN_DOMCTL_INTERFACE_VERSION} the caller was built against. */
    public long interfaceVersion() {
        return Layouts.u32(buffer.getInt(base + INTERFACE_VERSION_OFFSET));
    }

    public XenDomctl interfaceVersion(long v) {
        buffer.putInt(base + INTERFACE_VERSION_OFFSET, (int) v);
        return this;
    }

    /** The domain acted on; for createdomain the id asked for IN and the id given OUT. */
    public int domain() {
        return Layouts.u16(buffer.getShort(base + DOMAIN_OFFSET));
    }

    public XenDomctl domain(int v) {
        buffer.putShort(base + DOMAIN_OFFSET, (short) v);
        return this;
    }
}
