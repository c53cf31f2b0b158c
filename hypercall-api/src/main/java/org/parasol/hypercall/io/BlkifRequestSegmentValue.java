package org.parasol.hypercall.io;

/**
 * An immutable {@code blkif_request_segment} for logs and tests (see {@link BlkifRequestSegment}).
 * Fields hold the widened wire values, so any descriptor a front end can write is representable,
 * including invalid sector ranges.
 *
 * @param gref grant reference of the data frame (u32)
 * @param firstSect first 512-byte sector in the frame (u8)
 * @param lastSect last 512-byte sector in the frame, inclusive (u8)
 */
public record BlkifRequestSegmentValue(long gref, int firstSect, int lastSect) {

    public BlkifRequestSegmentValue {
        Values.checkU32("gref", gref);
        Values.checkU8("firstSect", firstSect);
        Values.checkU8("lastSect", lastSect);
    }
}
