package org.parasol.guest.grant;

import java.util.Objects;
import java.util.function.LongSupplier;

import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypercall.struct.GrantEntryV1;

/**
 * The granting side of this domain's v1 grant table: a grant-reference allocator,
 * publishing grants, and ending access as Linux does it, deferred while the grant is in use.
 *
 * <pre>
 *  tableVa: entry[ref] = grant_entry_v1 { flags, domid, frame }   8 bytes, 512 per frame
 *  refs 0..7 are reserved (console, xenstore); the allocator hands out 8 ..< nrEntries
 * </pre>
 *
 * <p>Entries are read and written through the ABI's {@link GrantEntryV1} flyweight over this
 * vCPU's mapping of the table, the class the hypervisor checks them with.
 *
 * <p><b>Grant</b>: write {@code domid}, write {@code frame}, then {@code flags}
 * ({@code GTF_permit_access}, maybe {@code GTF_readonly}) with a release store, so the
 * hypervisor never sees a type without the fields it governs. What {@link #grantAccess}
 * returns is a {@link GrantedPage}: closing it ends the access.
 *
 * <p><b>End of access</b>: one compare-and-swap of the 32-bit word made of flags and domid
 * from "flags without busy bits" to 0. While the hypervisor holds {@code GTF_reading} or
 * {@code GTF_writing} (a copy in progress, a live mapping) the grant cannot end: the reference
 * goes on a deferred list instead of being spun on, and {@link #processDeferred} retries
 * each one when its back-off has passed (1 ms, doubling up to 1 s), freeing those that
 * succeed. A reference is reused only after its end of access succeeded. The table reads
 * time from the clock it was made with, and tells its owner through {@code onDeferred} when an
 * end was deferred, so the owner can schedule {@link #processDeferred} (the kernel arms a run-loop
 * timer).
 *
 * <p>Invariants: the grant frames are mapped contiguously at {@code tableVa}; the table is
 * used from one vCPU (its {@link GuestMemory}); a grant allocates only its {@link GrantedPage}
 * and reference handle, and ending one and the deferred list allocate nothing.
 */
public final class GrantTable {
    private static final long FIRST_BACKOFF_NS = 1_000_000L;
    private static final long MAX_BACKOFF_NS = 1_000_000_000L;

    private final GuestMemoryBuffer table;
    private final GrantEntryV1 entry = new GrantEntryV1();
    private final int nrEntries;
    private final int[] free;
    private int freeCount;
    /** Per reference: its page while granted and not yet handed to {@link #endAccess}, else null. */
    private final GrantedPage[] granted;
    private final LongSupplier clock;
    private final Runnable onDeferred;
    private final int[] deferredRef;
    private final long[] deferredDue;
    private final long[] deferredBackoff;
    private int deferredCount;

    /**
     * The table of {@code nrEntries} entries mapped at {@code tableVa}; {@code clock} gives the
     * monotonic time in nanoseconds that {@link GrantedPage#endAccess} uses, and
     * {@code onDeferred} runs each time an end of access is deferred.
     *
     * @throws IllegalArgumentException if the address is not 8-byte aligned or there is no
     *     entry beyond the reserved ones
     */
    public GrantTable(GuestMemory mem, long tableVa, int nrEntries, LongSupplier clock, Runnable onDeferred) {
        Objects.requireNonNull(mem, "mem");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.onDeferred = Objects.requireNonNull(onDeferred, "onDeferred");
        if ((tableVa & 7) != 0 || nrEntries <= Gnttab.NR_RESERVED_ENTRIES) {
            throw new IllegalArgumentException("bad grant table at 0x" + Long.toHexString(tableVa) + " with "
                    + nrEntries + " entries");
        }
        this.table = new GuestMemoryBuffer(mem, tableVa, nrEntries * GrantEntryV1.SIZE);
        this.nrEntries = nrEntries;
        int usable = nrEntries - Gnttab.NR_RESERVED_ENTRIES;
        this.free = new int[usable];
        for (int i = 0; i < usable; i++) {
            free[i] = nrEntries - 1 - i; // lowest reference on top
        }
        this.freeCount = usable;
        this.granted = new GrantedPage[nrEntries];
        this.deferredRef = new int[usable];
        this.deferredDue = new long[usable];
        this.deferredBackoff = new long[usable];
    }

    /** Entries in the table (references below this exist). */
    public int nrEntries() {
        return nrEntries;
    }

    /** References free to grant. */
    public int freeReferences() {
        return freeCount;
    }

    /** References whose end of access is still deferred. */
    public int deferredReferences() {
        return deferredCount;
    }

    /** Whether {@code page} is granted and its end not yet asked for. */
    boolean isLive(GrantedPage page) {
        return granted[page.ref().value()] == page;
    }

    private GrantEntryV1 entry(int ref) {
        return entry.wrap(table, ref * GrantEntryV1.SIZE);
    }

    /**
     * {@code gnttab_grant_foreign_access}: takes a free reference and grants {@code domid}
     * access to {@code frame}, read-only if asked. Close the page to end the access.
     *
     * @throws IllegalStateException if no reference is free
     */
    public GrantedPage grantAccess(DomId domid, Mfn frame, boolean readonly) {
        Objects.requireNonNull(domid, "domid");
        Objects.requireNonNull(frame, "frame");
        if (freeCount == 0) {
            throw new IllegalStateException("grant table full: " + nrEntries + " entries, "
                    + deferredCount + " waiting to end access");
        }
        int ref = free[--freeCount];
        GrantedPage page = new GrantedPage(this, GrantRef.of(ref), domid, frame, readonly);
        granted[ref] = page;
        GrantEntryV1 e = entry(ref).domid(domid.value()).frame(frame.value());
        // The type last, with release: the hypervisor acquires flags before reading the rest.
        e.flagsRelease(Gtf.PERMIT_ACCESS | (readonly ? Gtf.READONLY : 0));
        return page;
    }

    /**
     * {@code gnttab_end_foreign_access_ref}: revokes {@code page}'s grant if the hypervisor is
     * not using it. Does not free the reference: {@link GrantedPage#close} still has to.
     *
     * @return false while {@code GTF_reading} or {@code GTF_writing} is set
     * @throws IllegalStateException if the page's end of access was asked for already
     */
    public boolean tryEndAccess(GrantedPage page) {
        int r = check(page.ref());
        if (granted[r] != page) {
            throw new IllegalStateException(page.ref() + " is no longer granted by this page (ended already?)");
        }
        return revoke(r);
    }

    /** The compare-and-swap of the end of access on entry {@code ref}. */
    private boolean revoke(int ref) {
        GrantEntryV1 e = entry(ref);
        int h = e.headerAcquire();
        for (;;) {
            int flags = GrantEntryV1.headerFlags(h);
            if ((flags & (Gtf.READING | Gtf.WRITING)) != 0) {
                return false;
            }
            int witness = e.compareAndExchangeHeader(h, GrantEntryV1.header(0, GrantEntryV1.headerDomid(h)));
            if (witness == h) {
                return true;
            }
            h = witness; // the hypervisor changed the entry: look at it again
        }
    }

    /**
     * Ends {@code page}'s access and frees its reference, or, while the hypervisor still uses
     * it, defers both to {@link #processDeferred} and runs the table's {@code onDeferred}.
     * {@link GrantedPage#close} calls this with the table's clock.
     *
     * @param now the current time in nanoseconds (the clock {@link #processDeferred} is
     *     given too)
     * @return true if the reference was freed now
     * @throws IllegalStateException if the page's end of access was asked for already
     */
    public boolean endAccess(GrantedPage page, long now) {
        return endAccess(page, now, false);
    }

    /**
     * As {@link #endAccess(GrantedPage, long)} at the table's clock, read only if the end must
     * be deferred (the common case, a grant the hypervisor let go, reads no clock).
     */
    boolean endAccessNow(GrantedPage page) {
        return endAccess(page, 0, true);
    }

    private boolean endAccess(GrantedPage page, long now, boolean readClock) {
        int r = check(page.ref());
        if (granted[r] != page) {
            throw new IllegalStateException(page.ref() + " is no longer granted by this page (ended twice?)");
        }
        granted[r] = null;
        if (revoke(r)) {
            free[freeCount++] = r;
            return true;
        }
        if (readClock) {
            now = clock.getAsLong();
        }
        int i = deferredCount++;
        deferredRef[i] = r;
        deferredBackoff[i] = FIRST_BACKOFF_NS;
        deferredDue[i] = now + FIRST_BACKOFF_NS;
        onDeferred.run();
        return false;
    }

    /**
     * Retries every deferred reference whose back-off has passed: those the hypervisor no
     * longer uses are revoked and freed; the others wait twice as long (up to 1 s).
     *
     * @return the references still deferred
     */
    public int processDeferred(long now) {
        int i = 0;
        while (i < deferredCount) {
            if (now - deferredDue[i] < 0) {
                i++;
                continue;
            }
            int ref = deferredRef[i];
            if (revoke(ref)) {
                free[freeCount++] = ref;
                int last = --deferredCount;
                deferredRef[i] = deferredRef[last];
                deferredDue[i] = deferredDue[last];
                deferredBackoff[i] = deferredBackoff[last];
            } else {
                deferredBackoff[i] = Math.min(deferredBackoff[i] * 2, MAX_BACKOFF_NS);
                deferredDue[i] = now + deferredBackoff[i];
                i++;
            }
        }
        return deferredCount;
    }

    private int check(GrantRef ref) {
        int r = ref.value();
        if (r < Gnttab.NR_RESERVED_ENTRIES || r >= nrEntries) {
            throw new IllegalArgumentException(ref + " is not an allocatable reference of this table");
        }
        return r;
    }
}
