package org.parasol.guest.mm;

import java.util.Objects;

/**
 * The balloon: the kernel's side of the toolstack's memory target (Linux's
 * {@code drivers/xen/balloon.c}, Mini-OS's {@code balloon.c}). The toolstack writes
 * {@code memory/target} in KiB; the kernel gives pages back to the hypervisor until it holds that
 * many, or asks for pages until it does, within the room it has ({@link Memory#maxPfn}).
 *
 * <pre>
 *  shrink (decrease_reservation)             grow (populate_physmap)
 *  take a free page from the allocator       pick a ballooned PFN (lowest first)
 *  unmap it, P2M entry := INVALID            XENMEM_populate_physmap(pfn) -&gt; mfn
 *  XENMEM_decrease_reservation(mfn)          P2M entry := mfn, free it into the allocator
 *  tot_pages falls                           tot_pages rises (up to max_pages)
 * </pre>
 *
 * <p>The balloon only ever takes pages the allocator hands out as free, so a page the kernel
 * has mapped for a buffer, a ring or a grant is never given back; and it keeps
 * {@link #FREE_FLOOR} pages free, so a target of 0 shrinks the domain to what it uses and a
 * little more, not to nothing. Work goes in batches of at most {@link #BATCH} pages
 * ({@link #step}); the kernel runs one batch per run-loop task, so the application runs between
 * batches and nothing waits. A batch the hypervisor cuts short (no memory left on the host, or
 * max_pages reached) undoes what it did not get, and the kernel tries again later, as Linux's
 * {@code balloon_process} does with its back-off.
 *
 * <p>Accounting: {@code current} is the pages the domain holds that the balloon knows of (the
 * built pages, less those given back, plus those populated); {@code target} what the
 * toolstack asked for, in pages. Invariants: {@code current + ballooned == maxPfn}; a PFN is
 * ballooned exactly when its P2M entry is {@link P2m#INVALID_ENTRY} and the allocator holds it
 * in use.
 */
public final class Balloon {
    /** Pages given back or asked for per batch (per hypercall). */
    public static final int BATCH = 64;
    /** Free pages the balloon never takes: the kernel must be able to go on allocating. */
    public static final long FREE_FLOOR = 32;

    /** The hypervisor's side, as the two memory_op reservation commands. */
    public interface Reservation {
        /**
         * {@code XENMEM_decrease_reservation} of the {@code n} frames in {@code mfns}, order 0,
         * {@code DOMID_SELF}.
         *
         * @return the frames given back (the first that many), as Xen counts extents done
         */
        long decrease(long[] mfns, int n);

        /**
         * {@code XENMEM_populate_physmap} of the {@code n} PFNs in {@code pfnsInMfnsOut}, order 0,
         * {@code DOMID_SELF}; the frames come back in place of the PFNs.
         *
         * @return the pages populated
         */
        long populate(long[] pfnsInMfnsOut, int n);
    }

    private final Memory memory;
    private final Reservation hypervisor;
    private final long[] ballooned;
    private final long[] batch = new long[BATCH];
    private final long[] batchPfns = new long[BATCH];
    private long balloonedCount;
    private long current;
    private long target;
    /** Lowest PFN that may be ballooned: a roving start for the search. */
    private long hint;

    /**
     * A balloon over {@code memory}: the built pages populated, the rest of its room ballooned.
     */
    public Balloon(Memory memory, Reservation hypervisor) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        long max = memory.maxPfn();
        this.ballooned = new long[(int) ((max + 63) >>> 6)];
        for (long p = memory.builtPages(); p < max; p++) {
            ballooned[(int) (p >>> 6)] |= 1L << (p & 63);
        }
        this.balloonedCount = max - memory.builtPages();
        this.current = memory.builtPages();
        this.target = current;
        this.hint = memory.builtPages();
    }

    /** Pages the domain holds, as the balloon counts them. */
    public long currentPages() {
        return current;
    }

    /** Pages the toolstack asked for. */
    public long targetPages() {
        return target;
    }

    /** Pages given back (or never populated) that the balloon may ask for again. */
    public long balloonedPages() {
        return balloonedCount;
    }

    /** Whether {@code pfn} is in the balloon. */
    public boolean isBallooned(long pfn) {
        return pfn >= 0 && pfn < memory.maxPfn() && (ballooned[(int) (pfn >>> 6)] & (1L << (pfn & 63))) != 0;
    }

    /** Sets the target, in pages; a negative one is taken as 0. */
    public void setTarget(long pages) {
        target = Math.max(0, pages);
    }

    /**
     * Whether the balloon could still move towards the target: it is below the target with
     * pages to ask for, or above it with free pages above the floor.
     */
    public boolean wantsWork() {
        if (current < target) {
            return balloonedCount > 0;
        }
        return current > target && memory.frames().freeFrames() > FREE_FLOOR;
    }

    /**
     * One batch towards the target: at most {@link #BATCH} pages given back or asked for.
     *
     * @return the pages it moved (0: nothing to do, or the hypervisor or the allocator had none)
     */
    public int step() {
        if (current > target) {
            return shrink((int) Math.min(BATCH, current - target));
        }
        if (current < target) {
            return grow((int) Math.min(BATCH, target - current));
        }
        return 0;
    }

    private int shrink(int want) {
        PageFrameAllocator frames = memory.frames();
        int n = 0;
        while (n < want && frames.freeFrames() > FREE_FLOOR) {
            long pfn = frames.allocate(1);
            if (pfn < 0) {
                break;
            }
            batchPfns[n] = pfn;
            batch[n] = memory.balloonOut(pfn);
            n++;
        }
        if (n == 0) {
            return 0;
        }
        long done = hypervisor.decrease(batch, n);
        int given = (int) Math.max(0, Math.min(n, done));
        for (int i = 0; i < given; i++) {
            mark(batchPfns[i]);
        }
        // What the hypervisor did not take stays ours: its entry back, free again.
        for (int i = given; i < n; i++) {
            memory.balloonIn(batchPfns[i], batch[i]);
        }
        current -= given;
        return given;
    }

    private int grow(int want) {
        int n = 0;
        long max = memory.maxPfn();
        for (long p = hint; p < max && n < want; p++) {
            if (isBallooned(p)) {
                batchPfns[n] = p;
                batch[n] = p;
                n++;
            }
        }
        if (n < want && hint > 0) {
            for (long p = 0; p < hint && n < want; p++) {
                if (isBallooned(p)) {
                    batchPfns[n] = p;
                    batch[n] = p;
                    n++;
                }
            }
        }
        if (n == 0) {
            return 0;
        }
        long done = hypervisor.populate(batch, n);
        int got = (int) Math.max(0, Math.min(n, done));
        for (int i = 0; i < got; i++) {
            long pfn = batchPfns[i];
            ballooned[(int) (pfn >>> 6)] &= ~(1L << (pfn & 63));
            balloonedCount--;
            memory.balloonIn(pfn, batch[i]);
        }
        if (got > 0) {
            hint = batchPfns[got - 1] + 1;
        }
        current += got;
        return got;
    }

    private void mark(long pfn) {
        ballooned[(int) (pfn >>> 6)] |= 1L << (pfn & 63);
        balloonedCount++;
        if (pfn < hint) {
            hint = pfn;
        }
    }
}
