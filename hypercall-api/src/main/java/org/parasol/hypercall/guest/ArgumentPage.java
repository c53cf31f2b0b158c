package org.parasol.hypercall.guest;

import java.lang.foreign.MemorySegment;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.SharedBuffer;

/**
 * The page a guest kernel dedicates to marshalling hypercall arguments, one per vCPU: the
 * guest virtual address of a writable 4 KiB page plus a private 4 KiB heap scratch of the
 * same shape.
 *
 * <p>A typed wrapper writes its structure into the scratch with a flyweight over
 * {@link #buffer()}, copies it to the
 * same offset of the guest page ({@link #copyIn}), passes {@link #address} in a register, and
 * after the call copies OUT fields back ({@link #copyOut}). The scratch is ordinary heap
 * memory: it never aliases machine memory, and the hypervisor only ever sees the guest page.
 *
 * <pre>
 *  offset 0                         top                        4096
 *  +--------------------------------+---------------------------+
 *  | frames of calls in progress    |           free            |
 *  +--------------------------------+---------------------------+
 *    outer call | nested call (an upcall delivered at hypercall return may call again)
 * </pre>
 *
 * <p>Space is handed out as a stack: {@link #push} reserves a zeroed, 8-byte aligned frame
 * above the current top and {@link #pop} releases it, so a hypercall made by an event
 * upcall that runs inside another hypercall's return gets its own frame and cannot clobber
 * the outer call's OUT fields.
 *
 * <p>Invariants: {@code va} is page aligned and non-zero; frames are released in reverse
 * order of reservation; an {@code ArgumentPage} belongs to one vCPU and is used only on its
 * thread.
 */
public final class ArgumentPage {
    /** Bytes in the page. */
    public static final int SIZE = 4096;

    private final long va;
    private final SegmentBuffer buffer = SegmentBuffer.allocate(SIZE);
    private final MemorySegment scratch = buffer.segment();
    private long top;

    /**
     * Dedicates the guest page at {@code va} to marshalling.
     *
     * @throws IllegalArgumentException if {@code va} is zero or not page aligned
     */
    public ArgumentPage(long va) {
        if (va == 0 || (va & (SIZE - 1)) != 0) {
            throw new IllegalArgumentException("argument page must be a non-zero page-aligned address: 0x"
                    + Long.toHexString(va));
        }
        this.va = va;
    }

    /** The guest virtual address of the page. */
    public long va() {
        return va;
    }

    /** The private scratch; offset {@code o} of it mirrors {@code va() + o}. */
    public MemorySegment scratch() {
        return scratch;
    }

    /** The private scratch as the buffer flyweights wrap. */
    public SharedBuffer buffer() {
        return buffer;
    }

    /** The guest virtual address of scratch offset {@code offset}. */
    public long address(long offset) {
        return va + offset;
    }

    /** Bytes still free above the top frame. */
    public long available() {
        return SIZE - top;
    }

    /**
     * Reserves a zeroed frame of {@code size} bytes, rounded up to 8, and returns its offset.
     *
     * @throws IllegalStateException if the page has no room left (nesting too deep or an
     *     argument too large for the page)
     */
    public long push(long size) {
        long rounded = (size + 7) & ~7L;
        if (size < 0 || rounded > SIZE - top) {
            throw new IllegalStateException("argument page exhausted: " + size + " bytes wanted, "
                    + (SIZE - top) + " free");
        }
        long offset = top;
        top += rounded;
        buffer.setMemory(offset, rounded, (byte) 0);
        return offset;
    }

    /**
     * Releases the frame at {@code offset} and every frame above it.
     *
     * @throws IllegalStateException if {@code offset} is above the top (released twice or out of order)
     */
    public void pop(long offset) {
        if (offset < 0 || offset > top) {
            throw new IllegalStateException("argument frame released out of order: " + offset + " > " + top);
        }
        top = offset;
    }

    /** Copies {@code length} scratch bytes at {@code offset} to the same offset of the guest page. */
    public void copyIn(GuestMemory memory, long offset, long length) {
        memory.copyFromSegment(scratch, offset, va + offset, length);
    }

    /** Copies {@code length} guest-page bytes at {@code offset} back into the scratch. */
    public void copyOut(GuestMemory memory, long offset, long length) {
        memory.copyToSegment(va + offset, scratch, offset, length);
    }
}
