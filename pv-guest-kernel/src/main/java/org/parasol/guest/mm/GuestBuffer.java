package org.parasol.guest.mm;

/**
 * A buffer in guest memory from the {@link GuestHeap}: {@code size} bytes at virtual address
 * {@code va}, zeroed when handed out. Close it to give the memory back.
 *
 * <p>Invariants: {@code va} is aligned as asked; after {@link #close} the buffer must not be
 * used (closing again does nothing).
 */
public final class GuestBuffer implements AutoCloseable {
    private final GuestHeap heap;
    private final long va;
    private final long size;
    private final int sizeClass;
    private final PageRun run;
    private boolean closed;

    GuestBuffer(GuestHeap heap, long va, long size, int sizeClass, PageRun run) {
        this.heap = heap;
        this.va = va;
        this.size = size;
        this.sizeClass = sizeClass;
        this.run = run;
    }

    /** The guest virtual address of the first byte. */
    public long va() {
        return va;
    }

    /** The size asked for. */
    public long size() {
        return size;
    }

    /** Whether the buffer is its own run of whole pages (any buffer over 2048 bytes). */
    public boolean pageBacked() {
        return run != null;
    }

    /** Whether it was closed. */
    public boolean isClosed() {
        return closed;
    }

    /** Returns the memory to the heap. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heap.release(this, sizeClass, run);
    }

    @Override
    public String toString() {
        return "GuestBuffer[0x" + Long.toHexString(va) + "+" + size + (closed ? ", closed]" : "]");
    }
}
