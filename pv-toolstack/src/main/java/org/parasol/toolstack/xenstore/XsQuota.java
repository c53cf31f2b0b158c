package org.parasol.toolstack.xenstore;

/**
 * Per-domain limits, with C xenstored's defaults. Unprivileged connections are held to them;
 * a request past one is refused with {@code ENOSPC} (or {@code E2BIG} for a reply too large)
 * and the host's log names the limit.
 *
 * @param nodes            nodes a domain may own
 * @param watches          watches a connection may hold
 * @param transactions     transactions a connection may have open at once
 * @param nodesPerTransaction nodes one transaction may touch
 * @param nodeSize         bytes of one node: value, permissions and child names
 * @param permissions      permission entries of one node
 * @param pendingEvents    watch events queued to one connection before more are dropped
 */
public record XsQuota(int nodes, int watches, int transactions, int nodesPerTransaction, int nodeSize,
                      int permissions, int pendingEvents) {
    /** Xen's defaults: 1000 nodes, 128 watches, 10 transactions, 1024 nodes each, 2048-byte nodes, 5 entries. */
    public static final XsQuota DEFAULT = new XsQuota(1000, 128, 10, 1024, 2048, 5, 1024);
}
