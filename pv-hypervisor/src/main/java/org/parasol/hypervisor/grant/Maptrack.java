package org.parasol.hypervisor.grant;

import org.parasol.hypercall.abi.Gntmap;

/**
 * A mapping domain's maptrack table (Xen's {@code maptrack_entry} array in
 * {@code grant_table.c}): one entry per live grant mapping, named by the {@code grant_handle_t}
 * map_grant_ref returns. An entry records the granting domain's table, the reference, the
 * {@code GNTMAP_*} flags still mapped (host and/or device part, read-only) and the frame.
 *
 * <h2>Life of an entry</h2>
 * <ol>
 *   <li>{@link #allocate}: a free handle, reserved but not yet mapped (an unmap of it is
 *       {@code bad_handle});</li>
 *   <li>{@link #install}: the pins are taken and the PTE written: the entry is live;</li>
 *   <li>{@link #claim}: an unmap takes the parts it removes out of the live flags, so a second
 *       unmap of the same part finds nothing; {@link #unclaim} gives them back when the PTE
 *       did not match;</li>
 *   <li>{@link #complete}: after the TLB shootdown, the claimed parts' pins are released
 *       (which drops the frame references) and, once nothing is left, the handle is free.</li>
 * </ol>
 * When the mapper dies, {@link #releaseAll} releases every pin still held, claimed or not:
 * its vCPUs have stopped, so no TLB can use the frames any more.
 *
 * <h2>Locking</h2>
 * The table's monitor guards the entries; it is held for bookkeeping only. It may be held
 * while a granter's {@link GrantTable} lock is taken ({@link #releaseAll}), never the other
 * way round, and never with a page-table lock.
 *
 * <p>Handles are allocated lowest-first from a free list; the arrays grow by doubling up to
 * {@code maxEntries} (Xen's {@code max_maptrack_frames} × 256 entries), so a steady state of
 * maps and unmaps allocates nothing.
 */
public final class Maptrack {
    /** Entries per maptrack frame in Xen (16-byte entries). */
    public static final int ENTRIES_PER_FRAME = 256;
    /** Xen's default {@code max_maptrack_frames}. */
    public static final int DEFAULT_MAX_FRAMES = 1024;
    /** The parts of a mapping an unmap can remove. */
    public static final int PARTS = Gntmap.HOST_MAP | Gntmap.DEVICE_MAP;

    private static final int INITIAL = 16;
    private static final int IN_USE = 1 << 31;

    private final int maxEntries;
    private GrantTable[] granter = new GrantTable[INITIAL];
    private int[] ref = new int[INITIAL];
    private int[] flags = new int[INITIAL];
    private int[] claimed = new int[INITIAL];
    private long[] mfn = new long[INITIAL];
    private int[] nextFree = new int[INITIAL];
    private int freeHead;
    private int live;
    private boolean dying;

    /** A table of at most {@code maxFrames} × {@value #ENTRIES_PER_FRAME} handles. */
    public Maptrack(int maxFrames) {
        if (maxFrames < 1) {
            throw new IllegalArgumentException("max maptrack frames: " + maxFrames);
        }
        this.maxEntries = (int) Math.min((long) maxFrames * ENTRIES_PER_FRAME, Integer.MAX_VALUE - 8);
        for (int i = 0; i < INITIAL; i++) {
            nextFree[i] = i + 1;
        }
    }

    /** Handles in use (allocated and not yet freed). */
    public synchronized int inUse() {
        return live;
    }

    /**
     * Takes a free handle ({@code get_maptrack_handle}).
     *
     * @return the handle, or -1 when the table is full or the domain is dying ({@code no_space})
     */
    public synchronized int allocate() {
        if (dying) {
            return -1;
        }
        if (freeHead == flags.length) {
            if (flags.length >= maxEntries) {
                return -1;
            }
            grow(Math.min(flags.length * 2, maxEntries));
        }
        int h = freeHead;
        freeHead = nextFree[h];
        flags[h] = IN_USE;
        claimed[h] = 0;
        live++;
        return h;
    }

    private void grow(int n) {
        int old = flags.length;
        granter = java.util.Arrays.copyOf(granter, n);
        ref = java.util.Arrays.copyOf(ref, n);
        flags = java.util.Arrays.copyOf(flags, n);
        claimed = java.util.Arrays.copyOf(claimed, n);
        mfn = java.util.Arrays.copyOf(mfn, n);
        nextFree = java.util.Arrays.copyOf(nextFree, n);
        for (int i = old; i < n; i++) {
            nextFree[i] = i + 1;
        }
        freeHead = old;
    }

    /**
     * Records the mapping of an {@link #allocate allocated} handle once its pins are held and
     * its PTE written. {@code mapFlags} are the map's {@code GNTMAP_*} flags.
     */
    public synchronized void install(int handle, GrantTable gt, int grantRef, int mapFlags, long frame) {
        granter[handle] = gt;
        ref[handle] = grantRef;
        mfn[handle] = frame;
        flags[handle] = IN_USE | mapFlags;
    }

    /** Gives back a handle {@link #allocate} returned and nothing was mapped with. */
    public synchronized void free(int handle) {
        flags[handle] = 0;
        claimed[handle] = 0;
        granter[handle] = null;
        nextFree[handle] = freeHead;
        freeHead = handle;
        live--;
    }

    /**
     * Takes the parts {@code parts} (a subset of {@link #PARTS}) of a live mapping for an
     * unmap. Returns the parts actually taken — those still mapped and not being unmapped by
     * someone else — or -1 if {@code handle} names no live mapping ({@code bad_handle}).
     */
    public synchronized int claim(long handle, int parts) {
        if (handle < 0 || handle >= flags.length) {
            return -1;
        }
        int h = (int) handle;
        int f = flags[h];
        if ((f & IN_USE) == 0 || (f & PARTS) == 0) {
            return -1;
        }
        int took = f & parts & PARTS;
        flags[h] = f & ~took;
        claimed[h] |= took;
        return took;
    }

    /** Gives back parts {@link #claim} took when the unmap could not remove them. */
    public synchronized void unclaim(int handle, int parts) {
        claimed[handle] &= ~parts;
        flags[handle] |= parts;
    }

    /**
     * Finishes an unmap after the TLB shootdown: releases the pins of the claimed
     * {@code parts} and frees the handle when no part is left.
     */
    public void complete(int handle, int parts) {
        GrantTable gt;
        int r;
        boolean readonly;
        synchronized (this) {
            gt = granter[handle];
            if (gt == null || (claimed[handle] & parts) != parts) {
                return; // released with the whole table at the mapper's death
            }
            r = ref[handle];
            readonly = (flags[handle] & Gntmap.READONLY) != 0;
            claimed[handle] &= ~parts;
        }
        if ((parts & Gntmap.HOST_MAP) != 0) {
            gt.release(r, readonly, false);
        }
        if ((parts & Gntmap.DEVICE_MAP) != 0) {
            gt.release(r, readonly, true);
        }
        synchronized (this) {
            if ((flags[handle] & PARTS) == 0 && claimed[handle] == 0 && (flags[handle] & IN_USE) != 0) {
                free(handle);
            }
        }
    }

    /** The frame a live handle maps. */
    public synchronized long mfn(int handle) {
        return mfn[handle];
    }

    /** The {@code GNTMAP_*} flags of a handle, without the parts already claimed. */
    public synchronized int flags(int handle) {
        return flags[handle] & ~IN_USE;
    }

    /** The handles in use: a live mapping, or one whose unmap has not completed (for leak checks). */
    synchronized int[] handlesInUse() {
        int n = 0;
        int[] in = new int[flags.length];
        for (int h = 0; h < flags.length; h++) {
            if ((flags[h] & IN_USE) != 0) {
                in[n++] = h;
            }
        }
        return java.util.Arrays.copyOf(in, n);
    }

    /** The table whose grant handle {@code handle} maps, or null (for leak checks). */
    synchronized GrantTable granter(int handle) {
        return granter[handle];
    }

    /** The grant reference handle {@code handle} maps (for leak checks). */
    synchronized int ref(int handle) {
        return ref[handle];
    }

    /**
     * The mapper's death ({@code gnttab_release_mappings}): releases every pin still held —
     * live parts and parts claimed by an unmap that never completed — and refuses new handles.
     * The vCPUs must have stopped.
     *
     * @return how many mappings were released
     */
    public synchronized int releaseAll() {
        dying = true;
        int released = 0;
        for (int h = 0; h < flags.length; h++) {
            int f = flags[h];
            if ((f & IN_USE) == 0) {
                continue;
            }
            int parts = (f | claimed[h]) & PARTS;
            boolean readonly = (f & Gntmap.READONLY) != 0;
            if ((parts & Gntmap.HOST_MAP) != 0) {
                granter[h].release(ref[h], readonly, false);
            }
            if ((parts & Gntmap.DEVICE_MAP) != 0) {
                granter[h].release(ref[h], readonly, true);
            }
            if (parts != 0) {
                released++;
            }
            flags[h] = 0;
            claimed[h] = 0;
            granter[h] = null;
        }
        live = 0;
        return released;
    }
}
