package org.parasol.drivers.blk;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.io.BlkifRequest;

/** The blkif codecs: what one end encodes the other decodes; any bytes decode without an exception. */
class BlkifCodecProperties {
    private final BlkifCodec.Requests requests = new BlkifCodec.Requests();
    private final BlkifCodec.Responses responses = new BlkifCodec.Responses();

    private static SegmentBuffer slot() {
        return new SegmentBuffer(Arena.ofAuto().allocate(Blkif.RING_ENTRY_SIZE, 8));
    }

    @Property
    void directRequestsRoundTrip(@ForAll @IntRange(min = 0, max = 3) int op, @ForAll long id, @ForAll long sector,
            @ForAll @IntRange(min = 0, max = 11) int segs, @ForAll int gref, @ForAll @IntRange(max = 255) int first,
            @ForAll @IntRange(max = 255) int last, @ForAll @IntRange(max = 0xFFFF) int handle) {
        BlkRequest r = new BlkRequest().direct(op, id, sector);
        r.handle = handle;
        for (int i = 0; i < segs; i++) {
            r.segment(gref + i, first, last);
        }
        SegmentBuffer b = slot();
        requests.encode(r, b);
        assertThat(b.getByte(BlkifRequest.OPERATION_OFFSET)).isEqualTo((byte) op);
        BlkRequest d = new BlkRequest();
        requests.decode(b, d);
        assertThat(d.operation).isEqualTo(op);
        assertThat(d.nrSegments).isEqualTo(segs);
        assertThat(d.id).isEqualTo(id);
        assertThat(d.sectorNumber).isEqualTo(sector);
        assertThat(d.handle).isEqualTo(handle);
        for (int i = 0; i < segs; i++) {
            assertThat(d.gref[i]).isEqualTo(gref + i);
            assertThat(d.firstSect[i]).isEqualTo(first);
            assertThat(d.lastSect[i]).isEqualTo(last);
        }
    }

    @Property
    void indirectAndDiscardRequestsRoundTrip(@ForAll long id, @ForAll long sector, @ForAll long count,
            @ForAll @IntRange(min = 1, max = 4096) int segs, @ForAll int gref, @ForAll @IntRange(max = 255) int flag) {
        BlkRequest r = new BlkRequest().direct(Blkif.OP_INDIRECT, id, sector);
        r.indirectOp = Blkif.OP_WRITE;
        r.nrSegments = segs;
        int pages = (segs + 511) / 512;
        for (int p = 0; p < pages; p++) {
            r.indirectGrefs[p] = gref ^ p;
        }
        SegmentBuffer b = slot();
        requests.encode(r, b);
        BlkRequest d = new BlkRequest();
        requests.decode(b, d);
        assertThat(d.operation).isEqualTo(Blkif.OP_INDIRECT);
        assertThat(d.indirectOp).isEqualTo(Blkif.OP_WRITE);
        assertThat(d.nrSegments).isEqualTo(segs);
        assertThat(d.id).isEqualTo(id);
        assertThat(d.sectorNumber).isEqualTo(sector);
        for (int p = 0; p < pages; p++) {
            assertThat(d.indirectGrefs[p]).isEqualTo(gref ^ p);
        }
        BlkRequest discard = new BlkRequest().direct(Blkif.OP_DISCARD, id, sector);
        discard.nrSectors = count;
        discard.discardFlag = flag;
        SegmentBuffer b2 = slot();
        requests.encode(discard, b2);
        requests.decode(b2, d);
        assertThat(d.operation).isEqualTo(Blkif.OP_DISCARD);
        assertThat(d.nrSectors).isEqualTo(count);
        assertThat(d.discardFlag).isEqualTo(flag);
        assertThat(d.id).isEqualTo(id);
    }

    @Property
    void responsesRoundTrip(@ForAll long id, @ForAll @IntRange(max = 255) int op, @ForAll short status) {
        SegmentBuffer b = slot();
        responses.encode(new BlkResponse().set(id, op, status), b);
        BlkResponse d = new BlkResponse();
        responses.decode(b, d);
        assertThat(d.id).isEqualTo(id);
        assertThat(d.operation).isEqualTo(op);
        assertThat(d.status).isEqualTo(status);
    }

    @Property
    void anyBytesDecode(@ForAll @Size(112) byte[] bytes) {
        SegmentBuffer b = new SegmentBuffer(MemorySegment.ofArray(bytes.clone()));
        BlkRequest d = new BlkRequest();
        requests.decode(b, d);
        assertThat(d.operation).isBetween(0, 255);
        assertThat(d.nrSegments).isBetween(0, 0xFFFF);
    }
}
