package org.parasol.hypercall.abi;

/**
 * {@code mmu_update} request types ({@code MMU_*}) and x86-64 page-table-entry bits
 * ({@code _PAGE_*}), mirrors {@code public/xen.h} and the x86-64 page-table format.
 *
 * <p>A request is {@code {u64 ptr; u64 val}}: the type is {@code ptr & }{@link #CMD_MASK},
 * the machine address {@code ptr & ~}{@link #CMD_MASK}.
 * <pre>
 *  63   62 .. 52  51 ............. 12  11..9   8   7    6   5    4    3    2    1    0
 * +----+---------+--------------------+-------+---+----+---+---+-----+-----+----+----+---+
 * | NX | avail   |       frame        | avail | G |PAT | D | A | PCD | PWT | US | RW | P |
 * +----+---------+--------------------+-------+---+----+---+---+-----+-----+----+----+---+
 * </pre>
 */
public final class Mmu {
    private Mmu() {
    }

    /** {@code MMU_NORMAL_PT_UPDATE}: checked write of a PTE at a machine address. */
    public static final int NORMAL_PT_UPDATE = 0;
    /** {@code MMU_MACHPHYS_UPDATE}: set the M2P entry of frame {@code ptr >> 12} to {@code val}. */
    public static final int MACHPHYS_UPDATE = 1;
    /** {@code MMU_PT_UPDATE_PRESERVE_AD}: as normal, keeping the current A/D bits. */
    public static final int PT_UPDATE_PRESERVE_AD = 2;
    /** {@code MMU_PT_UPDATE_NO_TRANSLATE}: as normal, {@code val} not translated. */
    public static final int PT_UPDATE_NO_TRANSLATE = 3;
    /** The request-type bits of {@code ptr}. */
    public static final int CMD_MASK = 3;
    /**
     * {@code MMU_UPDATE_PREEMPTED}: Xen's flag in the {@code count} argument marking a
     * continued {@code mmu_update}/{@code mmuext_op} (bit 31).
     */
    public static final int MMU_UPDATE_PREEMPTED = 1 << 31;

    /** {@code _PAGE_PRESENT}. */
    public static final long PAGE_PRESENT = 1L << 0;
    /** {@code _PAGE_RW}: writable. */
    public static final long PAGE_RW = 1L << 1;
    /** {@code _PAGE_USER}: user-accessible. */
    public static final long PAGE_USER = 1L << 2;
    /** {@code _PAGE_PWT}: write-through. */
    public static final long PAGE_PWT = 1L << 3;
    /** {@code _PAGE_PCD}: cache disable. */
    public static final long PAGE_PCD = 1L << 4;
    /** {@code _PAGE_ACCESSED}. */
    public static final long PAGE_ACCESSED = 1L << 5;
    /** {@code _PAGE_DIRTY}. */
    public static final long PAGE_DIRTY = 1L << 6;
    /** {@code _PAGE_PAT} in an L1 entry ({@code _PAGE_PSE} above L1, not usable by PV guests). */
    public static final long PAGE_PAT = 1L << 7;
    /** {@code _PAGE_PSE}: large page, same bit as {@link #PAGE_PAT}. */
    public static final long PAGE_PSE = PAGE_PAT;
    /** {@code _PAGE_GLOBAL}. */
    public static final long PAGE_GLOBAL = 1L << 8;
    /** {@code _PAGE_AVAIL}: bits 9..11, free for the OS. */
    public static final long PAGE_AVAIL = 0xE00L;
    /** {@code _PAGE_NX}: no execute. */
    public static final long PAGE_NX = 1L << 63;
    /** {@code PADDR_MASK & PAGE_MASK}: the frame address, bits 12..51. */
    public static final long PAGE_FRAME_MASK = 0x000F_FFFF_FFFF_F000L;
    /** {@code PAGE_SHIFT}: 4 KiB pages. */
    public static final int PAGE_SHIFT = 12;
    /** {@code PAGE_SIZE}. */
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** Entries in one page-table page of any level. */
    public static final int PT_ENTRIES = 512;

    /**
     * {@code HYPERVISOR_VIRT_START} (x86-64): the start of the hole Xen reserves in every
     * address space, L4 slots 256..271. A hypercall's pointer argument inside the hole fails
     * Xen's {@code access_ok} and is {@code -EFAULT}, for reads as for writes.
     */
    public static final long HYPERVISOR_VIRT_START = 0xFFFF_8000_0000_0000L;
    /** {@code HYPERVISOR_VIRT_END} (x86-64): the first address above the reserved hole. */
    public static final long HYPERVISOR_VIRT_END = 0xFFFF_8800_0000_0000L;
    /** {@code MACH2PHYS_VIRT_START} (x86-64): where the read-only M2P table is mapped. */
    public static final long MACH2PHYS_VIRT_START = 0xFFFF_8000_0000_0000L;
    /** {@code MACH2PHYS_VIRT_END} (x86-64): the end of the M2P mapping (256 GiB of it). */
    public static final long MACH2PHYS_VIRT_END = 0xFFFF_8040_0000_0000L;
}
