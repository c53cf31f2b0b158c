package org.parasol.hypervisor.mm;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * References a vCPU may not drop yet because a TLB may still hold a translation they keep
 * alive: Parasol's stand-in for Xen's TLB-flush clock.
 *
 * <p>When a page-table entry is replaced, the references its old value held are dropped at
 * once only while that cannot free the frame or let it change type — the count stays above
 * zero, and the frame belongs to the page-table owner. Otherwise the drop is queued here, and
 * the queue is emptied by {@link #release}: first a TLB shootdown of every vCPU of the
 * page-table owner ({@code Domain.flushTlbs}), then, under the owner's page-table lock, the
 * drops in the order they were queued. Until then the frame keeps its type and stays
 * allocated, so a stale TLB entry can never reach a frame that became a page table or was
 * handed to someone else.
 *
 * <p>Entry encoding: {@code mfn << 2 | kind}. One instance per vCPU, used only on its thread;
 * it grows to the largest batch seen and then allocates nothing.
 */
public final class DeferredPuts {
    /** Drop a general reference ({@code put_page}). */
    static final int PAGE = 1;
    /** Drop a type reference, then a general reference ({@code put_page_and_type}). */
    static final int PAGE_AND_TYPE = 2;
    /** Drop the owner's allocation reference ({@code XENMEM_decrease_reservation}). */
    static final int ALLOC = 3;

    private long[] entries = new long[64];
    private int size;

    /** Whether nothing is queued. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** How many drops are queued. */
    public int size() {
        return size;
    }

    void add(long mfn, int kind) {
        if (size == entries.length) {
            entries = Arrays.copyOf(entries, size * 2);
        }
        entries[size++] = (mfn << 2) | kind;
    }

    /**
     * Drops a general reference on a frame an entry mapped: at once unless it is the last or
     * the frame is foreign to the page-table owner (another domain's vCPUs do not flush for
     * this one), in which case it is queued.
     */
    void putPage(FrameTable frames, long mfn, boolean foreign) {
        if (foreign || !frames.putPageUnlessLast(mfn)) {
            add(mfn, PAGE);
        }
    }

    /**
     * Drops a type reference and a general reference on a frame an entry referenced. If the
     * type reference is the last, both wait for the shootdown (keeping the general reference
     * keeps the frame from being freed before its type is dropped).
     */
    void putPageAndType(FrameTable frames, long mfn, boolean foreign) {
        if (foreign || !frames.putPageTypeUnlessLast(mfn)) {
            add(mfn, PAGE_AND_TYPE);
            return;
        }
        putPage(frames, mfn, false);
    }

    /**
     * Empties the queue: runs {@code shootdown}; if it completed, drops every queued reference
     * under {@code lock} (the page-table owner's page-table lock). If it did not complete (a
     * vCPU neither acknowledged nor stopped in time) nothing is dropped and the queue is kept
     * for the next call. Must be called with no lock held.
     *
     * @return whether the queue is now empty
     */
    public boolean release(FrameTable frames, Object lock, BooleanSupplier shootdown) {
        if (size == 0) {
            return true;
        }
        if (!shootdown.getAsBoolean()) {
            return false;
        }
        synchronized (lock) {
            dropAll(frames);
        }
        return true;
    }

    /**
     * Drops every queued reference without a shootdown: only for a domain whose vCPUs have all
     * stopped (destruction), so no TLB is in use.
     */
    public void releaseStopped(FrameTable frames) {
        dropAll(frames);
    }

    private void dropAll(FrameTable frames) {
        for (int i = 0; i < size; i++) {
            long mfn = entries[i] >>> 2;
            switch ((int) (entries[i] & 3)) {
                case PAGE -> frames.putPage(mfn);
                case PAGE_AND_TYPE -> {
                    frames.putPageType(mfn);
                    frames.putPage(mfn);
                }
                case ALLOC -> frames.putPageAllocRef(mfn);
                default -> throw new IllegalStateException("bad deferred entry " + entries[i]);
            }
        }
        size = 0;
    }
}
