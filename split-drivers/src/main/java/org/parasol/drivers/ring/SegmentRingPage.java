package org.parasol.drivers.ring;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import org.parasol.hypercall.SegmentBuffer;

/**
 * A {@link RingPage} over a plain {@link MemorySegment}: the shared ring of a test or a benchmark,
 * where both ends run in one process and share the segment directly.
 *
 * <p>Guests never hold a segment that aliases machine memory, so drivers inside a domain use
 * {@link GuestMemoryRingPage}; this class is for memory the caller owns outright (a heap array or
 * a native allocation). Offsets are offsets into the segment; ordered accesses go through an
 * aligned little-endian var handle, so the segment itself must be at least 4-byte aligned.
 */
public final class SegmentRingPage implements RingPage {

    private final MemorySegment segment;
    private final SegmentBuffer buffer;

    /**
     * Wraps {@code segment}; the ring uses all of it.
     *
     * @throws IllegalArgumentException if the segment's address is not 4-byte aligned
     */
    public SegmentRingPage(MemorySegment segment) {
        this.segment = Objects.requireNonNull(segment, "segment");
        this.buffer = new SegmentBuffer(segment);
        if (segment.maxByteAlignment() < Integer.BYTES) {
            throw new IllegalArgumentException("a ring page must be 4-byte aligned: " + segment);
        }
    }

    /** The segment this page reads and writes. */
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long byteSize() {
        return segment.byteSize();
    }

    @Override
    public int getIntAcquire(long offset) {
        return buffer.getIntAcquire(offset);
    }

    @Override
    public void putIntRelease(long offset, int value) {
        buffer.putIntRelease(offset, value);
    }

    @Override
    public void copyIn(MemorySegment src, long srcOffset, long offset, long length) {
        MemorySegment.copy(src, srcOffset, segment, offset, length);
    }

    @Override
    public void copyOut(long offset, MemorySegment dst, long dstOffset, long length) {
        MemorySegment.copy(segment, offset, dst, dstOffset, length);
    }

    @Override
    public void fill(long offset, long length, byte value) {
        segment.asSlice(offset, length).fill(value);
    }

    @Override
    public void fullFence() {
        VarHandle.fullFence();
    }
}
