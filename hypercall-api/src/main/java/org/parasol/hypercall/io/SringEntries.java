package org.parasol.hypercall.io;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.UnionLayout;

/**
 * The entry types of the shared rings in this package; mirrors {@code io/ring.h}: the
 * {@code union <name>_sring_entry} that {@code DEFINE_RING_TYPES} declares for blkif, netif tx,
 * netif rx and the netif control ring.
 *
 * <pre>
 *  union <name>_sring_entry { <name>_request_t req; <name>_response_t rsp; }
 *  blkif        req 112 | rsp 16  -> 112 bytes, 32 per page
 *  netif_tx     req  12 | rsp  4  ->  12 bytes, 256 per page
 *  netif_rx     req   8 | rsp  8  ->   8 bytes, 256 per page
 *  netif_ctrl   req  16 | rsp 12  ->  16 bytes, 128 per page
 * </pre>
 *
 * <p>Invariants: an entry is as large as the larger of request and response; a response is
 * written over the slot its request occupied. blkif's discard (32 B) and indirect (64 B)
 * requests travel in the same 112-byte entry.
 */
public final class SringEntries {
    private SringEntries() {
    }

    /** {@code union blkif_sring_entry}: 112 bytes. */
    public static final UnionLayout BLKIF = MemoryLayout.unionLayout(
            BlkifRequest.LAYOUT.withName("req"),
            BlkifResponse.LAYOUT.withName("rsp"))
            .withName("blkif_sring_entry");

    /** {@code union netif_tx_sring_entry}: 12 bytes. */
    public static final UnionLayout NETIF_TX = MemoryLayout.unionLayout(
            NetifTxRequest.LAYOUT.withName("req"),
            NetifTxResponse.LAYOUT.withName("rsp"))
            .withName("netif_tx_sring_entry");

    /** {@code union netif_rx_sring_entry}: 8 bytes. */
    public static final UnionLayout NETIF_RX = MemoryLayout.unionLayout(
            NetifRxRequest.LAYOUT.withName("req"),
            NetifRxResponse.LAYOUT.withName("rsp"))
            .withName("netif_rx_sring_entry");

    /** {@code union xen_netif_ctrl_sring_entry}: 16 bytes. */
    public static final UnionLayout NETIF_CTRL = MemoryLayout.unionLayout(
            NetifCtrlRequest.LAYOUT.withName("req"),
            NetifCtrlResponse.LAYOUT.withName("rsp"))
            .withName("xen_netif_ctrl_sring_entry");

    /** A one-page blkif ring: 32 slots of 112 bytes. */
    public static final RingGeometry BLKIF_ONE_PAGE = RingGeometry.onePage(BLKIF.byteSize());

    /** A one-page netif tx ring: 256 slots of 12 bytes. */
    public static final RingGeometry NETIF_TX_ONE_PAGE = RingGeometry.onePage(NETIF_TX.byteSize());

    /** A one-page netif rx ring: 256 slots of 8 bytes. */
    public static final RingGeometry NETIF_RX_ONE_PAGE = RingGeometry.onePage(NETIF_RX.byteSize());

    /** A one-page netif control ring: 128 slots of 16 bytes. */
    public static final RingGeometry NETIF_CTRL_ONE_PAGE = RingGeometry.onePage(NETIF_CTRL.byteSize());
}
