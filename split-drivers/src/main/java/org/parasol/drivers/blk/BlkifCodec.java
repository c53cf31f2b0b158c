package org.parasol.drivers.blk;

import org.parasol.drivers.ring.EntryCodec;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.io.BlkifRequest;
import org.parasol.hypercall.io.BlkifRequestDiscard;
import org.parasol.hypercall.io.BlkifRequestIndirect;
import org.parasol.hypercall.io.BlkifRequestSegment;
import org.parasol.hypercall.io.BlkifResponse;

/**
 * The blkif ring's entries as {@code io/blkif.h} lays them out (x86-64): requests through the
 * {@code io/} flyweights {@link BlkifRequest}, {@link BlkifRequestDiscard} and
 * {@link BlkifRequestIndirect}, whichever the operation says the slot holds; responses through
 * {@link BlkifResponse}. The slot is 112 bytes, the size of the union (ring.h sizes slots by
 * the larger of request and response).
 *
 * <p>Decoding accepts any bytes and checks nothing (the back end validates the private copy);
 * it fills only the segments (indirect pages) that {@code nr_segments} counts, at most the
 * layout's, and leaves the holder's others as they were. Neither direction allocates.
 */
public final class BlkifCodec {
    private BlkifCodec() {
    }

    /** The request side of a ring: any of the three request layouts, by operation. */
    public static final class Requests implements EntryCodec<BlkRequest> {
        private final BlkifRequest direct = new BlkifRequest();
        private final BlkifRequestDiscard discard = new BlkifRequestDiscard();
        private final BlkifRequestIndirect indirect = new BlkifRequestIndirect();
        private final BlkifRequestSegment seg = new BlkifRequestSegment();

        @Override
        public long byteSize() {
            return Blkif.RING_ENTRY_SIZE;
        }

        @Override
        public void encode(BlkRequest r, SharedBuffer dst) {
            switch (r.operation) {
                case Blkif.OP_DISCARD -> discard.wrap(dst, 0).operation(r.operation).flag(r.discardFlag)
                        .handle(r.handle).id(r.id).sectorNumber(r.sectorNumber).nrSectors(r.nrSectors);
                case Blkif.OP_INDIRECT -> {
                    indirect.wrap(dst, 0).operation(r.operation).indirectOp(r.indirectOp).nrSegments(r.nrSegments)
                            .id(r.id).sectorNumber(r.sectorNumber).handle(r.handle);
                    int pages = Math.min(Blkif.MAX_INDIRECT_PAGES_PER_REQUEST,
                            (r.nrSegments + Blkif.SEGS_PER_INDIRECT_FRAME - 1) / Blkif.SEGS_PER_INDIRECT_FRAME);
                    for (int i = 0; i < pages; i++) {
                        indirect.indirectGref(i, r.indirectGrefs[i] & 0xFFFF_FFFFL);
                    }
                }
                default -> {
                    direct.wrap(dst, 0).operation(r.operation).nrSegments(r.nrSegments).handle(r.handle).id(r.id)
                            .sectorNumber(r.sectorNumber);
                    int n = Math.min(r.nrSegments, Blkif.MAX_SEGMENTS_PER_REQUEST);
                    for (int i = 0; i < n; i++) {
                        seg.wrap(dst, BlkifRequest.SEG_OFFSET + (long) i * BlkifRequestSegment.SIZE)
                                .gref(r.gref[i] & 0xFFFF_FFFFL).firstSect(r.firstSect[i]).lastSect(r.lastSect[i]);
                    }
                }
            }
        }

        @Override
        public void decode(SharedBuffer src, BlkRequest into) {
            int op = direct.wrap(src, 0).operation();
            into.operation = op;
            switch (op) {
                case Blkif.OP_DISCARD -> {
                    discard.wrap(src, 0);
                    into.discardFlag = discard.flag();
                    into.handle = discard.handle();
                    into.id = discard.id();
                    into.sectorNumber = discard.sectorNumber();
                    into.nrSectors = discard.nrSectors();
                    into.nrSegments = 0;
                }
                case Blkif.OP_INDIRECT -> {
                    indirect.wrap(src, 0);
                    into.indirectOp = indirect.indirectOp();
                    into.nrSegments = indirect.nrSegments();
                    into.id = indirect.id();
                    into.sectorNumber = indirect.sectorNumber();
                    into.handle = indirect.handle();
                    // Only the pages nr_segments needs (the back end reads no others).
                    int pages = Math.min(Blkif.MAX_INDIRECT_PAGES_PER_REQUEST,
                            (into.nrSegments + Blkif.SEGS_PER_INDIRECT_FRAME - 1) / Blkif.SEGS_PER_INDIRECT_FRAME);
                    for (int i = 0; i < pages; i++) {
                        into.indirectGrefs[i] = (int) indirect.indirectGref(i);
                    }
                }
                default -> {
                    into.nrSegments = direct.nrSegments();
                    into.handle = direct.handle();
                    into.id = direct.id();
                    into.sectorNumber = direct.sectorNumber();
                    // Only the segments nr_segments counts (the back end reads no others).
                    int n = Math.min(into.nrSegments, Blkif.MAX_SEGMENTS_PER_REQUEST);
                    for (int i = 0; i < n; i++) {
                        seg.wrap(src, BlkifRequest.SEG_OFFSET + (long) i * BlkifRequestSegment.SIZE);
                        into.gref[i] = (int) seg.gref();
                        into.firstSect[i] = seg.firstSect();
                        into.lastSect[i] = seg.lastSect();
                    }
                }
            }
        }
    }

    /** The response side of a ring. */
    public static final class Responses implements EntryCodec<BlkResponse> {
        private final BlkifResponse rsp = new BlkifResponse();

        @Override
        public long byteSize() {
            return BlkifResponse.SIZE;
        }

        @Override
        public void encode(BlkResponse r, SharedBuffer dst) {
            rsp.wrap(dst, 0).id(r.id).operation(r.operation).status(r.status);
        }

        @Override
        public void decode(SharedBuffer src, BlkResponse into) {
            rsp.wrap(src, 0);
            into.id = rsp.id();
            into.operation = rsp.operation();
            into.status = rsp.status();
        }
    }
}
