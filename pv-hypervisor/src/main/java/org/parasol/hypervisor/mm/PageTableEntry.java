package org.parasol.hypervisor.mm;

import org.parasol.hypercall.abi.Mmu;

/**
 * The x86-64 page-table entry as a PV guest writes it (fact sheet §9.1), and the index
 * arithmetic of the 4-level walk.
 *
 * <pre>
 *  63  62      52 51                                12 11  9 8 7 6 5 4 3 2 1 0
 * +--+----------+------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 * |NX| ignored  |            frame (MFN)             |avail|G|S|D|A|C|W|U|R|P|
 * +--+----------+------------------------------------+-----+-+-+-+-+-+-+-+-+-+
 *   P present  R read/write  U user  W PWT  C PCD  A accessed  D dirty
 *   S PSE (L2/L3; reserved in L4, PAT in L1)  G global
 * </pre>
 *
 * <p>A virtual address is canonical when bits 63..47 are all equal; it selects
 * {@code L4[47:39] -> L3[38:30] -> L2[29:21] -> L1[20:12]}, then the byte {@code [11:0]}.
 */
public final class PageTableEntry {
    private PageTableEntry() {
    }

    /** {@code _PAGE_PRESENT}. */
    public static final long PRESENT = Mmu.PAGE_PRESENT;
    /** {@code _PAGE_RW}. */
    public static final long RW = Mmu.PAGE_RW;
    /** {@code _PAGE_USER}. */
    public static final long USER = Mmu.PAGE_USER;
    /** {@code _PAGE_ACCESSED}. */
    public static final long ACCESSED = Mmu.PAGE_ACCESSED;
    /** {@code _PAGE_DIRTY}. */
    public static final long DIRTY = Mmu.PAGE_DIRTY;
    /** {@code _PAGE_PSE}: a superpage in L2/L3, which PV guests may not use. */
    public static final long PSE = Mmu.PAGE_PSE;
    /** {@code _PAGE_NX}. */
    public static final long NX = Mmu.PAGE_NX;
    /**
     * {@code _PAGE_GNTTAB} (bit 62, one of the bits the hardware ignores): the entry was
     * written by map_grant_ref, not by the guest. Its references belong to the grant mapping
     * (the mapper's maptrack entry), so devalidating the table drops nothing for it, and a
     * guest may neither write an entry with this bit nor overwrite one that has it.
     */
    public static final long GNTTAB = 1L << 62;
    /** Bits 12..51: the machine frame address. */
    public static final long FRAME_MASK = Mmu.PAGE_FRAME_MASK;
    /** Entries per table. */
    public static final int ENTRIES = Mmu.PT_ENTRIES;

    /** An entry mapping {@code mfn} with {@code flags}. */
    public static long make(long mfn, long flags) {
        return ((mfn << MachineMemory.PAGE_SHIFT) & FRAME_MASK) | (flags & ~FRAME_MASK);
    }

    /** The MFN an entry refers to. */
    public static long mfn(long pte) {
        return (pte & FRAME_MASK) >>> MachineMemory.PAGE_SHIFT;
    }

    /** Whether {@code va} is canonical (bits 63..47 all equal). */
    public static boolean isCanonical(long va) {
        return (va << 16 >> 16) == va;
    }

    /** The index of {@code va} in its level-{@code level} table (1 = L1 .. 4 = L4). */
    public static int index(long va, int level) {
        return (int) (va >>> (MachineMemory.PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES - 1);
    }
}
