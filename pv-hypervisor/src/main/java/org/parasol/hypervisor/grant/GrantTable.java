package org.parasol.hypervisor.grant;

import java.util.concurrent.locks.ReentrantLock;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.struct.GrantEntryV1;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * A domain's grant table, version 1 (Xen's {@code struct grant_table} in
 * {@code grant_table.c}): the shared entries the granter writes, and the hypervisor's active
 * entries that pin them while another domain uses them.
 *
 * <h2>Shared entries</h2>
 * The entries live in <em>grant frames</em>: hypervisor pages ({@code DOMID_XEN}) shared with
 * the granter, allocated with {@link FrameTable#allocateShared}, so they are not in its
 * {@code nr_pages} and {@link FrameTable#releaseDomain} frees them at its death. 512 v1
 * entries per frame; the table starts at {@value Gnttab#INITIAL_FRAMES} frame and grows with
 * setup_table up to {@link #maxFrames()} (Xen's default 64). Frames are allocated when first
 * needed: until then every entry reads as {@code GTF_invalid}, which nobody can tell apart
 * from an allocated zero frame. The granter writes {@code domid}, {@code frame}, then
 * {@code flags}; the hypervisor only ever sets and clears {@code GTF_reading}/
 * {@code GTF_writing}, by compare-and-swap over the 32-bit word of flags and domid (setting,
 * at most 5 tries as Xen does) or by an atomic AND (clearing).
 *
 * <h2>Active entries</h2>
 * One per reference, in chunks of 512 made with each frame, like Xen's
 * {@code active_grant_entry}: a pin word of four 8-bit counters (host read-write, host
 * read-only, device read-write, device read-only; Xen's {@code GNTPIN_*}), the domain using
 * the grant and the frame pinned. While the pin is non-zero the active entry, not the shared
 * entry, governs: later users are checked against it, and the shared entry is examined again
 * only when the pin returns to zero or a first writable pin is wanted. Grant copy takes a
 * host pin for the duration of one copy; map_grant_ref takes a host pin (and a device pin
 * for {@code GNTMAP_device_map}) for the life of a mapping and records it in the mapper's
 * {@link Maptrack}. Each pin holds a general reference on the frame (and a writable type
 * reference for a writable pin): those are the mapping's references, so a mapped frame
 * outlives its granter until the mapper unmaps it.
 *
 * <h2>Locking</h2>
 * One lock per table guards the active entries, the frame list and {@code dying}; it is held
 * for a few reads and atomic operations, never across a copy, and never together with another
 * table's lock (a copy acquires its source, then its destination, one at a time). Once the
 * domain is dying, {@link #acquire} fails and {@link #release} no longer touches the shared
 * entries, whose frames are about to be freed; data frames stay alive through the general
 * reference each pin holds.
 */
public final class GrantTable {
    /** {@code GNTPIN_hstw_inc}: a host read-write pin. */
    static final int PIN_HOST_WRITE = 1;
    /** {@code GNTPIN_hstr_inc}: a host read-only pin. */
    static final int PIN_HOST_READ = 1 << 8;
    /** {@code GNTPIN_devw_inc}: a device read-write pin. */
    static final int PIN_DEV_WRITE = 1 << 16;
    /** {@code GNTPIN_devr_inc}: a device read-only pin. */
    static final int PIN_DEV_READ = 1 << 24;
    private static final int PIN_WRITE_MASK = 0xFF | (0xFF << 16);
    /** Any counter at half its range: refuse more pins (Xen's overflow guard). */
    private static final int PIN_OVERFLOW = 0x80808080;
    /** Xen's bound on compare-and-swap retries against a guest that keeps changing an entry. */
    private static final int CAS_RETRIES = 5;

    private final int domid;
    private final FrameTable frames;
    /** Machine memory, where the grant frames are. */
    private final SegmentBuffer machine;
    /** The shared entry being looked at: re-pointed, and used, only under {@link #lock}. */
    private final GrantEntryV1 entry = new GrantEntryV1();
    private final int maxFrames;
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] frameMfn;
    private final int[][] pin;
    private final int[][] activeDomid;
    private final long[][] activeMfn;
    private volatile int nrFrames;
    private boolean dying;

    /** Whether no thread holds this table's lock: for tests that check nothing was left held. */
    public boolean lockFree() {
        return !lock.isLocked();
    }

    /** The table of domain {@code domid}, growing up to {@code maxFrames} grant frames. */
    public GrantTable(int domid, FrameTable frames, int maxFrames) {
        if (maxFrames < Gnttab.INITIAL_FRAMES) {
            throw new IllegalArgumentException("max grant frames below the initial size: " + maxFrames);
        }
        this.domid = domid;
        this.frames = frames;
        this.machine = new SegmentBuffer(frames.memory().segment());
        this.maxFrames = maxFrames;
        this.frameMfn = new long[maxFrames];
        this.pin = new int[maxFrames][];
        this.activeDomid = new int[maxFrames][];
        this.activeMfn = new long[maxFrames][];
    }

    /** The granting domain. */
    public int domid() {
        return domid;
    }

    /** {@code max_nr_frames} of query_size. */
    public int maxFrames() {
        return maxFrames;
    }

    /** {@code nr_frames} of query_size: the table's size (at least the initial frame). */
    public int nrFrames() {
        return Math.max(nrFrames, Gnttab.INITIAL_FRAMES);
    }

    /** Grant frames actually allocated so far (for reclamation checks). */
    public int allocatedFrames() {
        return nrFrames;
    }

    /** Number of v1 entries: references below this exist. */
    public int nrEntries() {
        return nrFrames() * Gnttab.ENTRIES_PER_FRAME_V1;
    }

    /**
     * Grows the table to at least {@code nr} frames (gnttab_grow_table). Returns
     * {@code GNTST_okay}, or {@code GNTST_general_error} beyond the maximum, when the domain
     * is dying or no machine frame is left (frames allocated so far stay).
     */
    public int grow(int nr) {
        if (nr < 0 || nr > maxFrames) {
            return Gntst.GENERAL_ERROR;
        }
        lock.lock();
        try {
            if (dying) {
                return Gntst.GENERAL_ERROR;
            }
            int n = nrFrames;
            while (n < nr) {
                long mfn = frames.allocateShared(domid);
                if (mfn < 0) {
                    return Gntst.GENERAL_ERROR;
                }
                frameMfn[n] = mfn;
                pin[n] = new int[Gnttab.ENTRIES_PER_FRAME_V1];
                activeDomid[n] = new int[Gnttab.ENTRIES_PER_FRAME_V1];
                activeMfn[n] = new long[Gnttab.ENTRIES_PER_FRAME_V1];
                nrFrames = ++n;
            }
            return Gntst.OKAY;
        } finally {
            lock.unlock();
        }
    }

    /** The MFN of grant frame {@code i} ({@code i < allocatedFrames()}), as setup_table reports it. */
    public long frameMfn(int i) {
        if (i < 0 || i >= nrFrames) {
            throw new IndexOutOfBoundsException("grant frame " + i + " of " + nrFrames);
        }
        return frameMfn[i];
    }

    /** The domain's death: later acquires fail and shared entries are no longer touched. */
    public void destroy() {
        lock.lock();
        try {
            dying = true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the domain is dying. */
    public boolean dying() {
        lock.lock();
        try {
            return dying;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Fills entry {@code ref} to grant {@code grantee} read-write access to {@code frame}, as
     * the toolstack does for the reserved entries before the domain first runs (libxenguest's
     * {@code xc_dom_gnttab_seed}, which writes them through a foreign mapping of the grant
     * frame): {@code domid} and {@code frame}, then {@code flags = GTF_permit_access} with
     * release. Grows the table to hold {@code ref}.
     *
     * @return {@code GNTST_okay}, {@code GNTST_bad_gntref} for a reference beyond the maximum,
     *     {@code GNTST_general_error} when the domain is dying or no frame is left to grow into
     */
    public int seed(int ref, int grantee, long frame) {
        if (ref < 0 || ref >= maxFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
            return Gntst.BAD_GNTREF;
        }
        int grown = grow((ref >>> 9) + 1);
        if (grown != Gntst.OKAY) {
            return grown;
        }
        lock.lock();
        try {
            if (dying) {
                return Gntst.GENERAL_ERROR;
            }
            GrantEntryV1 e = entry(ref);
            e.domid(grantee).frame(frame);
            e.flagsRelease(Gtf.PERMIT_ACCESS); // the granter's last step: the entry is valid from here
            return Gntst.OKAY;
        } finally {
            lock.unlock();
        }
    }

    /** Machine address of entry {@code ref}; its frame must be allocated. */
    private long entryAddress(int ref) {
        return MachineMemory.maddr(frameMfn[ref >>> 9]) + (long) (ref & 511) * Gnttab.ENTRY_V1_SIZE;
    }

    /** The shared entry {@code ref} (its frame allocated); call with {@link #lock} held. */
    private GrantEntryV1 entry(int ref) {
        return entry.wrap(machine, entryAddress(ref));
    }

    /**
     * Pins entry {@code ref} for domain {@code ldom}, as Xen's {@code acquire_grant_for_copy}:
     * a host read-only pin, or a host read-write pin when {@code readonly} is false. On success
     * returns the granted MFN with a general reference taken on it (and, for a write, a
     * writable type reference), which {@link #release} drops.
     *
     * <p>Refusals, as {@code GNTST_*} (negative): reference beyond the table:
     * {@code bad_gntref}; domain dying: {@code bad_domain}; entry pinned by another domain or
     * pin counter near overflow, type not {@code GTF_permit_access}, domid not {@code ldom},
     * a write through a {@code GTF_readonly} grant, an entry that keeps changing, or a frame
     * that cannot be made writable: {@code general_error}; a frame the granter does not own:
     * {@code bad_page}.
     */
    public long acquire(int ref, int ldom, boolean readonly) {
        return acquire(ref, ldom, readonly, false);
    }

    /**
     * As {@link #acquire(int, int, boolean)}, taking a device pin ({@code GNTPIN_devr}/
     * {@code GNTPIN_devw}: a {@code GNTMAP_device_map}) instead of a host pin when
     * {@code device} is true.
     */
    public long acquire(int ref, int ldom, boolean readonly, boolean device) {
        lock.lock();
        try {
            return acquireLocked(ref, ldom, readonly, device);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Host pins on {@code refs[i]} for each {@code i < count} whose {@code lengths[i]} is not 0,
     * as {@link #acquire(int, int, boolean)} each, under one taking of the table's lock (grant I/O
     * pins every segment of a request at once); {@code mfns[i]} gets each granted MFN, or -1 for
     * a piece of length 0. All or nothing: on the first refusal the pins already taken are
     * dropped and the refusal returned; else {@code GNTST_okay}. {@link #releaseAll} undoes it.
     */
    public int acquireAll(int[] refs, int[] lengths, int count, int ldom, boolean readonly, long[] mfns) {
        int taken = 0;
        long refused = Gntst.OKAY;
        lock.lock();
        try {
            for (; taken < count; taken++) {
                if (lengths[taken] == 0) {
                    mfns[taken] = -1;
                    continue;
                }
                long mfn = acquireLocked(refs[taken], ldom, readonly, false);
                if (mfn < 0) {
                    refused = mfn;
                    break;
                }
                mfns[taken] = mfn;
            }
        } finally {
            lock.unlock();
        }
        if (taken < count) {
            releaseAll(refs, taken, readonly, mfns);
        }
        return (int) refused;
    }

    /** Drops the pins {@link #acquireAll} took: every {@code i < count} with {@code mfns[i] >= 0}. */
    public void releaseAll(int[] refs, int count, boolean readonly, long[] mfns) {
        lock.lock();
        try {
            for (int i = 0; i < count; i++) {
                if (mfns[i] >= 0) {
                    mfns[i] = releaseLocked(refs[i], readonly, false);
                }
            }
        } finally {
            lock.unlock();
        }
        // The frame references go outside the lock, as release does.
        for (int i = 0; i < count; i++) {
            if (mfns[i] >= 0) {
                if (!readonly) {
                    frames.putPageType(mfns[i]);
                }
                frames.putPage(mfns[i]);
            }
        }
    }

    /** The pin half of {@link #acquire(int, int, boolean, boolean)}, under the lock. */
    private long acquireLocked(int ref, int ldom, boolean readonly, boolean device) {
        int inc = device ? (readonly ? PIN_DEV_READ : PIN_DEV_WRITE) : (readonly ? PIN_HOST_READ : PIN_HOST_WRITE);
        {
            if (dying) {
                return Gntst.BAD_DOMAIN;
            }
            if (ref < 0 || ref >= nrEntries()) {
                return Gntst.BAD_GNTREF;
            }
            if (ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return Gntst.GENERAL_ERROR; // an initial frame never allocated: GTF_invalid
            }
            int[] pins = pin[ref >>> 9];
            int slot = ref & 511;
            int oldPin = pins[slot];
            if (oldPin != 0 && (activeDomid[ref >>> 9][slot] != ldom || (oldPin & PIN_OVERFLOW) != 0)) {
                return Gntst.GENERAL_ERROR;
            }
            long mfn;
            boolean setStatus = oldPin == 0 || (!readonly && (oldPin & PIN_WRITE_MASK) == 0);
            if (setStatus) {
                int rc = setStatus(ref, ldom, readonly);
                if (rc != Gntst.OKAY) {
                    return rc;
                }
                mfn = oldPin == 0 ? entry(ref).frameAcquire() : activeMfn[ref >>> 9][slot];
            } else {
                mfn = activeMfn[ref >>> 9][slot];
            }
            int rc = takeFrame(mfn, readonly);
            if (rc != Gntst.OKAY) {
                if (setStatus) {
                    clearStatus(ref, oldPin, readonly);
                }
                return rc;
            }
            if (oldPin == 0) {
                activeDomid[ref >>> 9][slot] = ldom;
                activeMfn[ref >>> 9][slot] = mfn;
            }
            pins[slot] = oldPin + inc;
            return mfn;
        }
    }

    /**
     * Drops a pin {@link #acquire} took on {@code ref} and the frame references that came with
     * it. Clears {@code GTF_writing} when the last writable pin goes and {@code GTF_reading}
     * when the pin count reaches zero (unless the domain is dying).
     */
    public void release(int ref, boolean readonly) {
        release(ref, readonly, false);
    }

    /** Drops a pin {@link #acquire(int, int, boolean, boolean)} took, host or device. */
    public void release(int ref, boolean readonly, boolean device) {
        long mfn;
        lock.lock();
        try {
            mfn = releaseLocked(ref, readonly, device);
        } finally {
            lock.unlock();
        }
        if (!readonly) {
            frames.putPageType(mfn);
        }
        frames.putPage(mfn);
    }

    /** The pin and flag half of {@link #release}, under the lock; the pinned MFN, whose references the caller drops. */
    private long releaseLocked(int ref, boolean readonly, boolean device) {
        long mfn;
        {
            int[] pins = pin[ref >>> 9];
            int slot = ref & 511;
            int oldPin = pins[slot];
            int now = oldPin - (device ? (readonly ? PIN_DEV_READ : PIN_DEV_WRITE)
                    : (readonly ? PIN_HOST_READ : PIN_HOST_WRITE));
            pins[slot] = now;
            mfn = activeMfn[ref >>> 9][slot];
            if (!dying) {
                int clear = 0;
                if (!readonly && (now & PIN_WRITE_MASK) == 0) {
                    clear |= Gtf.WRITING;
                }
                if (now == 0) {
                    clear |= Gtf.READING;
                }
                if (clear != 0) {
                    entry(ref).clearFlags(clear);
                }
            }
        }
        return mfn;
    }

    /** The pin word of {@code ref} (0 when unused), for tests and dump_table. */
    public int pinOf(int ref) {
        lock.lock();
        try {
            if (ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return 0;
            }
            return pin[ref >>> 9][ref & 511];
        } finally {
            lock.unlock();
        }
    }

    /** The domain a pinned {@code ref} is in use by, or -1 when unpinned (for leak checks). */
    int activeDomain(int ref) {
        lock.lock();
        try {
            if (ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1 || pin[ref >>> 9][ref & 511] == 0) {
                return -1;
            }
            return activeDomid[ref >>> 9][ref & 511];
        } finally {
            lock.unlock();
        }
    }

    /** The frame a pinned {@code ref} pins, or -1 when unpinned (for leak checks). */
    long activeFrame(int ref) {
        lock.lock();
        try {
            if (ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1 || pin[ref >>> 9][ref & 511] == 0) {
                return -1;
            }
            return activeMfn[ref >>> 9][ref & 511];
        } finally {
            lock.unlock();
        }
    }

    /** The shared entry's header word (flags | domid &lt;&lt; 16) of an allocated {@code ref}, or 0. */
    public int header(int ref) {
        lock.lock();
        try {
            if (dying || ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return 0;
            }
            return entry(ref).headerAcquire();
        } finally {
            lock.unlock();
        }
    }

    /** The shared entry's frame of an allocated {@code ref}, or 0. */
    public long frame(int ref) {
        lock.lock();
        try {
            if (dying || ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return 0;
            }
            return entry(ref).frameAcquire();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Xen's {@code _set_status_v1}: checks the shared entry grants {@code ldom} access (type
     * exactly permit_access, its domid, not read-only for a write) and sets GTF_reading (and
     * GTF_writing for a write) with a compare-and-swap over flags and domid, so a granter
     * racing to end access either sees the busy bits or wins and we fail.
     */
    private int setStatus(int ref, int ldom, boolean readonly) {
        GrantEntryV1 e = entry(ref);
        for (int tries = 0; tries < CAS_RETRIES; tries++) {
            int h = e.headerAcquire();
            int flags = GrantEntryV1.headerFlags(h);
            if ((flags & Gtf.TYPE_MASK) != Gtf.PERMIT_ACCESS || GrantEntryV1.headerDomid(h) != ldom) {
                return Gntst.GENERAL_ERROR;
            }
            int nflags = flags | Gtf.READING;
            if (!readonly) {
                if ((flags & Gtf.READONLY) != 0) {
                    return Gntst.GENERAL_ERROR;
                }
                nflags |= Gtf.WRITING;
            }
            if (e.compareAndSetHeader(h, GrantEntryV1.header(nflags, ldom))) {
                return Gntst.OKAY;
            }
        }
        return Gntst.GENERAL_ERROR; // the shared entry is unstable
    }

    /** Undoes a {@link #setStatus} whose pin was not taken: back to what {@code oldPin} needs. */
    private void clearStatus(int ref, int oldPin, boolean readonly) {
        int clear = 0;
        if (!readonly && (oldPin & PIN_WRITE_MASK) == 0) {
            clear |= Gtf.WRITING;
        }
        if (oldPin == 0) {
            clear |= Gtf.READING;
        }
        if (clear != 0) {
            entry(ref).clearFlags(clear);
        }
    }

    /**
     * Takes the references a pin holds on the granted frame: a general reference, which
     * needs the frame to be the granter's own ({@code bad_page} otherwise), and for a write a
     * writable type reference ({@code general_error} if the frame is a page table or
     * descriptor page).
     */
    private int takeFrame(long mfn, boolean readonly) {
        return claimFrame(frames, mfn, domid, readonly);
    }

    /**
     * Xen's {@code get_paged_frame} plus the writable type of {@code gnttab_copy_claim_buf}, for
     * a frame that must belong to {@code owner}: on {@code GNTST_okay} a general reference (and
     * for a write a writable type reference) is held on {@code mfn}.
     */
    public static int claimFrame(FrameTable frames, long mfn, int owner, boolean readonly) {
        if (!frames.getPage(mfn, owner)) {
            return Gntst.BAD_PAGE;
        }
        if (frames.owner(mfn) != owner) {
            frames.putPage(mfn);
            return Gntst.BAD_PAGE;
        }
        if (!readonly && !frames.getPageType(mfn, FrameTable.PGT_WRITABLE_PAGE)) {
            frames.putPage(mfn);
            return Gntst.GENERAL_ERROR;
        }
        return Gntst.OKAY;
    }

    /** Drops what {@link #claimFrame} took. */
    public static void unclaimFrame(FrameTable frames, long mfn, boolean readonly) {
        if (!readonly) {
            frames.putPageType(mfn);
        }
        frames.putPage(mfn);
    }
}
