package org.parasol.hypercall.abi;

/**
 * Network-device protocol constants, mirrors {@code io/netif.h}: tx and rx flags
 * ({@code NETTXF_*}, {@code NETRXF_*}), response status ({@code NETIF_RSP_*}), extra-info
 * types and flags ({@code XEN_NETIF_EXTRA_*}), GSO types ({@code XEN_NETIF_GSO_TYPE_*}) and
 * limits.
 *
 * <p>The checksum flags sit at different bits on tx and rx: {@code NETTXF_csum_blank} is bit 0
 * but {@code NETRXF_csum_blank} is bit 1, and {@code data_validated} the other way round.
 */
public final class Netif {
    private Netif() {
    }

    /** {@code NETTXF_csum_blank}: protocol checksum not yet filled in. */
    public static final int NETTXF_CSUM_BLANK = 1 << 0;
    /** {@code NETTXF_data_validated}: checksum already validated. */
    public static final int NETTXF_DATA_VALIDATED = 1 << 1;
    /** {@code NETTXF_more_data}: the packet continues in the next request. */
    public static final int NETTXF_MORE_DATA = 1 << 2;
    /** {@code NETTXF_extra_info}: an extra-info slot follows. */
    public static final int NETTXF_EXTRA_INFO = 1 << 3;

    /** {@code NETRXF_data_validated}: checksum already validated. */
    public static final int NETRXF_DATA_VALIDATED = 1 << 0;
    /** {@code NETRXF_csum_blank}: protocol checksum not filled in. */
    public static final int NETRXF_CSUM_BLANK = 1 << 1;
    /** {@code NETRXF_more_data}: the packet continues in the next response. */
    public static final int NETRXF_MORE_DATA = 1 << 2;
    /** {@code NETRXF_extra_info}: an extra-info slot follows. */
    public static final int NETRXF_EXTRA_INFO = 1 << 3;
    /** {@code NETRXF_gso_prefix}: deprecated GSO prefix slot. */
    public static final int NETRXF_GSO_PREFIX = 1 << 4;

    /** {@code NETIF_RSP_DROPPED}: the packet was dropped. */
    public static final int RSP_DROPPED = -2;
    /** {@code NETIF_RSP_ERROR}: the request failed. */
    public static final int RSP_ERROR = -1;
    /** {@code NETIF_RSP_OKAY}: success. */
    public static final int RSP_OKAY = 0;
    /** {@code NETIF_RSP_NULL}: response for an extra-info slot. */
    public static final int RSP_NULL = 1;

    /** {@code XEN_NETIF_EXTRA_TYPE_NONE}: never valid. */
    public static final int EXTRA_TYPE_NONE = 0;
    /** {@code XEN_NETIF_EXTRA_TYPE_GSO}: segmentation offload. */
    public static final int EXTRA_TYPE_GSO = 1;
    /** {@code XEN_NETIF_EXTRA_TYPE_MCAST_ADD}: add a multicast address. */
    public static final int EXTRA_TYPE_MCAST_ADD = 2;
    /** {@code XEN_NETIF_EXTRA_TYPE_MCAST_DEL}: remove a multicast address. */
    public static final int EXTRA_TYPE_MCAST_DEL = 3;
    /** {@code XEN_NETIF_EXTRA_TYPE_HASH}: packet hash. */
    public static final int EXTRA_TYPE_HASH = 4;
    /** {@code XEN_NETIF_EXTRA_TYPE_MAX}: types are below this. */
    public static final int EXTRA_TYPE_MAX = 5;
    /** {@code XEN_NETIF_EXTRA_FLAG_MORE}: another extra-info slot follows. */
    public static final int EXTRA_FLAG_MORE = 1 << 0;

    /** {@code XEN_NETIF_GSO_TYPE_NONE}. */
    public static final int GSO_TYPE_NONE = 0;
    /** {@code XEN_NETIF_GSO_TYPE_TCPV4}. */
    public static final int GSO_TYPE_TCPV4 = 1;
    /** {@code XEN_NETIF_GSO_TYPE_TCPV6}. */
    public static final int GSO_TYPE_TCPV6 = 2;

    /** {@code XEN_NETIF_MAX_TX_SIZE}: largest packet a tx request may describe. */
    public static final int MAX_TX_SIZE = 0xFFFF;
    /** {@code XEN_NETIF_NR_SLOTS_MIN}: slots per packet every back end must accept. */
    public static final int NR_SLOTS_MIN = 18;

    /** {@code XEN_NETIF_CTRL_STATUS_SUCCESS}: control-ring status. */
    public static final int CTRL_STATUS_SUCCESS = 0;
    /** {@code XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED}. */
    public static final int CTRL_STATUS_NOT_SUPPORTED = 1;
    /** {@code XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER}. */
    public static final int CTRL_STATUS_INVALID_PARAMETER = 2;
    /** {@code XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW}. */
    public static final int CTRL_STATUS_BUFFER_OVERFLOW = 3;
}
