package org.parasol.toolstack.xenstore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One client of xenstored: a domain through its store ring, or a tool of dom0 through the
 * socket. Holds what xenstored keeps per connection: its watches, its open transactions and
 * where its watch events go. Privileged connections (dom0's, and dom0's tools) bypass
 * permission checks and quotas, as in Xen.
 */
public final class XsConnection {
    private final int domid;
    private final boolean privileged;
    private final Consumer<XsMessage> events;
    final List<XsWatch> watches = new ArrayList<>();
    final Map<Integer, XsTransaction> transactions = new LinkedHashMap<>();
    private long eventsDropped;
    private int pendingEvents;
    private boolean closed;

    /**
     * A connection acting for {@code domid}; {@code events} receives its watch events (the
     * transport writes them to the ring or socket and calls {@link #eventDelivered}).
     */
    public XsConnection(int domid, boolean privileged, Consumer<XsMessage> events) {
        this.domid = domid;
        this.privileged = privileged;
        this.events = events;
    }

    /** The domain the connection acts for (0 for dom0 and its tools). */
    public int domid() {
        return domid;
    }

    /** Whether it bypasses permissions and quotas. */
    public boolean privileged() {
        return privileged;
    }

    /** Watch events dropped because too many were waiting (the client did not read them). */
    public long eventsDropped() {
        return eventsDropped;
    }

    /** Watches registered. */
    public int watchCount() {
        return watches.size();
    }

    /** Transactions open. */
    public int transactionCount() {
        return transactions.size();
    }

    /** The transport wrote one queued event out: it no longer counts against the bound. */
    public void eventDelivered() {
        if (pendingEvents > 0) {
            pendingEvents--;
        }
    }

    /** Queues a watch event unless {@code bound} are already waiting (then drops and counts it). */
    boolean queueEvent(XsMessage event, int bound) {
        if (closed) {
            return false;
        }
        if (!privileged && pendingEvents >= bound) {
            eventsDropped++;
            return false;
        }
        pendingEvents++;
        events.accept(event);
        return true;
    }

    boolean closed() {
        return closed;
    }

    void close() {
        closed = true;
        watches.clear();
        transactions.clear();
    }

    @Override
    public String toString() {
        return "connection of d" + domid + (privileged ? " (privileged)" : "");
    }
}
