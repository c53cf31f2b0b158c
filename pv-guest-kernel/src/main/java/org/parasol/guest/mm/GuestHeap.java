package org.parasol.guest.mm;

import java.util.Arrays;

import org.parasol.hypercall.abi.Mmu;

/**
 * A small heap of guest-memory buffers — ring pages, I/O buffers, hypercall argument blocks —
 * carved from the kernel's pages (Mini-OS's {@code xmalloc}).
 *
 * <pre>
 *  size (after rounding up to the alignment)   comes from
 *  16, 32, ... 2048 bytes                      a slab: one page cut into equal slots,
 *                                              each aligned to its size
 *  more than 2048 bytes                        its own run of whole pages (page aligned)
 * </pre>
 *
 * <p>Alignment is any power of two up to the page size; a slot of size class {@code s} is
 * {@code s}-aligned because slabs start on a page boundary. Slabs are never returned to the
 * page allocator; slots are reused per class, last freed first.
 *
 * <p>Invariants: a buffer is freed at most once ({@link GuestBuffer#close} is idempotent); a
 * freed slot or run is never handed out while another buffer covers it.
 */
public final class GuestHeap {
    /** The smallest slot. */
    public static final int MIN_SLOT = 16;
    /** The largest slot; larger buffers get whole pages. */
    public static final int MAX_SLOT = 2048;
    private static final int CLASSES = 8; // 16 << 0 .. 16 << 7

    private final Memory memory;
    private final long[][] free = new long[CLASSES][];
    private final int[] freeCount = new int[CLASSES];
    private long slabs;
    private long live;

    /** A heap taking its pages from {@code memory}. */
    public GuestHeap(Memory memory) {
        this.memory = memory;
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new long[16];
        }
    }

    /** Buffers allocated and not yet closed. */
    public long liveBuffers() {
        return live;
    }

    /** Pages cut into slots so far. */
    public long slabPages() {
        return slabs;
    }

    /** {@code size} bytes aligned to 8. */
    public GuestBuffer allocate(long size) {
        return allocate(size, 8);
    }

    /**
     * {@code size} bytes whose address is a multiple of {@code alignment}.
     *
     * @throws IllegalArgumentException for a non-positive size or an alignment that is not a
     *     power of two up to 4096
     * @throws GuestOutOfMemoryException if the domain has no pages left
     */
    public GuestBuffer allocate(long size, long alignment) {
        if (size <= 0 || alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > Mmu.PAGE_SIZE) {
            throw new IllegalArgumentException("bad allocation: " + size + " bytes aligned to " + alignment);
        }
        long need = Math.max(size, alignment);
        if (need > MAX_SLOT) {
            long pages = (size + Mmu.PAGE_SIZE - 1) >>> Mmu.PAGE_SHIFT;
            if (pages > Integer.MAX_VALUE) {
                throw new GuestOutOfMemoryException(size + " bytes");
            }
            PageRun run = memory.allocatePages((int) pages);
            live++;
            return new GuestBuffer(this, run.va(), size, -1, run);
        }
        int cls = sizeClass(need);
        if (freeCount[cls] == 0) {
            carve(cls);
        }
        long va = free[cls][--freeCount[cls]];
        live++;
        return new GuestBuffer(this, va, size, cls, null);
    }

    private static int sizeClass(long bytes) {
        int bits = 64 - Long.numberOfLeadingZeros(Math.max(bytes, MIN_SLOT) - 1); // ceil(log2)
        return bits - 4;
    }

    private void carve(int cls) {
        PageRun page = memory.allocatePages(1);
        slabs++;
        int slot = MIN_SLOT << cls;
        for (long off = Mmu.PAGE_SIZE - slot; off >= 0; off -= slot) {
            push(cls, page.va() + off);
        }
    }

    private void push(int cls, long va) {
        if (freeCount[cls] == free[cls].length) {
            free[cls] = Arrays.copyOf(free[cls], freeCount[cls] * 2);
        }
        free[cls][freeCount[cls]++] = va;
    }

    void release(GuestBuffer b, int cls, PageRun run) {
        live--;
        if (run != null) {
            memory.freePages(run);
        } else {
            // Zero on free: the next owner of the slot sees what a fresh page would show.
            memory.zero(b.va(), MIN_SLOT << cls);
            push(cls, b.va());
        }
    }
}
