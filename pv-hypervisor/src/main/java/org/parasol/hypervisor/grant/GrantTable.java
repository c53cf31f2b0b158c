package org.parasol.hypervisor.grant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
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
 * Each active entry has a lock of its own, as Xen's {@code active_entry_acquire}: a bit in its
 * pin word, set by compare-and-swap and cleared by a release store that also writes the new
 * pin. It is held for a few reads and atomic operations (the shared entry's busy bits, the
 * frame's references), never across a copy, and never together with another entry's lock (a
 * copy acquires its source, then its destination, one at a time); a thread that finds it
 * held spins, then yields. Claims of different references, the per-frame path of grant copy,
 * so share no lock word. The table's lock guards growth, seeding and {@code dying}: Xen's
 * grant table rwlock, which its copy path takes for reading. Once the domain is dying,
 * {@link #acquire} fails and {@link #release} no longer touches the shared entries, whose
 * frames are about to be freed: {@link #destroy} sets {@code dying} and then waits until no
 * entry lock is held, so an entry section that read {@code dying} false has finished with the
 * shared entry before the frames go. Data frames stay alive through the general reference
 * each pin holds.
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
    /** The active entry's lock: a bit of its pin word above the four counters. */
    private static final long ENTRY_LOCKED = 1L << 32;
    /** Spins on a held entry lock before yielding the host CPU to its holder. */
    private static final int SPINS_BEFORE_YIELD = 64;
    private static final VarHandle PIN = MethodHandles.arrayElementVarHandle(long[].class);

    private final int domid;
    private final FrameTable frames;
    /** Machine memory, where the grant frames are. */
    private final SegmentBuffer machine;
    /** The shared entry seed, header and frame look at: re-pointed, and used, only under {@link #lock}. */
    private final GrantEntryV1 entry = new GrantEntryV1();
    private final int maxFrames;
    private final ReentrantLock lock = new ReentrantLock();
    private final long[] frameMfn;
    /**
     * Per active entry, its pin word (four 8-bit counters) in the low 32 bits and
     * {@link #ENTRY_LOCKED}; through {@link #PIN}. {@link #activeDomid} and {@link #activeMfn}
     * are written only under the entry's lock.
     */
    private final long[][] pin;
    private final int[][] activeDomid;
    private final long[][] activeMfn;
    /** Frames whose arrays are published: written under {@link #lock}, after the arrays. */
    private volatile int nrFrames;
    private volatile boolean dying;

    /** Whether no thread holds this table's lock or an entry's lock: for tests that check nothing was left held. */
    public boolean lockFree() {
        if (lock.isLocked()) {
            return false;
        }
        int n = nrFrames;
        for (int f = 0; f < n; f++) {
            for (int slot = 0; slot < Gnttab.ENTRIES_PER_FRAME_V1; slot++) {
                if (((long) PIN.getVolatile(pin[f], slot) & ENTRY_LOCKED) != 0) {
                    return false;
                }
            }
        }
        return true;
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
        this.pin = new long[maxFrames][];
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
                pin[n] = new long[Gnttab.ENTRIES_PER_FRAME_V1];
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

    /**
     * The domain's death: later acquires fail and shared entries are no longer touched. Returns
     * once no entry section that may still write a shared entry is running.
     */
    public void destroy() {
        int n;
        lock.lock();
        try {
            dying = true;
            n = nrFrames;
        } finally {
            lock.unlock();
        }
        // An entry section that read dying false holds its entry's lock until it is done with
        // the shared entry; wait for each such one (a few atomics each) before the frames go.
        for (int f = 0; f < n; f++) {
            long[] words = pin[f];
            for (int slot = 0; slot < Gnttab.ENTRIES_PER_FRAME_V1; slot++) {
                for (int spins = 0; ((long) PIN.getVolatile(words, slot) & ENTRY_LOCKED) != 0; spins++) {
                    backOff(spins);
                }
            }
        }
    }

    /** Whether the domain is dying. */
    public boolean dying() {
        return dying;
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
     * Takes the lock of the active entry at {@code words[slot]} and returns its pin word as it
     * was (without the lock bit). The holder runs a few atomics and never waits on a guest; a
     * waiter spins, then yields, so a holder descheduled on a busy host gets its CPU back.
     */
    private static long lockEntry(long[] words, int slot) {
        for (int spins = 0;; spins++) {
            long w = (long) PIN.getVolatile(words, slot);
            if ((w & ENTRY_LOCKED) == 0 && PIN.compareAndSet(words, slot, w, w | ENTRY_LOCKED)) {
                return w;
            }
            backOff(spins);
        }
    }

    /** Writes the entry's new pin and drops its lock, publishing what was written under it. */
    private static void unlockEntry(long[] words, int slot, int newPin) {
        PIN.setRelease(words, slot, newPin & 0xFFFF_FFFFL);
    }

    private static void backOff(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
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
        return acquireEntry(ref, ldom, readonly, device);
    }

    /**
     * Host pins on {@code refs[i]} for each {@code i < count} whose {@code lengths[i]} is not 0,
     * as {@link #acquire(int, int, boolean)} each, under one taking of the table's lock (grant I/O
     * pins every segment of a request at once); {@code mfns[i]} gets each granted MFN, or -1 for
     * a piece of length 0. All or nothing: on the first refusal the pins already taken are
     * dropped and the refusal returned; else {@code GNTST_okay}. {@link #releaseAll} undoes it.
     */
    public int acquireAll(int[] refs, int[] lengths, int count, int ldom, boolean readonly, long[] mfns) {
        return acquireAll(refs, lengths, 0, count, ldom, readonly, mfns);
    }

    /**
     * {@link #acquireAll(int[], int[], int, int, boolean, long[])} of the pieces
     * {@code [from, from + count)} of the arrays (a request of a grant I/O batch), {@code mfns}
     * indexed as {@code refs}.
     */
    public int acquireAll(int[] refs, int[] lengths, int from, int count, int ldom, boolean readonly, long[] mfns) {
        int end = from + count;
        for (int taken = from; taken < end; taken++) {
            if (lengths[taken] == 0) {
                mfns[taken] = -1;
                continue;
            }
            long mfn = acquireEntry(refs[taken], ldom, readonly, false);
            if (mfn < 0) {
                releaseAll(refs, from, taken - from, readonly, mfns);
                return (int) mfn;
            }
            mfns[taken] = mfn;
        }
        return Gntst.OKAY;
    }

    /** Drops the pins {@link #acquireAll} took: every {@code i < count} with {@code mfns[i] >= 0}. */
    public void releaseAll(int[] refs, int count, boolean readonly, long[] mfns) {
        releaseAll(refs, 0, count, readonly, mfns);
    }

    /** {@link #releaseAll(int[], int, boolean, long[])} of the pieces {@code [from, from + count)}. */
    public void releaseAll(int[] refs, int from, int count, boolean readonly, long[] mfns) {
        int end = from + count;
        for (int i = from; i < end; i++) {
            if (mfns[i] >= 0) {
                mfns[i] = releaseEntry(refs[i], readonly, false);
            }
        }
        // The frame references go outside the entry locks, as release does.
        for (int i = from; i < end; i++) {
            if (mfns[i] >= 0) {
                frames.putPageOwned(mfns[i], !readonly);
            }
        }
    }

    /**
     * The pin half of {@link #acquire(int, int, boolean, boolean)} (Xen's
     * {@code acquire_grant_for_copy} without the transitive grants), under the entry's lock:
     * the checks, the busy bits when the pin is new or the first writable one, the frame's
     * references, the pin. Every refusal leaves the pin, the busy bits and the references as
     * they were.
     */
    private long acquireEntry(int ref, int ldom, boolean readonly, boolean device) {
        int inc = device ? (readonly ? PIN_DEV_READ : PIN_DEV_WRITE) : (readonly ? PIN_HOST_READ : PIN_HOST_WRITE);
        if (dying) {
            return Gntst.BAD_DOMAIN;
        }
        int n = nrFrames;
        if (ref < 0 || ref >= Math.max(n, Gnttab.INITIAL_FRAMES) * Gnttab.ENTRIES_PER_FRAME_V1) {
            return Gntst.BAD_GNTREF;
        }
        if (ref >= n * Gnttab.ENTRIES_PER_FRAME_V1) {
            return Gntst.GENERAL_ERROR; // an initial frame never allocated: GTF_invalid
        }
        int f = ref >>> 9;
        int slot = ref & 511;
        long[] words = pin[f];
        int oldPin = (int) lockEntry(words, slot);
        int newPin = oldPin;
        try {
            if (dying) { // again under the entry's lock: destroy waits for it
                return Gntst.BAD_DOMAIN;
            }
            if (oldPin != 0 && (activeDomid[f][slot] != ldom || (oldPin & PIN_OVERFLOW) != 0)) {
                return Gntst.GENERAL_ERROR;
            }
            long mfn;
            boolean setStatus = oldPin == 0 || (!readonly && (oldPin & PIN_WRITE_MASK) == 0);
            if (setStatus) {
                int rc = setStatus(ref, ldom, readonly);
                if (rc != Gntst.OKAY) {
                    return rc;
                }
                mfn = oldPin == 0 ? Integer.toUnsignedLong(machine.getIntAcquire(entryAddress(ref) + GrantEntryV1.FRAME_OFFSET))
                        : activeMfn[f][slot];
            } else {
                mfn = activeMfn[f][slot];
            }
            int rc = takeFrame(mfn, readonly);
            if (rc != Gntst.OKAY) {
                if (setStatus) {
                    clearStatus(ref, oldPin, readonly);
                }
                return rc;
            }
            if (oldPin == 0) {
                activeDomid[f][slot] = ldom;
                activeMfn[f][slot] = mfn;
            }
            newPin = oldPin + inc;
            return mfn;
        } finally {
            unlockEntry(words, slot, newPin);
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
        long mfn = releaseEntry(ref, readonly, device);
        frames.putPageOwned(mfn, !readonly);
    }

    /**
     * The pin and flag half of {@link #release} (Xen's {@code release_grant_for_copy}), under
     * the entry's lock; the pinned MFN, whose references the caller drops.
     */
    private long releaseEntry(int ref, boolean readonly, boolean device) {
        int f = ref >>> 9;
        int slot = ref & 511;
        long[] words = pin[f];
        int oldPin = (int) lockEntry(words, slot);
        int now = oldPin - (device ? (readonly ? PIN_DEV_READ : PIN_DEV_WRITE)
                : (readonly ? PIN_HOST_READ : PIN_HOST_WRITE));
        try {
            if (!dying) {
                int clear = 0;
                if (!readonly && (now & PIN_WRITE_MASK) == 0) {
                    clear |= Gtf.WRITING;
                }
                if (now == 0) {
                    clear |= Gtf.READING;
                }
                if (clear != 0) {
                    machine.getAndBitwiseAndInt(entryAddress(ref) + GrantEntryV1.FLAGS_OFFSET, ~(clear & 0xFFFF));
                }
            }
            return activeMfn[f][slot];
        } finally {
            unlockEntry(words, slot, now);
        }
    }

    /** The pin word of {@code ref} (0 when unused), for tests and dump_table. */
    public int pinOf(int ref) {
        lock.lock();
        try {
            if (ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return 0;
            }
            return (int) (long) PIN.getVolatile(pin[ref >>> 9], ref & 511);
        } finally {
            lock.unlock();
        }
    }

    /** The domain a pinned {@code ref} is in use by, or -1 when unpinned (for leak checks). */
    int activeDomain(int ref) {
        lock.lock();
        try {
            if (ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return -1;
            }
            long[] words = pin[ref >>> 9];
            int oldPin = (int) lockEntry(words, ref & 511);
            try {
                return oldPin == 0 ? -1 : activeDomid[ref >>> 9][ref & 511];
            } finally {
                unlockEntry(words, ref & 511, oldPin);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The frame a pinned {@code ref} pins, or -1 when unpinned (for leak checks). */
    long activeFrame(int ref) {
        lock.lock();
        try {
            if (ref < 0 || ref >= nrFrames * Gnttab.ENTRIES_PER_FRAME_V1) {
                return -1;
            }
            long[] words = pin[ref >>> 9];
            int oldPin = (int) lockEntry(words, ref & 511);
            try {
                return oldPin == 0 ? -1 : activeMfn[ref >>> 9][ref & 511];
            } finally {
                unlockEntry(words, ref & 511, oldPin);
            }
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
        long header = entryAddress(ref) + GrantEntryV1.FLAGS_OFFSET;
        for (int tries = 0; tries < CAS_RETRIES; tries++) {
            int h = machine.getIntAcquire(header);
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
            if (machine.compareAndSetInt(header, h, GrantEntryV1.header(nflags, ldom))) {
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
            machine.getAndBitwiseAndInt(entryAddress(ref) + GrantEntryV1.FLAGS_OFFSET, ~(clear & 0xFFFF));
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
        return switch (frames.getPageOwned(mfn, owner, !readonly)) {
            case FrameTable.GOT_PAGE -> Gntst.OKAY;
            case FrameTable.NOT_WRITABLE -> Gntst.GENERAL_ERROR;
            default -> Gntst.BAD_PAGE;
        };
    }

    /** Drops what {@link #claimFrame} took. */
    public static void unclaimFrame(FrameTable frames, long mfn, boolean readonly) {
        frames.putPageOwned(mfn, !readonly);
    }
}
