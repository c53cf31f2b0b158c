package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * {@code XEN_DOMCTL_getdomaininfo}'s member of {@code xen_domctl.u}: mirrors {@code domctl.h}:
 * {@code xen_domctl_getdomaininfo} (112 bytes, with x86's {@code xen_arch_domainconfig}).
 * Every field is OUT.
 *
 * <pre>
 *    0 domain u16   2 pad1   4 flags (XEN_DOMINF_*, shutdown code in bits 16..23)
 *    8 tot_pages   16 max_pages   24 outstanding_pages   32 shr_pages   40 paged_pages
 *   48 shared_info_frame   56 cpu_time (ns)                                   (u64 each)
 *   64 nr_online_vcpus   68 max_vcpu_id   72 ssidref   76 handle[16]   92 cpupool (u32)
 *   96 gpaddr_bits u8   97 pad2[7]   104 arch_config { emulation_flags, misc_flags }   112
 * </pre>
 *
 * <p>Invariants: {@code domain} echoes {@code xen_domctl.domain}; {@code max_vcpu_id} is
 * {@code XEN_INVALID_MAX_VCPU_ID} for a domain without vCPUs; the running and blocked bits are
 * set only while some vCPU is online.
 */
public final class XenDomctlGetdomaininfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U16.withName("domain"),
            Layouts.U16.withName("pad1"),
            Layouts.U32.withName("flags"),
            Layouts.U64.withName("tot_pages"),
            Layouts.U64.withName("max_pages"),
            Layouts.U64.withName("outstanding_pages"),
            Layouts.U64.withName("shr_pages"),
            Layouts.U64.withName("paged_pages"),
            Layouts.U64.withName("shared_info_frame"),
            Layouts.U64.withName("cpu_time"),
            Layouts.U32.withName("nr_online_vcpus"),
            Layouts.U32.withName("max_vcpu_id"),
            Layouts.U32.withName("ssidref"),
            MemoryLayout.sequenceLayout(XenDomctlCreatedomain.HANDLE_SIZE, Layouts.U8).withName("handle"),
            Layouts.U32.withName("cpupool"),
            Layouts.U8.withName("gpaddr_bits"),
            MemoryLayout.sequenceLayout(7, Layouts.U8).withName("pad2"),
            MemoryLayout.structLayout(
                    Layouts.U32.withName("emulation_flags"),
                    Layouts.U32.withName("misc_flags")).withName("arch_config"))
            .withName("xen_domctl_getdomaininfo");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long DOMAIN_OFFSET = Layouts.offsetOf(LAYOUT, "domain");
    public static final long FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "flags");
    public static final long TOT_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "tot_pages");
    public static final long MAX_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "max_pages");
    public static final long OUTSTANDING_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "outstanding_pages");
    public static final long SHR_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "shr_pages");
    public static final long PAGED_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "paged_pages");
    public static final long SHARED_INFO_FRAME_OFFSET = Layouts.offsetOf(LAYOUT, "shared_info_frame");
    public static final long CPU_TIME_OFFSET = Layouts.offsetOf(LAYOUT, "cpu_time");
    public static final long NR_ONLINE_VCPUS_OFFSET = Layouts.offsetOf(LAYOUT, "nr_online_vcpus");
    public static final long MAX_VCPU_ID_OFFSET = Layouts.offsetOf(LAYOUT, "max_vcpu_id");
    public static final long SSIDREF_OFFSET = Layouts.offsetOf(LAYOUT, "ssidref");
    public static final long HANDLE_OFFSET = Layouts.offsetOf(LAYOUT, "handle");
    public static final long CPUPOOL_OFFSET = Layouts.offsetOf(LAYOUT, "cpupool");
    public static final long GPADDR_BITS_OFFSET = Layouts.offsetOf(LAYOUT, "gpaddr_bits");
    public static final long ARCH_EMULATION_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "arch_config", "emulation_flags");
    public static final long ARCH_MISC_FLAGS_OFFSET = Layouts.offsetOf(LAYOUT, "arch_config", "misc_flags");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public XenDomctlGetdomaininfo() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public XenDomctlGetdomaininfo wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure, as Xen's {@code getdomaininfo} starts with. */
    public XenDomctlGetdomaininfo clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** The domain described. */
    public int domain() {
        return Layouts.u16(buffer.getShort(base + DOMAIN_OFFSET));
    }

    public XenDomctlGetdomaininfo domain(int v) {
        buffer.putShort(base + DOMAIN_OFFSET, (short) v);
        return this;
    }

    /** {@code XEN_DOMINF_*}, with the shutdown code at {@code XEN_DOMINF_shutdownshift}. */
    public int flags() {
        return buffer.getInt(base + FLAGS_OFFSET);
    }

    public XenDomctlGetdomaininfo flags(int v) {
        buffer.putInt(base + FLAGS_OFFSET, v);
        return this;
    }

    /** Pages the domain owns. */
    public long totPages() {
        return buffer.getLong(base + TOT_PAGES_OFFSET);
    }

    public XenDomctlGetdomaininfo totPages(long v) {
        buffer.putLong(base + TOT_PAGES_OFFSET, v);
        return this;
    }

    /** Pages the domain may own. */
    public long maxPages() {
        return buffer.getLong(base + MAX_PAGES_OFFSET);
    }

    public XenDomctlGetdomaininfo maxPages(long v) {
        buffer.putLong(base + MAX_PAGES_OFFSET, v);
        return this;
    }

    /** Pages claimed but not yet allocated. */
    public long outstandingPages() {
        return buffer.getLong(base + OUTSTANDING_PAGES_OFFSET);
    }

    public XenDomctlGetdomaininfo outstandingPages(long v) {
        buffer.putLong(base + OUTSTANDING_PAGES_OFFSET, v);
        return this;
    }

    /** Pages shared by memory sharing. */
    public long shrPages() {
        return buffer.getLong(base + SHR_PAGES_OFFSET);
    }

    public XenDomctlGetdomaininfo shrPages(long v) {
        buffer.putLong(base + SHR_PAGES_OFFSET, v);
        return this;
    }

    /** Pages paged out. */
    public long pagedPages() {
        return buffer.getLong(base + PAGED_PAGES_OFFSET);
    }

    public XenDomctlGetdomaininfo pagedPages(long v) {
        buffer.putLong(base + PAGED_PAGES_OFFSET, v);
        return this;
    }

    /** The GMFN of the domain's shared_info page (its MFN, for a PV guest). */
    public long sharedInfoFrame() {
        return buffer.getLong(base + SHARED_INFO_FRAME_OFFSET);
    }

    public XenDomctlGetdomaininfo sharedInfoFrame(long v) {
        buffer.putLong(base + SHARED_INFO_FRAME_OFFSET, v);
        return this;
    }

    /** Nanoseconds the domain's vCPUs have run. */
    public long cpuTime() {
        return buffer.getLong(base + CPU_TIME_OFFSET);
    }

    public XenDomctlGetdomaininfo cpuTime(long v) {
        buffer.putLong(base + CPU_TIME_OFFSET, v);
        return this;
    }

    /** vCPUs that are up. */
    public long nrOnlineVcpus() {
        return Layouts.u32(buffer.getInt(base + NR_ONLINE_VCPUS_OFFSET));
    }

    public XenDomctlGetdomaininfo nrOnlineVcpus(long v) {
        buffer.putInt(base + NR_ONLINE_VCPUS_OFFSET, (int) v);
        return this;
    }

    /** The highest vCPU id in use, or {@code XEN_INVALID_MAX_VCPU_ID} (as a signed int, -1). */
    public int maxVcpuId() {
        return buffer.getInt(base + MAX_VCPU_ID_OFFSET);
    }

    public XenDomctlGetdomaininfo maxVcpuId(int v) {
        buffer.putInt(base + MAX_VCPU_ID_OFFSET, v);
        return this;
    }

    /** XSM security reference. */
    public long ssidref() {
        return Layouts.u32(buffer.getInt(base + SSIDREF_OFFSET));
    }

    public XenDomctlGetdomaininfo ssidref(long v) {
        buffer.putInt(base + SSIDREF_OFFSET, (int) v);
        return this;
    }

    /** Byte {@code i} (0..15) of the domain handle. */
    public int handle(int i) {
        return Layouts.u8(buffer.getByte(base + HANDLE_OFFSET + XenDomctlCreatedomain.checkHandleIndex(i)));
    }

    public XenDomctlGetdomaininfo handle(int i, int v) {
        buffer.putByte(base + HANDLE_OFFSET + XenDomctlCreatedomain.checkHandleIndex(i), (byte) v);
        return this;
    }

    /** The CPU pool the domain is in. */
    public long cpupool() {
        return Layouts.u32(buffer.getInt(base + CPUPOOL_OFFSET));
    }

    public XenDomctlGetdomaininfo cpupool(long v) {
        buffer.putInt(base + CPUPOOL_OFFSET, (int) v);
        return this;
    }

    /** Bits of the guest's physical address space. */
    public int gpaddrBits() {
        return Layouts.u8(buffer.getByte(base + GPADDR_BITS_OFFSET));
    }

    public XenDomctlGetdomaininfo gpaddrBits(int v) {
        buffer.putByte(base + GPADDR_BITS_OFFSET, (byte) v);
        return this;
    }

    /** {@code arch_config.emulation_flags}: 0 for a PV guest. */
    public long archEmulationFlags() {
        return Layouts.u32(buffer.getInt(base + ARCH_EMULATION_FLAGS_OFFSET));
    }

    public XenDomctlGetdomaininfo archEmulationFlags(long v) {
        buffer.putInt(base + ARCH_EMULATION_FLAGS_OFFSET, (int) v);
        return this;
    }

    /** {@code arch_config.misc_flags}. */
    public long archMiscFlags() {
        return Layouts.u32(buffer.getInt(base + ARCH_MISC_FLAGS_OFFSET));
    }

    public XenDomctlGetdomaininfo archMiscFlags(long v) {
        buffer.putInt(base + ARCH_MISC_FLAGS_OFFSET, (int) v);
        return this;
    }
}
