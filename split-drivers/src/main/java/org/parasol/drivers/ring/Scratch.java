package org.parasol.drivers.ring;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.RingGeometry;

/** The private memory a ring view encodes into and copies slots out to. */
final class Scratch {
    private Scratch() {
    }

    /** A private, 8-byte-aligned heap image of every slot of the ring, slot {@code s} at {@code s * entrySize}. */
    static SegmentBuffer ofSlots(RingGeometry geometry) {
        return SegmentBuffer.allocate(Math.multiplyExact((long) geometry.size(), geometry.entrySize()));
    }

    /**
     * Per slot, a view of {@code codec.byteSize()} bytes at the start of that slot's image in
     * {@code slots}: made once, so the hot path hands the codec a ready buffer.
     *
     * @throws IllegalArgumentException if the entry is empty or larger than a slot
     */
    static SegmentBuffer[] slotViews(SegmentBuffer slots, EntryCodec<?> codec, RingGeometry geometry) {
        long bytes = codec.byteSize();
        if (bytes <= 0 || bytes > geometry.entrySize()) {
            throw new IllegalArgumentException(
                    "a " + bytes + "-byte entry does not fit a " + geometry.entrySize() + "-byte slot");
        }
        SegmentBuffer[] views = new SegmentBuffer[geometry.size()];
        for (int s = 0; s < views.length; s++) {
            views[s] = new SegmentBuffer(slots.segment().asSlice(s * geometry.entrySize(), bytes));
        }
        return views;
    }
}
