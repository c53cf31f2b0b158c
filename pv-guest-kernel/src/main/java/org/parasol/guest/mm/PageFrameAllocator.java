package org.parasol.guest.mm;

/**
 * A page-frame allocator over the domain's own PFNs: one bit per frame, first fit with a
 * roving hint, contiguous runs for multi-page buffers (Mini-OS's {@code mm.c} bitmap
 * allocator).
 *
 * <pre>
 *  pfn:  0 ............ firstFree ..................................... nrPages
 *        [ P2M, start_info, bootstrap page tables: reserved ][ free / used ... ]
 *  bit p of word p/64 set = frame p in use
 * </pre>
 *
 * <p>It knows nothing of mappings: {@link Memory} maps the frames it hands out. A run can be
 * restricted to PFNs below a limit (frames already mapped, for new page tables).
 *
 * <p>Invariants: frames below {@code firstFree} are never handed out; a frame is handed out
 * at most once until freed; freeing a frame that is not in use throws.
 */
public final class PageFrameAllocator {
    private final long[] used;
    private final long nrPages;
    private final long firstFree;
    private long freeCount;
    private long hint;

    /** Frames {@code firstFree ..< nrPages} free, the rest reserved. */
    public PageFrameAllocator(long nrPages, long firstFree) {
        this(nrPages, firstFree, nrPages);
    }

    /**
     * Frames {@code firstFree ..< populatedEnd} free; those below {@code firstFree} reserved;
     * those from {@code populatedEnd} to {@code nrPages} in use with no frame behind them (the
     * balloon's, until it populates them and frees them here).
     */
    public PageFrameAllocator(long nrPages, long firstFree, long populatedEnd) {
        if (nrPages <= 0 || nrPages > Integer.MAX_VALUE || firstFree < 0 || firstFree > populatedEnd
                || populatedEnd > nrPages) {
            throw new IllegalArgumentException("bad frame range: " + firstFree + ".." + populatedEnd + ".." + nrPages);
        }
        this.nrPages = nrPages;
        this.firstFree = firstFree;
        this.used = new long[(int) ((nrPages + 63) >>> 6)];
        for (long p = 0; p < firstFree; p++) {
            set(p);
        }
        for (long p = populatedEnd; p < nrPages; p++) {
            set(p);
        }
        this.freeCount = populatedEnd - firstFree;
        this.hint = firstFree;
    }

    /** Frames the allocator manages (the domain's {@code nr_pages}). */
    public long nrPages() {
        return nrPages;
    }

    /** Frames free now. */
    public long freeFrames() {
        return freeCount;
    }

    /** Whether {@code pfn} is in use (or reserved). */
    public boolean inUse(long pfn) {
        return (used[(int) (pfn >>> 6)] & (1L << (pfn & 63))) != 0;
    }

    private void set(long p) {
        used[(int) (p >>> 6)] |= 1L << (p & 63);
    }

    private void clear(long p) {
        used[(int) (p >>> 6)] &= ~(1L << (p & 63));
    }

    /**
     * Takes {@code count} contiguous free frames with every PFN below {@code limit}.
     *
     * @return the first PFN of the run, or -1 if no such run is free
     */
    public long allocate(int count, long limit) {
        if (count <= 0) {
            throw new IllegalArgumentException("frame count must be positive: " + count);
        }
        long end = Math.min(limit, nrPages);
        if (count > freeCount) {
            return -1;
        }
        long start = search(hint, end, count);
        if (start < 0) {
            start = search(0, end, count);
        }
        if (start < 0) {
            return -1;
        }
        for (long p = start; p < start + count; p++) {
            set(p);
        }
        freeCount -= count;
        hint = start + count;
        return start;
    }

    /** Takes {@code count} contiguous free frames anywhere; -1 if none. */
    public long allocate(int count) {
        return allocate(count, nrPages);
    }

    private long search(long from, long end, int count) {
        long run = 0;
        for (long p = from; p < end; p++) {
            if (inUse(p)) {
                run = 0;
                continue;
            }
            if (++run == count) {
                return p - count + 1;
            }
        }
        return -1;
    }

    /**
     * Returns {@code count} frames from {@code pfn}.
     *
     * @throws IllegalStateException if any of them is not in use (a double free)
     */
    public void free(long pfn, int count) {
        if (pfn < firstFree || count <= 0 || pfn + count > nrPages) {
            throw new IllegalArgumentException("bad frame run " + pfn + "+" + count);
        }
        for (long p = pfn; p < pfn + count; p++) {
            if (!inUse(p)) {
                throw new IllegalStateException("pfn " + p + " freed but not in use");
            }
        }
        for (long p = pfn; p < pfn + count; p++) {
            clear(p);
        }
        freeCount += count;
        if (pfn < hint) {
            hint = pfn;
        }
    }
}
