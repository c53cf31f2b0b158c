package org.parasol.toolstack.xenstore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open transaction, as C xenstored keeps one: every node it reads or writes is copied on
 * first access together with the generation it had then (or "absent"); reads and writes then
 * go to the copies. Commit checks that none of those nodes changed meanwhile — if one did,
 * the commit fails with {@code EAGAIN} and the client retries — and then installs the
 * modified copies. Commits are therefore serializable: a committed transaction's reads saw
 * exactly the state its writes are applied to.
 *
 * <p>Public only as a handle: dom0's toolstack, which runs beside xenstored, starts one with
 * {@link XsStore#start}, passes it to the store's calls and ends it with {@link XsStore#end};
 * its contents stay the store's.
 */
public final class XsTransaction {
    /** First access of a path: what the transaction saw and what it holds now. */
    static final class Access {
        /** Generation of the live node when first accessed; -1 when it did not exist. */
        final long seen;
        /** The transaction's copy; null when absent in its view. */
        XsNode node;
        boolean modified;

        Access(long seen, XsNode node) {
            this.seen = seen;
            this.node = node;
        }
    }

    final int id;
    final XsConnection owner;
    final Map<String, Access> accessed = new LinkedHashMap<>();
    /** Changes made, in order, for the watches fired at commit. */
    final List<XsStore.Change> changes = new ArrayList<>();
    /** Nodes each domain gains (+) or loses (-) if this commits. */
    final Map<Integer, Integer> ownedDelta = new HashMap<>();

    XsTransaction(int id, XsConnection owner) {
        this.id = id;
        this.owner = owner;
    }

    /** The transaction's id, as {@code XS_TRANSACTION_START} answers it. */
    public int id() {
        return id;
    }
}
