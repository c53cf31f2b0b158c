package org.parasol.drivers.blk;

import java.util.HashMap;
import java.util.Map;

/**
 * How much of the back end domain's grant mapping window blkback's long-lived mappings may hold
 * (persistent grants and indirect descriptor pages, kept for a connection's life), so that the
 * front ends, which choose how many distinct pages they send, cannot take it from one another.
 *
 * <pre>
 *  the window (Kernel.GRANT_MAP_SLOTS pages)
 *  |&lt;- guest A: at most perGuest -&gt;|&lt;- guest B ... -&gt;| ... |&lt;---- reserve: rings only ----&gt;|
 * </pre>
 *
 * A new long-lived mapping for front domain {@code d} is made only while {@code d} holds fewer
 * than {@link #perGuest} of them over all its disks, and while more than {@link #reserve} slots
 * of the window are free: rings (a handful of pages per queue, mapped when a device connects)
 * keep the reserve. Each disk has its own limits besides ({@link BlkBackend#MAX_PERSISTENT_GRANTS},
 * {@link BlkBack#MAX_INDIRECT_GRANTS}). A segment refused a mapping goes by grant copy, as one
 * past Linux's {@code max_persistent_grants} does: slower, never failed.
 *
 * <p>So one guest, however hostile, leaves the others at least {@code window - reserve - perGuest}
 * slots and every ring its reserve. Linux's blkback needs no such budget: dom0's kernel address
 * space is not a fixed window (deviation 19).
 *
 * <p>Not thread-safe: dom0's boot vCPU owns it (persistent grants are mapped there, deviation 25).
 */
final class MappingBudget {
    /** One front domain's share: its long-lived mappings over all its disks, and its disks. */
    static final class Guest {
        private final int domid;
        private int mapped;
        private int disks;

        private Guest(int domid) {
            this.domid = domid;
        }

        /** Long-lived mappings this guest's disks hold. */
        int mapped() {
            return mapped;
        }
    }

    private final int perGuest;
    private final int reserve;
    private final Map<Integer, Guest> guests = new HashMap<>();

    /**
     * A budget giving each front domain at most {@code perGuest} long-lived mappings and keeping
     * {@code reserve} slots of the window for rings.
     */
    MappingBudget(int perGuest, int reserve) {
        if (perGuest < 0 || reserve < 0) {
            throw new IllegalArgumentException("perGuest " + perGuest + ", reserve " + reserve);
        }
        this.perGuest = perGuest;
        this.reserve = reserve;
    }

    /** The most one front domain may hold. */
    int perGuest() {
        return perGuest;
    }

    /** Slots of the window kept for rings. */
    int reserve() {
        return reserve;
    }

    /** A disk of front domain {@code domid} is served: its guest's share (the same object for every disk of it). */
    Guest join(int domid) {
        Guest g = guests.computeIfAbsent(domid, Guest::new);
        g.disks++;
        return g;
    }

    /** A disk of {@code g} is gone (after giving back what it held); the share goes with its last disk. */
    void leave(Guest g) {
        if (--g.disks == 0) {
            guests.remove(g.domid, g);
        }
    }

    /** Whether {@code g} may make one more long-lived mapping while the window has {@code freeSlots} free. */
    boolean mayMap(Guest g, int freeSlots) {
        return g.mapped < perGuest && freeSlots > reserve;
    }

    /** {@code g} made one. */
    void mapped(Guest g) {
        g.mapped++;
    }

    /** {@code g}'s disk let go of {@code n}. */
    void unmapped(Guest g, int n) {
        if (n < 0 || n > g.mapped) {
            throw new IllegalStateException("d" + g.domid + " gives back " + n + " of " + g.mapped + " mappings");
        }
        g.mapped -= n;
    }

    /** Front domains with a disk. */
    int guests() {
        return guests.size();
    }
}
