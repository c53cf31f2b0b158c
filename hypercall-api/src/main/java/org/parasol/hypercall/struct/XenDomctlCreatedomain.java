package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_createdomain}'s member of {@code xen_domctl.u}: mirrors {@code domctl.h}:
 * {@code xen_domctl_createdomain} (68 bytes, with x86's {@code xen_arch_domainconfig}).
 *
 * <pre>
 *  0         4            20      24           28          32               36
 *  +---------+------------+-------+------------+-----------+----------------+
 *  | ssidref | handle[16] | flags | iommu_opts | max_vcpus | max_evtchn_port|
 *  +---------+------------+-------+------------+-----------+----------------+
 *  36                 40                    44           48           52             56           60                 68
 *  +------------------+---------------------+------------+------------+--------------+------------+------------------+
 *  | max_grant_frames | max_maptrack_frames | grant_opts | altp2m     | vmtrace_size | cpupool_id | arch: emulation_ |
 *  | (s32)            | (s32)               |            | opts,nr u16|              |            | flags, misc_flags|
 *  +------------------+---------------------+------------+------------+--------------+------------+------------------+
 * </pre>
 *
 * <p>Invariants (Xen's {@code sanitise_domain_config}): {@code flags} holds only
 * {@code XEN_DOMCTL_CDF_*} bits, {@code grant_opts} only the version nibble, and
 * {@code max_vcpus} is at least 1; the {@code max_vcpus} domctl must later name the same
 * number. Every field is IN.
 */
public final class XenDomctlCreatedomain {
    /** Bytes of {@code xen_domain_handle_t}. */
    public static final int HANDLE_SIZE = 16;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U32.withName("ssidref"),
            MemoryLayout.sequenceLayout(HANDLE_SIZE, Layouts.U8).withName("handle"),
            Layouts.U32.withName("flags"),
            Layouts.U32.withName("iommu_opts"),
            Layouts.U32.withName("max_vcpus"),
            Layouts.U32.withName("max_evtchn_port"),
            Layouts.S32.withName("max_grant_frames"),
            Layouts.S32.withName("max_maptrack_frames"),
            Layouts.U32.withName("grant_opts"),
            MemoryLayout.structLayout(
                    Layouts.U16.withName("opts"),
                    Layouts.U16.withName("nr")).withName("altp2m"),
            Layouts.U32.withName("vmtrace_size"),
            Layouts.U32.withName("cpupool_id"),
            MemoryLayout.structLayout(
                    Layouts.U32.withName("emulation_flags"),
                    Layouts.U32.withName("misc_flags")).withName("arch"))
            .withName("xen_domctl_createdomain");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long SSIDREF_OFFSET = Layouts.offsetOf(LAYOUT, "ssidref");
    public static final long HANDLE_OFFSET = Layouts.offsetOf(LAYOUT, "handle");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long IOMMU_OPTS_OFFSET = Layouts.offsetOf(LAYOUT, "iommu_opts");
    public static final long MAX_VCPUS_OFFSET = Layouts.offsetOf(LAYOUT, "max_vcpus");
    public static final long MAX_EVTCHN_PORT_OFFSET = Layouts.offsetOf(LAYOUT, "max_evtchn_port");
    public static final long MAX_GRANT_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "max_grant_frames");
    public static final long MAX_MAPTRACK_FRAMES_OFFSET = Layouts.offsetOf(LAYOUT, "max_maptrack_frames");
    public static final long GRANT_OPTS_OFFSET = Layouts.offsetOf(LAYOUT, "grant_opts");
    public static final long ALTP2M_OPTS_OFFSET = Layouts.offsetOf(LAYOUT, "altp2m", "opts");
    public static final long ALTP2M_NR_OFFSET = Layouts.offsetOf(LAYOUT, "altp2m", "nr");
    public static final long VMTRACE_SIZE_OFFSET = Layouts.offsetOf(LAYOUT, "vmtrace_size");
    public static final long CPUPOOL_ID_OFFSET = Layouts.offsetOf(LAYOUT, "cpupool_id");
    public static final long ARCH_EMULATION_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "emulation_flags");
    public static final long ARCH_MISC_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "arch", "misc_flags");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlCreatedomain() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlCreatedomain wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public XenDomctlCreatedomain clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** XSM security reference (ignored by the default policy). */
    public long ssidref() {
        return Layouts.u32(buffer.getInt(base + SSIDREF_OFFSET));
    }

    public XenDomctlCreatedomain ssidref(long v) {
        buffer.putInt(base + SSIDREF_OFFSET, (int) v);
        return this;
    }

    /** Byte {@code i} (0..15) of the domain handle (the toolstack's UUID). */
    public int handle(int i) {
        return Layouts.u8(buffer.getByte(base + HANDLE_OFFSET + checkHandleIndex(i)));
    }

    public XenDomctlCreatedomain handle(int i, int v) {
        buffer.putByte(base + HANDLE_OFFSET + checkHandleIndex(i), (byte) v);
        return this;
    }

    static int checkHandleIndex(int i) {
        if (i < 0 || i >= HANDLE_SIZE) {
            throw new IndexOutOfBoundsException("handle byte " + i);
        }
        return i;
    }

    /** {@code XEN_DOMCTL_CDF_*}. */
    public long flags() {
        return Layouts.u32(buffer.getInt(base + FLAGS_OFFSET));
    }

    public XenDomctlCreatedomain flags(long v) {
        buffer.putInt(base + FLAGS_OFFSET, (int) v);
        return this;
    }

    /** {@code XEN_DOMCTL_IOMMU_*}; only with {@code XEN_DOMCTL_CDF_iommu}. */
    public long iommuOpts() {
        return Layouts.u32(buffer.getInt(base + IOMMU_OPTS_OFFSET));
    }

    public XenDomctlCreatedomain iommuOpts(long v) {
        buffer.putInt(base + IOMMU_OPTS_OFFSET, (int) v);
        return this;
    }

    /** The most vCPUs the domain will have; at least 1. */
    public long maxVcpus() {
        return Layouts.u32(buffer.getInt(base + MAX_VCPUS_OFFSET));
    }

    public XenDomctlCreatedomain maxVcpus(long v) {
        buffer.putInt(base + MAX_VCPUS_OFFSET, (int) v);
        return this;
    }

    /** The highest event channel port the domain may use. */
    public long maxEvtchnPort() {
        return Layouts.u32(buffer.getInt(base + MAX_EVTCHN_PORT_OFFSET));
    }

    public XenDomctlCreatedomain maxEvtchnPort(long v) {
        buffer.putInt(base + MAX_EVTCHN_PORT_OFFSET, (int) v);
        return this;
    }

    /** Grant-table frames; below 0 means the hypervisor's default. */
    public int maxGrantFrames() {
        return buffer.getInt(base + MAX_GRANT_FRAMES_OFFSET);
    }

    public XenDomctlCreatedomain maxGrantFrames(int v) {
        buffer.putInt(base + MAX_GRANT_FRAMES_OFFSET, v);
        return this;
    }

    /** Maptrack frames; below 0 means the hypervisor's default. */
    public int maxMaptrackFrames() {
        return buffer.getInt(base + MAX_MAPTRACK_FRAMES_OFFSET);
    }

    public XenDomctlCreatedomain maxMaptrackFrames(int v) {
        buffer.putInt(base + MAX_MAPTRACK_FRAMES_OFFSET, v);
        return this;
    }

    /** {@code XEN_DOMCTL_GRANT_version(v)} in the low 4 bits; nothing else. */
    public long grantOpts() {
        return Layouts.u32(buffer.getInt(base + GRANT_OPTS_OFFSET));
    }

    public XenDomctlCreatedomain grantOpts(long v) {
        buffer.putInt(base + GRANT_OPTS_OFFSET, (int) v);
        return this;
    }

    /** {@code altp2m.opts}: {@code XEN_DOMCTL_ALTP2M_*} (HVM). */
    public int altp2mOpts() {
        return Layouts.u16(buffer.getShort(base + ALTP2M_OPTS_OFFSET));
    }

    public XenDomctlCreatedomain altp2mOpts(int v) {
        buffer.putShort(base + ALTP2M_OPTS_OFFSET, (short) v);
        return this;
    }

    /** {@code altp2m.nr}: altp2m views to permit (HVM). */
    public int altp2mNr() {
        return Layouts.u16(buffer.getShort(base + ALTP2M_NR_OFFSET));
    }

    public XenDomctlCreatedomain altp2mNr(int v) {
        buffer.putShort(base + ALTP2M_NR_OFFSET, (short) v);
        return this;
    }

    /** Per-vCPU trace buffer bytes; 0 disables. */
    public long vmtraceSize() {
        return Layouts.u32(buffer.getInt(base + VMTRACE_SIZE_OFFSET));
    }

    public XenDomctlCreatedomain vmtraceSize(long v) {
        buffer.putInt(base + VMTRACE_SIZE_OFFSET, (int) v);
        return this;
    }

    /** The CPU pool to create the domain in; 0 is the default pool. */
    public long cpupoolId() {
        return Layouts.u32(buffer.getInt(base + CPUPOOL_ID_OFFSET));
    }

    public XenDomctlCreatedomain cpupoolId(long v) {
        buffer.putInt(base + CPUPOOL_ID_OFFSET, (int) v);
        return this;
    }

    /** {@code arch.emulation_flags}: {@code XEN_X86_EMU_*}; 0 for a PV guest. */
    public long archEmulationFlags() {
        return Layouts.u32(buffer.getInt(base + ARCH_EMULATION_FLAGS_OFFSET));
    }

    public XenDomctlCreatedomain archEmulationFlags(long v) {
        buffer.putInt(base + ARCH_EMULATION_FLAGS_OFFSET, (int) v);
        return this;
    }

    /** {@code arch.misc_flags}: {@code XEN_X86_MSR_RELAXED}. */
    public long archMiscFlags() {
        return Layouts.u32(buffer.getInt(base + ARCH_MISC_FLAGS_OFFSET));
    }

    public XenDomctlCreatedomain archMiscFlags(long v) {
        buffer.putInt(base + ARCH_MISC_FLAGS_OFFSET, (int) v);
        return this;
    }
}
