package org.parasol.toolstack.xenstore;

import static org.parasol.hypercall.io.XenstoreDomainInterface.RING_SIZE;
import static org.parasol.hypercall.io.XenstoreDomainInterface.slot;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.io.XenstoreDomainInterface;

/**
 * A guest's end of a store page, byte by byte and with no client library: what a test (or an
 * attacker) writes into {@code req} and reads out of {@code rsp}, with the indices in its hands.
 */
final class RawGuest {
    final SegmentBuffer page = SegmentBuffer.allocate(4096);
    final XenstoreDomainInterface intf = new XenstoreDomainInterface().wrap(page, 0);
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    int reqProd;
    int rspCons;
    /** Times xenstored kicked this guest. */
    int kicks;

    /** A page whose four indices all start at {@code start}. */
    RawGuest(int start) {
        intf.reqCons(Integer.toUnsignedLong(start)).reqProd(Integer.toUnsignedLong(start))
                .rspCons(Integer.toUnsignedLong(start)).rspProd(Integer.toUnsignedLong(start));
        reqProd = start;
        rspCons = start;
    }

    /** Writes what fits of {@code n} bytes of {@code data} at {@code off}, publishes req_prod; returns bytes written. */
    int write(byte[] data, int off, int n) {
        int used = reqProd - intf.reqConsAcquire();
        int k = Math.min(n, RING_SIZE - used);
        for (int i = 0; i < k; i++) {
            intf.req(slot(reqProd + i), data[off + i]);
        }
        reqProd += k;
        intf.reqProdRelease(reqProd);
        return k;
    }

    /** Writes all of {@code data}, which must fit. */
    void writeAll(byte[] data) {
        if (write(data, 0, data.length) != data.length) {
            throw new IllegalStateException("the request ring is full");
        }
    }

    /** Writes all of {@code data} if it fits, else nothing; whether it did. */
    boolean offer(byte[] data) {
        if (RING_SIZE - (reqProd - intf.reqConsAcquire()) < data.length) {
            return false;
        }
        writeAll(data);
        return true;
    }

    /** Reads up to {@code max} reply bytes, publishes rsp_cons; returns bytes read. */
    int read(int max) {
        int avail = intf.rspProdAcquire() - rspCons;
        int k = Math.min(avail, max);
        for (int i = 0; i < k; i++) {
            received.write(intf.rsp(slot(rspCons + i)));
        }
        rspCons += k;
        intf.rspConsRelease(rspCons);
        return k;
    }

    /** Consumes up to {@code max} reply bytes without keeping them (allocates nothing); returns how many. */
    int skip(int max) {
        int k = Math.min(intf.rspProdAcquire() - rspCons, max);
        rspCons += k;
        intf.rspConsRelease(rspCons);
        return k;
    }

    /** Reads everything in the ring. */
    void readAll() {
        read(RING_SIZE);
    }

    /** Bytes xenstored wrote and this guest has not read. */
    int unread() {
        return intf.rspProdAcquire() - rspCons;
    }

    /** The messages read so far. */
    List<XsMessage> messages() {
        List<XsMessage> out = new ArrayList<>();
        byte[] bytes = received.toByteArray();
        XsFramer framer = new XsFramer();
        if (!framer.feed(bytes, 0, bytes.length, out::add)) {
            throw new AssertionError("xenstored wrote an oversized message");
        }
        return out;
    }
}
