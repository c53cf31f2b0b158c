package org.parasol.hypercall.struct;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import org.parasol.hypercall.SharedBuffer;

/**
 * Parasol's {@code XEN_DOMCTL}-family command {@code PARASOL_LOAD_IMAGE} (0x5041): its member
 * of {@code xen_domctl.u}, {@code parasol_domctl_load_image} (104 bytes). Not a Xen structure:
 * on Xen, libxenguest loads the kernel and writes the start of day from dom0 through foreign
 * mappings; in Parasol the image is Java code the hypervisor's class loaders must load and
 * verify (see {@code docs/deviations.md}).
 *
 * <pre>
 *  0           8           12            16          24       32           40     48      56         64        72
 *  +-----------+-----------+-------------+-----------+--------+------------+------+-------+----------+---------+
 *  |   image   | image_len | cmdline_len |  cmdline  | entry  | start_info | cr3  | stack | nr_pages | pt_base |
 *  +-----------+-----------+-------------+-----------+--------+------------+------+-------+----------+---------+
 *    IN: guest pointers and byte counts                OUT: what vcpu_guest_context of vCPU 0 needs, and the layout
 *
 *  72             76            78    80          88     96         100    104
 *  +--------------+-------------+-----+-----------+------+----------+------+
 *  | store_evtchn | store_domid | pad | store_mfn | name | name_len | pad2 |
 *  +--------------+-------------+-----+-----------+------+----------+------+
 *    IN: libxc's xenstore_evtchn and xenstore_domid  OUT: the store page
 *                                                   IN: the domain's name
 * </pre>
 *
 * <p>Invariants: {@code image} points at {@code image_len} (1..255) bytes of an image name, no
 * NUL needed; {@code cmdline} at {@code cmdline_len} (0..1023) bytes. OUT: {@code entry} is the
 * code address of the kernel's boot ({@code user_regs.rip}), {@code start_info} the virtual
 * address of start_info ({@code user_regs.rsi}), {@code cr3} the bootstrap L4 in CR3 format
 * ({@code ctrlreg[3]}), {@code stack} the initial {@code user_regs.rsp}, {@code nr_pages} the
 * pages laid out and {@code pt_base} the L4's virtual address.
 *
 * <p>The store, as libxenguest sets it up ({@code xc_dom_build_image}'s special pages and
 * {@code xc_dom_gnttab_seed}): IN {@code store_evtchn} is a port of the new domain that the
 * toolstack allocated unbound for {@code store_domid} (the domain running xenstored, 0 for
 * dom0), or 0 for none; {@code pad} must be 0. The command lays out one page after start_info
 * for the store, zeroed, writes its MFN and the port into {@code start_info.store_mfn} and
 * {@code store_evtchn}, and seeds grant reference {@code GNTTAB_RESERVED_XENSTORE} (1) of the
 * new domain to grant {@code store_domid} that page, read-write. OUT {@code store_mfn} is the
 * page's MFN (what {@code XS_INTRODUCE} names).
 *
 * <p>The name: {@code name} points at {@code name_len} (0..64) bytes of the name the domain
 * goes by from now on, {@code [A-Za-z0-9_.-]}, unique among live domains; 0 keeps the name
 * createdomain gave it ({@code d<id>}). {@code pad2} must be 0. Xen's domains have no name in
 * the hypervisor (xl keeps it in xenstore); Parasol's hypervisor names its domains in its
 * logs and to the host that runs it (see {@code docs/deviations.md}).
 */
public final class ParasolDomctlLoadImage {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Layouts.U64.withName("image"),
            Layouts.U32.withName("image_len"),
            Layouts.U32.withName("cmdline_len"),
            Layouts.U64.withName("cmdline"),
            Layouts.U64.withName("entry"),
            Layouts.U64.withName("start_info"),
            Layouts.U64.withName("cr3"),
            Layouts.U64.withName("stack"),
            Layouts.U64.withName("nr_pages"),
            Layouts.U64.withName("pt_base"),
            Layouts.U32.withName("store_evtchn"),
            Layouts.U16.withName("store_domid"),
            Layouts.U16.withName("pad"),
            Layouts.U64.withName("store_mfn"),
            Layouts.U64.withName("name"),
            Layouts.U32.withName("name_len"),
            Layouts.U32.withName("pad2")).withName("parasol_domctl_load_image");

    public static final long SIZE = LAYOUT.byteSize();
    public static final long IMAGE_OFFSET = Layouts.offsetOf(LAYOUT, "image");
    public static final long IMAGE_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "image_len");
    public static final long CMDLINE_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "cmdline_len");
    public static final long CMDLINE_OFFSET = Layouts.offsetOf(LAYOUT, "cmdline");
    public static final long ENTRY_OFFSET = Layouts.offsetOf(LAYOUT, "entry");
    public static final long START_INFO_OFFSET = Layouts.offsetOf(LAYOUT, "start_info");
    public static final long CR3_OFFSET = Layouts.offsetOf(LAYOUT, "cr3");
    public static final long STACK_OFFSET = Layouts.offsetOf(LAYOUT, "stack");
    public static final long NR_PAGES_OFFSET = Layouts.offsetOf(LAYOUT, "nr_pages");
    public static final long PT_BASE_OFFSET = Layouts.offsetOf(LAYOUT, "pt_base");
    public static final long STORE_EVTCHN_OFFSET = Layouts.offsetOf(LAYOUT, "store_evtchn");
    public static final long STORE_DOMID_OFFSET = Layouts.offsetOf(LAYOUT, "store_domid");
    public static final long PAD_OFFSET = Layouts.offsetOf(LAYOUT, "pad");
    public static final long STORE_MFN_OFFSET = Layouts.offsetOf(LAYOUT, "store_mfn");
    public static final long NAME_OFFSET = Layouts.offsetOf(LAYOUT, "name");
    public static final long NAME_LEN_OFFSET = Layouts.offsetOf(LAYOUT, "name_len");
    public static final long PAD2_OFFSET = Layouts.offsetOf(LAYOUT, "pad2");

    private SharedBuffer buffer;
    private long base;

    /** An unwrapped flyweight; {@link #wrap} it before use. */
    public ParasolDomctlLoadImage() {
    }

    /** Points this flyweight at the structure at {@code offset} in {@code buffer}; returns this. */
    public ParasolDomctlLoadImage wrap(SharedBuffer buffer, long offset) {
        this.base = buffer.checkBounds(offset, SIZE);
        this.buffer = buffer;
        return this;
    }

    /** Zeroes the whole structure. */
    public ParasolDomctlLoadImage clear() {
        buffer.setMemory(base, SIZE, (byte) 0);
        return this;
    }

    /** Guest address of the image name's bytes. */
    public long image() {
        return buffer.getLong(base + IMAGE_OFFSET);
    }

    public ParasolDomctlLoadImage image(long v) {
        buffer.putLong(base + IMAGE_OFFSET, v);
        return this;
    }

    /** Bytes of the image name. */
    public long imageLen() {
        return Layouts.u32(buffer.getInt(base + IMAGE_LEN_OFFSET));
    }

    public ParasolDomctlLoadImage imageLen(long v) {
        buffer.putInt(base + IMAGE_LEN_OFFSET, (int) v);
        return this;
    }

    /** Bytes of the command line. */
    public long cmdlineLen() {
        return Layouts.u32(buffer.getInt(base + CMDLINE_LEN_OFFSET));
    }

    public ParasolDomctlLoadImage cmdlineLen(long v) {
        buffer.putInt(base + CMDLINE_LEN_OFFSET, (int) v);
        return this;
    }

    /** Guest address of the command line's bytes (may be 0 when {@code cmdline_len} is 0). */
    public long cmdline() {
        return buffer.getLong(base + CMDLINE_OFFSET);
    }

    public ParasolDomctlLoadImage cmdline(long v) {
        buffer.putLong(base + CMDLINE_OFFSET, v);
        return this;
    }

    /** OUT: code address of the kernel's boot, for {@code user_regs.rip}. */
    public long entry() {
        return buffer.getLong(base + ENTRY_OFFSET);
    }

    public ParasolDomctlLoadImage entry(long v) {
        buffer.putLong(base + ENTRY_OFFSET, v);
        return this;
    }

    /** OUT: virtual address of start_info, for {@code user_regs.rsi}. */
    public long startInfo() {
        return buffer.getLong(base + START_INFO_OFFSET);
    }

    public ParasolDomctlLoadImage startInfo(long v) {
        buffer.putLong(base + START_INFO_OFFSET, v);
        return this;
    }

    /** OUT: the bootstrap L4 in CR3 format, for {@code ctrlreg[3]}. */
    public long cr3() {
        return buffer.getLong(base + CR3_OFFSET);
    }

    public ParasolDomctlLoadImage cr3(long v) {
        buffer.putLong(base + CR3_OFFSET, v);
        return this;
    }

    /** OUT: the initial stack pointer, for {@code user_regs.rsp}. */
    public long stack() {
        return buffer.getLong(base + STACK_OFFSET);
    }

    public ParasolDomctlLoadImage stack(long v) {
        buffer.putLong(base + STACK_OFFSET, v);
        return this;
    }

    /** OUT: pages laid out ({@code start_info.nr_pages}). */
    public long nrPages() {
        return buffer.getLong(base + NR_PAGES_OFFSET);
    }

    public ParasolDomctlLoadImage nrPages(long v) {
        buffer.putLong(base + NR_PAGES_OFFSET, v);
        return this;
    }

    /** OUT: virtual address of the bootstrap L4 ({@code start_info.pt_base}). */
    public long ptBase() {
        return buffer.getLong(base + PT_BASE_OFFSET);
    }

    public ParasolDomctlLoadImage ptBase(long v) {
        buffer.putLong(base + PT_BASE_OFFSET, v);
        return this;
    }

    /** IN: the new domain's store port, unbound for {@code store_domid}; 0 for none. */
    public long storeEvtchn() {
        return Layouts.u32(buffer.getInt(base + STORE_EVTCHN_OFFSET));
    }

    public ParasolDomctlLoadImage storeEvtchn(long v) {
        buffer.putInt(base + STORE_EVTCHN_OFFSET, (int) v);
        return this;
    }

    /** IN: the domain granted the store page (grant reference 1): where xenstored runs. */
    public int storeDomid() {
        return Layouts.u16(buffer.getShort(base + STORE_DOMID_OFFSET));
    }

    public ParasolDomctlLoadImage storeDomid(int v) {
        buffer.putShort(base + STORE_DOMID_OFFSET, (short) v);
        return this;
    }

    /** IN: must be 0. */
    public int pad() {
        return Layouts.u16(buffer.getShort(base + PAD_OFFSET));
    }

    public ParasolDomctlLoadImage pad(int v) {
        buffer.putShort(base + PAD_OFFSET, (short) v);
        return this;
    }

    /** OUT: the store page's MFN ({@code start_info.store_mfn}). */
    public long storeMfn() {
        return buffer.getLong(base + STORE_MFN_OFFSET);
    }

    public ParasolDomctlLoadImage storeMfn(long v) {
        buffer.putLong(base + STORE_MFN_OFFSET, v);
        return this;
    }

    /** IN: guest address of the domain's new name (may be 0 when {@code name_len} is 0). */
    public long name() {
        return buffer.getLong(base + NAME_OFFSET);
    }

    public ParasolDomctlLoadImage name(long v) {
        buffer.putLong(base + NAME_OFFSET, v);
        return this;
    }

    /** IN: bytes of the name; 0 keeps the domain's name. */
    public long nameLen() {
        return Layouts.u32(buffer.getInt(base + NAME_LEN_OFFSET));
    }

    public ParasolDomctlLoadImage nameLen(long v) {
        buffer.putInt(base + NAME_LEN_OFFSET, (int) v);
        return this;
    }

    /** IN: must be 0. */
    public long pad2() {
        return Layouts.u32(buffer.getInt(base + PAD2_OFFSET));
    }

    public ParasolDomctlLoadImage pad2(long v) {
        buffer.putInt(base + PAD2_OFFSET, (int) v);
        return this;
    }
}
