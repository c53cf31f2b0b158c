package org.parasol.hypercall.io;

import java.util.List;

/**
 * An immutable {@code blkif_request} for logs and tests (see {@link BlkifRequest}).
 * {@code nrSegments} is the wire value and may disagree with {@code segments.size()} when a
 * front end lies; the list holds at most 11 descriptors.
 *
 * @param operation {@code BLKIF_OP_*} (u8)
 * @param nrSegments {@code nr_segments} as written (u8)
 * @param handle {@code blkif_vdev_t} (u16)
 * @param id opaque request id (u64)
 * @param sectorNumber first 512-byte sector (u64)
 * @param segments the segment descriptors, at most 11
 */
public record BlkifRequestValue(int operation, int nrSegments, int handle, long id, long sectorNumber,
        List<BlkifRequestSegmentValue> segments) {

    public BlkifRequestValue {
        Values.checkU8("operation", operation);
        Values.checkU8("nrSegments", nrSegments);
        Values.checkU16("handle", handle);
        segments = List.copyOf(segments);
        if (segments.size() > BlkifRequest.SEG_LENGTH) {
            throw new IllegalArgumentException("a blkif_request holds at most "
                    + BlkifRequest.SEG_LENGTH + " segments: " + segments.size());
        }
    }
}
