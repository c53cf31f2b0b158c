package org.parasol.drivers.blk;

import org.parasol.hypercall.abi.Blkif;

/**
 * A blkif request, private to one end: the union of {@code blkif_request} (read, write,
 * barrier, flush), {@code blkif_request_discard} and {@code blkif_request_indirect}, decoded
 * by {@link BlkifCodec} from a private copy of the slot. Mutable and reused, so consuming a
 * ring allocates nothing. Nothing in it is checked: the back end validates.
 *
 * <p>Direct requests carry up to {@value Blkif#MAX_SEGMENTS_PER_REQUEST} segments in
 * {@link #gref}, {@link #firstSect}, {@link #lastSect}; indirect ones carry up to
 * {@value Blkif#MAX_INDIRECT_PAGES_PER_REQUEST} {@link #indirectGrefs} whose pages hold the
 * segments, and {@link #indirectOp} is the real operation.
 */
public final class BlkRequest {
    public int operation;
    /** Segments: u8 in a direct request, u16 in an indirect one. */
    public int nrSegments;
    public int handle;
    public long id;
    public long sectorNumber;
    public final int[] gref = new int[Blkif.MAX_SEGMENTS_PER_REQUEST];
    public final int[] firstSect = new int[Blkif.MAX_SEGMENTS_PER_REQUEST];
    public final int[] lastSect = new int[Blkif.MAX_SEGMENTS_PER_REQUEST];
    /** {@code BLKIF_OP_DISCARD}: the discard flag. */
    public int discardFlag;
    /** {@code BLKIF_OP_DISCARD}: sectors to discard. */
    public long nrSectors;
    /** {@code BLKIF_OP_INDIRECT}: the operation the segments are for (read or write). */
    public int indirectOp;
    /** {@code BLKIF_OP_INDIRECT}: the pages holding the segments. */
    public final int[] indirectGrefs = new int[Blkif.MAX_INDIRECT_PAGES_PER_REQUEST];

    /** A direct read or write of one segment's sectors ({@code first..last} of a page). */
    public BlkRequest direct(int op, long requestId, long sector) {
        operation = op;
        nrSegments = 0;
        handle = 0;
        id = requestId;
        sectorNumber = sector;
        return this;
    }

    /** Appends a segment to a direct request. */
    public BlkRequest segment(int ref, int first, int last) {
        gref[nrSegments] = ref;
        firstSect[nrSegments] = first;
        lastSect[nrSegments] = last;
        nrSegments++;
        return this;
    }

    @Override
    public String toString() {
        return "blkif_request{op " + operation + ", segs " + nrSegments + ", id " + id + ", sector " + sectorNumber
                + "}";
    }
}
