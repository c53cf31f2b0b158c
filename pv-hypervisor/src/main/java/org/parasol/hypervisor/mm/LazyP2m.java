package org.parasol.hypervisor.mm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A domain's P2M list ({@code start_info.mfn_list}) as the builder laid it out, kept as runs of
 * machine-contiguous frames instead of written into the list's frames at build: each page of
 * the list is written the first time anyone could see it (deviation 38).
 *
 * <pre>
 *  PFN        0 ........ p2mFrames-1 | ........................................ nrPages-1
 *             [ the list's own pages ]
 *  runs       pfn[0]=0 -> mfn[0], len[0] | pfn[1] -> mfn[1], len[1] | ...    (sorted by PFN)
 *  page k of the list = the MFNs of PFNs 512k .. 512k+511, from the runs
 * </pre>
 *
 * The page of the list a frame holds is found from its MFN through the runs sorted by MFN
 * ({@link #pageOf}); the frame table keeps which of those frames are still unwritten (a bit
 * per frame in its chunk) and calls {@link #write} under this object's monitor, which nothing
 * outside the hypervisor can reach. Immutable but for that monitor: what a page holds is what
 * the build decided, whatever happened to the domain's memory since, exactly as the eager
 * builder's bytes would have stayed until the guest changed them.
 */
final class LazyP2m {
    private static final ValueLayout.OfLong U64 =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int ENTRIES = MachineMemory.PAGE_SIZE / 8;

    private final int domid;
    private final long nrPages;
    private final long p2mFrames;
    /** Runs sorted by PFN: PFNs {@code runPfn[r] .. runPfn[r]+runLen[r]-1} are MFNs from {@code runMfn[r]}. */
    private final long[] runPfn;
    private final long[] runMfn;
    private final long[] runLen;
    /** Run indices sorted by {@code runMfn}. */
    private final int[] byMfn;
    /** Pages of the list written so far; guarded by this. */
    private long written;

    private LazyP2m(int domid, long nrPages, long[] runPfn, long[] runMfn, long[] runLen) {
        this.domid = domid;
        this.nrPages = nrPages;
        this.p2mFrames = (nrPages + ENTRIES - 1) / ENTRIES;
        this.runPfn = runPfn;
        this.runMfn = runMfn;
        this.runLen = runLen;
        Integer[] order = new Integer[runPfn.length];
        for (int r = 0; r < order.length; r++) {
            order[r] = r;
        }
        Arrays.sort(order, (a, b) -> Long.compare(runMfn[a], runMfn[b]));
        this.byMfn = new int[order.length];
        for (int r = 0; r < order.length; r++) {
            byMfn[r] = order[r];
        }
    }

    /**
     * The runs of {@code p2m}, or null if it has more than {@code maxRuns} of them (then the
     * list is cheaper written than described).
     */
    static LazyP2m of(int domid, long[] p2m, long maxRuns) {
        int runs = 0;
        for (int pfn = 0; pfn < p2m.length; ) {
            int run = runLength(p2m, pfn);
            if (++runs > maxRuns) {
                return null;
            }
            pfn += run;
        }
        long[] pfns = new long[runs];
        long[] mfns = new long[runs];
        long[] lens = new long[runs];
        int r = 0;
        for (int pfn = 0; pfn < p2m.length; ) {
            int run = runLength(p2m, pfn);
            pfns[r] = pfn;
            mfns[r] = p2m[pfn];
            lens[r] = run;
            r++;
            pfn += run;
        }
        return new LazyP2m(domid, p2m.length, pfns, mfns, lens);
    }

    private static int runLength(long[] p2m, int pfn) {
        int run = 1;
        while (pfn + run < p2m.length && p2m[pfn + run] == p2m[pfn] + run) {
            run++;
        }
        return run;
    }

    int domid() {
        return domid;
    }

    /** How many pages the list spans: {@code ceil(nrPages / 512)}. */
    long p2mFrames() {
        return p2mFrames;
    }

    /** How many runs describe the list. */
    int runs() {
        return runPfn.length;
    }

    /** The MFN the build gave {@code pfn}. */
    long mfnOf(long pfn) {
        int r = runOf(pfn);
        return runMfn[r] + (pfn - runPfn[r]);
    }

    /** Which page of the list frame {@code mfn} holds, or -1 if it holds none. */
    long pageOf(long mfn) {
        int lo = 0;
        int hi = byMfn.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (runMfn[byMfn[mid]] <= mfn) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        int r = byMfn[lo];
        long off = mfn - runMfn[r];
        if (off < 0 || off >= runLen[r]) {
            return -1;
        }
        long pfn = runPfn[r] + off;
        return pfn < p2mFrames ? pfn : -1;
    }

    /** The MFNs of every page of the list, in PFN order: what the frame table marks unwritten. */
    void forEachListFrame(java.util.function.LongConsumer action) {
        for (long k = 0; k < p2mFrames; k++) {
            action.accept(mfnOf(k));
        }
    }

    /**
     * Writes page {@code k} of the list into frame {@code mfn}: the MFNs of PFNs
     * {@code 512k ..}, the last page's tail zero (it is a fresh frame). Under this object's
     * monitor, held by the caller.
     */
    void write(MemorySegment mem, long mfn, long k) {
        long at = MachineMemory.maddr(mfn);
        long first = k * ENTRIES;
        long end = Math.min(first + ENTRIES, nrPages);
        int r = -1;
        for (long pfn = first; pfn < end; pfn++) {
            if (r < 0 || pfn >= runPfn[r] + runLen[r]) {
                r = runOf(pfn);
            }
            mem.set(U64, at + 8 * (pfn - first), runMfn[r] + (pfn - runPfn[r]));
        }
        written++;
    }

    private int runOf(long pfn) {
        int lo = 0;
        int hi = runPfn.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (runPfn[mid] <= pfn) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Pages of the list written so far. */
    synchronized long written() {
        return written;
    }
}
