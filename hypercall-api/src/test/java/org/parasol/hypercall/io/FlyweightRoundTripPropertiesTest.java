package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Every flyweight setter followed by its getter gives back the value as the wire holds it
 * (u8/u16/u32 widened, s16 sign-extended, u64 as is), at any base offset, and no write reaches
 * outside the structure.
 */
class FlyweightRoundTripPropertiesTest {

    private static final byte GUARD = (byte) 0xA5;
    private static final int TAIL = 9;

    private static int u8(int v) {
        return v & 0xFF;
    }

    private static int u16(int v) {
        return v & 0xFFFF;
    }

    private static int s16(int v) {
        return (short) v;
    }

    private static long u32(long v) {
        return v & 0xFFFF_FFFFL;
    }

    /** A guard-filled array with room for a structure of {@code size} bytes at {@code base}. */
    private static byte[] canvas(int base, long size) {
        byte[] bytes = new byte[base + (int) size + TAIL];
        Arrays.fill(bytes, GUARD);
        return bytes;
    }

    private static void assertGuardsIntact(byte[] bytes, int base, long size) {
        int end = base + (int) size;
        assertThat(Arrays.copyOfRange(bytes, 0, base)).as("bytes before the structure").isEqualTo(guards(base));
        assertThat(Arrays.copyOfRange(bytes, end, bytes.length)).as("bytes after the structure")
                .isEqualTo(guards(bytes.length - end));
    }

    private static byte[] guards(int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, GUARD);
        return bytes;
    }

    @Property(tries = 200)
    void sharedRingHeaderRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll long a, @ForAll long b,
            @ForAll long c, @ForAll long d, @ForAll @IntRange(max = 3) int i, @ForAll int p) {
        byte[] bytes = canvas(base, SharedRingHeader.SIZE);
        SharedRingHeader f = new SharedRingHeader().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().reqProd(a).reqEvent(b).rspProd(c).rspEvent(d).pvt(i, p);

        assertThat(f.reqProd()).isEqualTo(u32(a));
        assertThat(f.reqEvent()).isEqualTo(u32(b));
        assertThat(f.rspProd()).isEqualTo(u32(c));
        assertThat(f.rspEvent()).isEqualTo(u32(d));
        assertThat(f.pvt(i)).isEqualTo(u8(p));
        assertGuardsIntact(bytes, base, SharedRingHeader.SIZE);
    }

    @Property(tries = 200)
    void blkifRequestRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll int op, @ForAll int nr,
            @ForAll int handle, @ForAll long id, @ForAll long sector, @ForAll @IntRange(max = 10) int s,
            @ForAll long gref, @ForAll int first, @ForAll int last) {
        byte[] bytes = canvas(base, BlkifRequest.SIZE);
        BlkifRequest f = new BlkifRequest().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().operation(op).nrSegments(nr).handle(handle).id(id).sectorNumber(sector);
        f.seg(s).gref(gref).firstSect(first).lastSect(last);

        assertThat(f.operation()).isEqualTo(u8(op));
        assertThat(f.nrSegments()).isEqualTo(u8(nr));
        assertThat(f.handle()).isEqualTo(u16(handle));
        assertThat(f.id()).isEqualTo(id);
        assertThat(f.sectorNumber()).isEqualTo(sector);
        BlkifRequestSegment seg = f.seg(s);
        assertThat(seg.base()).isEqualTo(base + 24 + 8L * s);
        assertThat(seg.gref()).isEqualTo(u32(gref));
        assertThat(seg.firstSect()).isEqualTo(u8(first));
        assertThat(seg.lastSect()).isEqualTo(u8(last));
        assertGuardsIntact(bytes, base, BlkifRequest.SIZE);
    }

    @Property(tries = 200)
    void blkifRequestDiscardRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll int op, @ForAll int flag,
            @ForAll int handle, @ForAll long id, @ForAll long sector, @ForAll long nr) {
        byte[] bytes = canvas(base, BlkifRequestDiscard.SIZE);
        BlkifRequestDiscard f = new BlkifRequestDiscard().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().operation(op).flag(flag).handle(handle).id(id).sectorNumber(sector).nrSectors(nr);

        assertThat(f.operation()).isEqualTo(u8(op));
        assertThat(f.flag()).isEqualTo(u8(flag));
        assertThat(f.handle()).isEqualTo(u16(handle));
        assertThat(f.id()).isEqualTo(id);
        assertThat(f.sectorNumber()).isEqualTo(sector);
        assertThat(f.nrSectors()).isEqualTo(nr);
        assertGuardsIntact(bytes, base, BlkifRequestDiscard.SIZE);
    }

    @Property(tries = 200)
    void blkifRequestIndirectRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll int op, @ForAll int iop,
            @ForAll int nr, @ForAll long id, @ForAll long sector, @ForAll int handle,
            @ForAll @IntRange(max = 7) int g, @ForAll long gref) {
        byte[] bytes = canvas(base, BlkifRequestIndirect.SIZE);
        BlkifRequestIndirect f = new BlkifRequestIndirect().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().operation(op).indirectOp(iop).nrSegments(nr).id(id).sectorNumber(sector).handle(handle)
                .indirectGref(g, gref);

        assertThat(f.operation()).isEqualTo(u8(op));
        assertThat(f.indirectOp()).isEqualTo(u8(iop));
        assertThat(f.nrSegments()).isEqualTo(u16(nr));
        assertThat(f.id()).isEqualTo(id);
        assertThat(f.sectorNumber()).isEqualTo(sector);
        assertThat(f.handle()).isEqualTo(u16(handle));
        assertThat(f.indirectGref(g)).isEqualTo(u32(gref));
        assertGuardsIntact(bytes, base, BlkifRequestIndirect.SIZE);
    }

    @Property(tries = 200)
    void blkifResponseRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll long id, @ForAll int op,
            @ForAll int status) {
        byte[] bytes = canvas(base, BlkifResponse.SIZE);
        BlkifResponse f = new BlkifResponse().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().id(id).operation(op).status(status);

        assertThat(f.toValue()).isEqualTo(new BlkifResponseValue(id, u8(op), s16(status)));
        assertGuardsIntact(bytes, base, BlkifResponse.SIZE);
    }

    @Property(tries = 200)
    void netifTxRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll long gref, @ForAll int offset,
            @ForAll int flags, @ForAll int id, @ForAll int size, @ForAll int status) {
        byte[] bytes = canvas(base, NetifTxRequest.SIZE);
        MemorySegment slot = MemorySegment.ofArray(bytes);
        NetifTxRequest req = new NetifTxRequest().wrap(new SegmentBuffer(slot), base);

        req.clear().gref(gref).offset(offset).flags(flags).id(id).size(size);

        assertThat(req.gref()).isEqualTo(u32(gref));
        assertThat(req.offset()).isEqualTo(u16(offset));
        assertThat(req.flags()).isEqualTo(u16(flags));
        assertThat(req.id()).isEqualTo(u16(id));
        assertThat(req.size()).isEqualTo(u16(size));

        NetifTxResponse rsp = new NetifTxResponse().wrap(new SegmentBuffer(slot), base);
        rsp.clear().id(id).status(status);

        assertThat(rsp.id()).isEqualTo(u16(id));
        assertThat(rsp.status()).isEqualTo(s16(status));
        assertGuardsIntact(bytes, base, NetifTxRequest.SIZE);
    }

    @Property(tries = 200)
    void netifRxRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll int id, @ForAll long gref,
            @ForAll int offset, @ForAll int flags, @ForAll int status) {
        byte[] bytes = canvas(base, NetifRxRequest.SIZE);
        MemorySegment slot = MemorySegment.ofArray(bytes);
        NetifRxRequest req = new NetifRxRequest().wrap(new SegmentBuffer(slot), base);

        req.clear().id(id).gref(gref);

        assertThat(req.id()).isEqualTo(u16(id));
        assertThat(req.gref()).isEqualTo(u32(gref));

        NetifRxResponse rsp = new NetifRxResponse().wrap(new SegmentBuffer(slot), base);
        rsp.clear().id(id).offset(offset).flags(flags).status(status);

        assertThat(rsp.id()).isEqualTo(u16(id));
        assertThat(rsp.offset()).isEqualTo(u16(offset));
        assertThat(rsp.flags()).isEqualTo(u16(flags));
        assertThat(rsp.status()).isEqualTo(s16(status));
        assertGuardsIntact(bytes, base, NetifRxRequest.SIZE);
    }

    @Property(tries = 200)
    void netifExtraInfoRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll int type, @ForAll int flags,
            @ForAll int size, @ForAll int gsoType, @ForAll int features, @ForAll @IntRange(max = 5) int m,
            @ForAll int addr, @ForAll int hashAlg, @ForAll @IntRange(max = 3) int h, @ForAll int hashByte) {
        byte[] bytes = canvas(base, NetifExtraInfo.SIZE);
        NetifExtraInfo f = new NetifExtraInfo().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().type(type).flags(flags).gsoSize(size).gsoType(gsoType).gsoFeatures(features);

        assertThat(f.type()).isEqualTo(u8(type));
        assertThat(f.flags()).isEqualTo(u8(flags));
        assertThat(f.gsoSize()).isEqualTo(u16(size));
        assertThat(f.gsoType()).isEqualTo(u8(gsoType));
        assertThat(f.gsoFeatures()).isEqualTo(u16(features));

        f.mcastAddr(m, addr);
        assertThat(f.mcastAddr(m)).isEqualTo(u8(addr));

        f.hashType(type).hashAlgorithm(hashAlg).hashValue(h, hashByte);
        assertThat(f.hashType()).isEqualTo(u8(type));
        assertThat(f.hashAlgorithm()).isEqualTo(u8(hashAlg));
        assertThat(f.hashValue(h)).isEqualTo(u8(hashByte));
        assertThat(f.type()).isEqualTo(u8(type));
        assertThat(f.flags()).isEqualTo(u8(flags));
        assertGuardsIntact(bytes, base, NetifExtraInfo.SIZE);
    }

    @Property(tries = 200)
    void netifCtrlRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll int id, @ForAll int type,
            @ForAll @IntRange(max = 2) int d, @ForAll long data, @ForAll long status) {
        byte[] bytes = canvas(base, NetifCtrlRequest.SIZE);
        MemorySegment slot = MemorySegment.ofArray(bytes);
        NetifCtrlRequest req = new NetifCtrlRequest().wrap(new SegmentBuffer(slot), base);

        req.clear().id(id).type(type).data(d, data);

        assertThat(req.id()).isEqualTo(u16(id));
        assertThat(req.type()).isEqualTo(u16(type));
        assertThat(req.data(d)).isEqualTo(u32(data));

        NetifCtrlResponse rsp = new NetifCtrlResponse().wrap(new SegmentBuffer(slot), base);
        rsp.clear().id(id).type(type).status(status).data(data);

        assertThat(rsp.id()).isEqualTo(u16(id));
        assertThat(rsp.type()).isEqualTo(u16(type));
        assertThat(rsp.status()).isEqualTo(u32(status));
        assertThat(rsp.data()).isEqualTo(u32(data));
        assertGuardsIntact(bytes, base, NetifCtrlRequest.SIZE);
    }

    @Property(tries = 200)
    void xsdSockmsgRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll long type, @ForAll long reqId,
            @ForAll long txId, @ForAll long len) {
        byte[] bytes = canvas(base, XsdSockmsg.SIZE);
        XsdSockmsg f = new XsdSockmsg().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().type(type).reqId(reqId).txId(txId).len(len);

        XsdSockmsgValue expected = new XsdSockmsgValue(u32(type), u32(reqId), u32(txId), u32(len));
        assertThat(f.toValue()).isEqualTo(expected);
        assertThat(new XsdSockmsg().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[16])), 0).set(expected).toValue())
                .isEqualTo(expected);
        assertGuardsIntact(bytes, base, XsdSockmsg.SIZE);
    }

    @Property(tries = 100)
    void xenstoreDomainInterfaceRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll long reqCons,
            @ForAll long reqProd, @ForAll long rspCons, @ForAll long rspProd, @ForAll long features,
            @ForAll long connection, @ForAll long error, @ForAll long port,
            @ForAll @IntRange(max = 1023) int i, @ForAll int reqByte, @ForAll int rspByte) {
        byte[] bytes = canvas(base, XenstoreDomainInterface.SIZE);
        XenstoreDomainInterface f = new XenstoreDomainInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().reqCons(reqCons).reqProd(reqProd).rspCons(rspCons).rspProd(rspProd).serverFeatures(features)
                .connection(connection).error(error).evtchnPort(port).req(i, reqByte).rsp(i, rspByte);

        assertThat(f.reqCons()).isEqualTo(u32(reqCons));
        assertThat(f.reqProd()).isEqualTo(u32(reqProd));
        assertThat(f.rspCons()).isEqualTo(u32(rspCons));
        assertThat(f.rspProd()).isEqualTo(u32(rspProd));
        assertThat(f.serverFeatures()).isEqualTo(u32(features));
        assertThat(f.connection()).isEqualTo(u32(connection));
        assertThat(f.error()).isEqualTo(u32(error));
        assertThat(f.evtchnPort()).isEqualTo(u32(port));
        assertThat(f.req(i)).isEqualTo(u8(reqByte));
        assertThat(f.rsp(i)).isEqualTo(u8(rspByte));
        assertGuardsIntact(bytes, base, XenstoreDomainInterface.SIZE);
    }

    @Property(tries = 100)
    void xenconsInterfaceRoundTrips(@ForAll @IntRange(max = 64) int base, @ForAll long inCons,
            @ForAll long inProd, @ForAll long outCons, @ForAll long outProd, @ForAll int connection,
            @ForAll @IntRange(max = 1023) int i, @ForAll @IntRange(max = 2047) int o, @ForAll int inByte,
            @ForAll int outByte) {
        byte[] bytes = canvas(base, XenconsInterface.SIZE);
        XenconsInterface f = new XenconsInterface().wrap(new SegmentBuffer(MemorySegment.ofArray(bytes)), base);

        f.clear().inCons(inCons).inProd(inProd).outCons(outCons).outProd(outProd).connection(connection)
                .in(i, inByte).out(o, outByte);

        assertThat(f.inCons()).isEqualTo(u32(inCons));
        assertThat(f.inProd()).isEqualTo(u32(inProd));
        assertThat(f.outCons()).isEqualTo(u32(outCons));
        assertThat(f.outProd()).isEqualTo(u32(outProd));
        assertThat(f.connection()).isEqualTo(u8(connection));
        assertThat(f.in(i)).isEqualTo(u8(inByte));
        assertThat(f.out(o)).isEqualTo(u8(outByte));
        assertGuardsIntact(bytes, base, XenconsInterface.SIZE);
    }
}
