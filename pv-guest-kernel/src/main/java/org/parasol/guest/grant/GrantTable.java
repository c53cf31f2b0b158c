package org.parasol.guest.grant;

import java.util.Objects;

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
 * hypervisor never sees a type without the fields it governs.
 *
 * <p><b>End of access</b>: one compare-and-swap of the 32-bit word made of flags and domid
 * from "flags without busy bits" to 0. While the hypervisor holds {@code GTF_reading} or
 * {@code GTF_writing} (a copy in progress, a live mapping) the grant cannot end: the reference
 * goes on a deferred list instead of being spun on, and {@link #processDeferred} retries
 * each one when its back-off has passed (1 ms, doubling up to 1 s), freeing those that
 * succeed. A reference is reused only after its end of access succeeded.
 *
 * <p>Invariants: the grant frames are mapped contiguously at {@code tableVa}; the table is
 * used from one vCPU (its {@link GuestMemory}); the allocator and the deferred list allocate
 * nothing after construction.
 */
public final class GrantTable {
    private static final long FIRST_BACKOFF_NS = 1_000_000L;
    private static final long MAX_BACKOFF_NS = 1_000_000_000L;

    private final GuestMemoryBuffer table;
    private final GrantEntryV1 entry = new GrantEntryV1();
    private final int nrEntries;
    private final int[] free;
    private int freeCount;
    /** Per reference: granted and not yet handed to {@link #endAccess}. */
    private final boolean[] granted;
    private final int[] deferredRef;
    private final long[] deferredDue;
    private final long[] deferredBackoff;
    private int deferredCount;

    /**
     * The table of {@code nrEntries} entries mapped at {@code tableVa}.
     *
     * @throws IllegalArgumentException if the address is not 8-byte aligned or there is no
     *     entry beyond the reserved ones
     */
    public GrantTable(GuestMemory mem, long tableVa, int nrEntries) {
        Objects.requireNonNull(mem, "mem");
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
        this.granted = new boolean[nrEntries];
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

    private GrantEntryV1 entry(int ref) {
        return entry.wrap(table, ref * GrantEntryV1.SIZE);
    }

    /**
     * {@code gnttab_grant_foreign_access}: takes a free reference and grants {@code domid}
     * access to {@code frame}, read-only if asked.
     *
     * @throws IllegalStateException if no reference is free
     */
    public GrantRef grantAccess(DomId domid, Mfn frame, boolean readonly) {
        if (freeCount == 0) {
            throw new IllegalStateException("grant table full: " + nrEntries + " entries, "
                    + deferredCount + " waiting to end access");
        }
        int ref = free[--freeCount];
        granted[ref] = true;
        GrantEntryV1 e = entry(ref).domid(domid.value()).frame(frame.value());
        // The type last, with release: the hypervisor acquires flags before reading the rest.
        e.flagsRelease(Gtf.PERMIT_ACCESS | (readonly ? Gtf.READONLY : 0));
        return GrantRef.of(ref);
    }

    /**
     * {@code gnttab_end_foreign_access_ref}: revokes {@code ref} if the hypervisor is not
     * using it. Does not free the reference.
     *
     * @return false while {@code GTF_reading} or {@code GTF_writing} is set
     */
    public boolean tryEndAccess(GrantRef ref) {
        GrantEntryV1 e = entry(check(ref));
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
     * Ends access to {@code ref} and frees it, or, while the hypervisor still uses it, defers
     * both to {@link #processDeferred}.
     *
     * @param now the current time in nanoseconds (any monotonic clock the caller also
     *     passes to {@link #processDeferred})
     * @return true if the reference was freed now
     * @throws IllegalStateException if {@code ref} is not currently granted
     */
    public boolean endAccess(GrantRef ref, long now) {
        int r = check(ref);
        if (!granted[r]) {
            throw new IllegalStateException(ref + " is not granted (ended twice?)");
        }
        granted[r] = false;
        if (tryEndAccess(ref)) {
            free[freeCount++] = ref.value();
            return true;
        }
        int i = deferredCount++;
        deferredRef[i] = ref.value();
        deferredBackoff[i] = FIRST_BACKOFF_NS;
        deferredDue[i] = now + FIRST_BACKOFF_NS;
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
            if (tryEndAccess(GrantRef.of(ref))) {
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
