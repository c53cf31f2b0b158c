package org.parasol.guest.mm;

import org.parasol.hypercall.Pfn;

/**
 * A run of {@code count} contiguous page frames from {@code pfn}, mapped at {@code va}
 * (the kernel's linear map: {@code va = VIRT_BASE + (pfn << 12)}).
 */
public record PageRun(long pfn, int count, long va) {
    /** The first frame, typed. */
    public Pfn firstPfn() {
        return Pfn.of(pfn);
    }

    /** Bytes in the run. */
    public long bytes() {
        return (long) count << 12;
    }
}
