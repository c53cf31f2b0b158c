package org.parasol.hypercall.abi;

/**
 * Memory-reservation sub-commands ({@code XENMEM_*}), their flags ({@code XENMEMF_*}) and
 * map spaces ({@code XENMAPSPACE_*}), mirrors {@code public/memory.h}.
 *
 * <p>{@code memory_op(cmd, arg)} keeps the command in the low {@link #MEMOP_CMD_MASK} bits;
 * when Xen preempts a long operation it continues it with the next extent index in
 * {@code cmd >> }{@link #MEMOP_EXTENT_SHIFT}.
 */
public final class MemoryOp {
    private MemoryOp() {
    }

    /** {@code XENMEM_increase_reservation}: allocate extents; returns extents done. */
    public static final int INCREASE_RESERVATION = 0;
    /** {@code XENMEM_decrease_reservation}: free extents; returns extents done. */
    public static final int DECREASE_RESERVATION = 1;
    /** {@code XENMEM_maximum_ram_page}: highest machine frame of RAM. */
    public static final int MAXIMUM_RAM_PAGE = 2;
    /** {@code XENMEM_current_reservation}: pages a domain holds. */
    public static final int CURRENT_RESERVATION = 3;
    /** {@code XENMEM_maximum_reservation}: pages a domain may hold. */
    public static final int MAXIMUM_RESERVATION = 4;
    /** {@code XENMEM_machphys_mfn_list}: frames of the M2P table in 2 MiB chunks. */
    public static final int MACHPHYS_MFN_LIST = 5;
    /** {@code XENMEM_populate_physmap}: back guest frames with memory. */
    public static final int POPULATE_PHYSMAP = 6;
    /** {@code XENMEM_add_to_physmap}: map a Xen frame into the physmap (translated guests). */
    public static final int ADD_TO_PHYSMAP = 7;
    /** {@code XENMEM_memory_map}: the domain's E820 map. */
    public static final int MEMORY_MAP = 9;
    /** {@code XENMEM_machine_memory_map}: the host's E820 map (privileged). */
    public static final int MACHINE_MEMORY_MAP = 10;
    /** {@code XENMEM_exchange}: trade extents for others (PV). */
    public static final int EXCHANGE = 11;
    /** {@code XENMEM_machphys_mapping}: where the M2P table is mapped. */
    public static final int MACHPHYS_MAPPING = 12;
    /** {@code XENMEM_set_memory_map}: set a domain's E820 map. */
    public static final int SET_MEMORY_MAP = 13;
    /** {@code XENMEM_maximum_gpfn}: highest guest frame in use. */
    public static final int MAXIMUM_GPFN = 14;
    /** {@code XENMEM_remove_from_physmap}: unmap a guest frame. */
    public static final int REMOVE_FROM_PHYSMAP = 15;
    /** {@code XENMEM_set_pod_target}: populate-on-demand target. */
    public static final int SET_POD_TARGET = 16;
    /** {@code XENMEM_get_pod_target}: populate-on-demand target. */
    public static final int GET_POD_TARGET = 17;
    /** {@code XENMEM_paging_op}: memory paging. */
    public static final int PAGING_OP = 20;
    /** {@code XENMEM_access_op}: memory access control. */
    public static final int ACCESS_OP = 21;
    /** {@code XENMEM_sharing_op}: memory sharing. */
    public static final int SHARING_OP = 22;
    /** {@code XENMEM_add_to_physmap_batch}: batched add_to_physmap. */
    public static final int ADD_TO_PHYSMAP_BATCH = 23;
    /** {@code XENMEM_claim_pages}: claim pages for a domain being built. */
    public static final int CLAIM_PAGES = 24;
    /** {@code XENMEM_machphys_compat_mfn_list}: M2P frames of the compat table. */
    public static final int MACHPHYS_COMPAT_MFN_LIST = 25;
    /** {@code XENMEM_get_vnumainfo}: virtual NUMA topology. */
    public static final int GET_VNUMAINFO = 26;
    /** {@code XENMEM_reserved_device_memory_map}: reserved device memory. */
    public static final int RESERVED_DEVICE_MEMORY_MAP = 27;
    /** {@code XENMEM_acquire_resource}: map a resource of another domain. */
    public static final int ACQUIRE_RESOURCE = 28;

    /** {@code MEMOP_CMD_MASK}: the command bits of {@code cmd}. */
    public static final int MEMOP_CMD_MASK = 0x3F;
    /** {@code MEMOP_EXTENT_SHIFT}: continuation extent index is {@code cmd >> 6}. */
    public static final int MEMOP_EXTENT_SHIFT = 6;

    /** {@code XENMEMF_address_bits(x)} mask: highest address bit usable, 0 = no limit. */
    public static final int XENMEMF_ADDRESS_BITS_MASK = 0xFF;
    /** {@code XENMEMF_node(x)} shift: NUMA node + 1 lives in bits 8..15. */
    public static final int XENMEMF_NODE_SHIFT = 8;
    /** {@code XENMEMF_node} mask after shifting. */
    public static final int XENMEMF_NODE_MASK = 0xFF;
    /** {@code XENMEMF_populate_on_demand}. */
    public static final int XENMEMF_POPULATE_ON_DEMAND = 1 << 16;
    /** {@code XENMEMF_exact_node_request}: fail rather than use another node. */
    public static final int XENMEMF_EXACT_NODE_REQUEST = 1 << 17;
    /** {@code XENMEMF_vnode}: the node is a virtual node. */
    public static final int XENMEMF_VNODE = 1 << 18;

    /** {@code XENMAPSPACE_shared_info}: the shared_info page. */
    public static final int XENMAPSPACE_SHARED_INFO = 0;
    /** {@code XENMAPSPACE_grant_table}: a grant-table frame. */
    public static final int XENMAPSPACE_GRANT_TABLE = 1;
    /** {@code XENMAPSPACE_gmfn}: a guest frame. */
    public static final int XENMAPSPACE_GMFN = 2;
    /** {@code XENMAPSPACE_gmfn_range}: a range of guest frames. */
    public static final int XENMAPSPACE_GMFN_RANGE = 3;
    /** {@code XENMAPSPACE_gmfn_foreign}: a frame of another domain. */
    public static final int XENMAPSPACE_GMFN_FOREIGN = 4;
    /** {@code XENMAPSPACE_dev_mmio}: device MMIO. */
    public static final int XENMAPSPACE_DEV_MMIO = 5;
    /** {@code XENMAPIDX_grant_table_status}: index flag selecting a v2 status frame. */
    public static final int XENMAPIDX_GRANT_TABLE_STATUS = 0x8000_0000;
}
