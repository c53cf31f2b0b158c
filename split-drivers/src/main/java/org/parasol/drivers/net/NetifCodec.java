package org.parasol.drivers.net;

import org.parasol.drivers.ring.EntryCodec;
import org.parasol.hypercall.SharedBuffer;
import org.parasol.hypercall.io.NetifExtraInfo;
import org.parasol.hypercall.io.NetifRxRequest;
import org.parasol.hypercall.io.NetifRxResponse;
import org.parasol.hypercall.io.NetifTxRequest;
import org.parasol.hypercall.io.NetifTxResponse;

/**
 * The netif rings' entries as {@code io/netif.h} lays them out, through the {@code io/}
 * flyweights: TX requests (12 bytes) and responses (4), RX requests (8) and responses (8).
 * Each entry type is one mutable holder, reused; decoding accepts any bytes and allocates
 * nothing.
 */
public final class NetifCodec {
    private NetifCodec() {
    }

    /**
     * {@code netif_tx_request}; a slot that follows one flagged {@code NETTXF_extra_info} is a
     * {@code netif_extra_info} instead (the same 12 bytes), decoded into the {@code extra*} and
     * {@code gso*} fields at the same time.
     */
    public static final class Tx {
        public int gref;
        public int offset;
        public int flags;
        public int id;
        public int size;
        /** As {@code netif_extra_info}: {@code type}, {@code flags}, {@code u.gso.size}, {@code u.gso.type}. */
        public int extraType;
        public int extraFlags;
        public int gsoSize;
        public int gsoType;
        /** Encode as {@code netif_extra_info} (a front end writing an extra slot), not as a request. */
        public boolean extra;

        public Tx set(int ref, int off, int fl, int requestId, int bytes) {
            gref = ref;
            offset = off;
            flags = fl;
            id = requestId;
            size = bytes;
            extra = false;
            return this;
        }

        /** An extra-info slot: {@code type}, {@code flags} ({@code XEN_NETIF_EXTRA_FLAG_*}), and a GSO's size and type. */
        public Tx extra(int type, int extraFl, int gsoMss, int gsoKind) {
            set(0, 0, 0, 0, 0);
            extra = true;
            extraType = type;
            extraFlags = extraFl;
            gsoSize = gsoMss;
            gsoType = gsoKind;
            return this;
        }
    }

    /** {@code netif_tx_response}. */
    public static final class TxRsp {
        public int id;
        public int status;

        public TxRsp set(int requestId, int st) {
            id = requestId;
            status = st;
            return this;
        }
    }

    /** {@code netif_rx_request}. */
    public static final class Rx {
        public int id;
        public int gref;

        public Rx set(int requestId, int ref) {
            id = requestId;
            gref = ref;
            return this;
        }
    }

    /**
     * {@code netif_rx_response}: {@code status} is the length, or a negative {@code NETIF_RSP_*}.
     * A slot that follows a response flagged {@code NETRXF_extra_info} is a
     * {@code netif_extra_info} instead (the same 8 bytes), decoded into the {@code extra*} and
     * {@code gso*} fields at the same time.
     */
    public static final class RxRsp {
        public int id;
        public int offset;
        public int flags;
        public int status;
        /** As {@code netif_extra_info}: {@code type}, {@code flags}, {@code u.gso.size}, {@code u.gso.type}. */
        public int extraType;
        public int extraFlags;
        public int gsoSize;
        public int gsoType;
        /** Encode as {@code netif_extra_info} (a back end writing an extra slot), not as a response. */
        public boolean extra;

        public RxRsp set(int requestId, int off, int fl, int st) {
            id = requestId;
            offset = off;
            flags = fl;
            status = st;
            extra = false;
            return this;
        }

        /** A GSO extra-info slot ({@code XEN_NETIF_EXTRA_TYPE_GSO}, no further extra): the MSS and type. */
        public RxRsp extraGso(int gsoMss, int gsoKind) {
            set(0, 0, 0, 0);
            extra = true;
            extraType = org.parasol.hypercall.abi.Netif.EXTRA_TYPE_GSO;
            extraFlags = 0;
            gsoSize = gsoMss;
            gsoType = gsoKind;
            return this;
        }
    }

    public static final class TxCodec implements EntryCodec<Tx> {
        private final NetifTxRequest f = new NetifTxRequest();
        private final NetifExtraInfo x = new NetifExtraInfo();

        @Override
        public long byteSize() {
            return NetifTxRequest.SIZE;
        }

        @Override
        public void encode(Tx e, SharedBuffer dst) {
            if (e.extra) {
                f.wrap(dst, 0).gref(0).offset(0).flags(0).id(0).size(0);
                x.wrap(dst, 0).type(e.extraType).flags(e.extraFlags).gsoSize(e.gsoSize).gsoType(e.gsoType).gsoFeatures(0);
                return;
            }
            f.wrap(dst, 0).gref(e.gref & 0xFFFF_FFFFL).offset(e.offset).flags(e.flags).id(e.id).size(e.size);
        }

        @Override
        public void decode(SharedBuffer src, Tx into) {
            f.wrap(src, 0);
            into.gref = (int) f.gref();
            into.offset = f.offset();
            into.flags = f.flags();
            into.id = f.id();
            into.size = f.size();
            x.wrap(src, 0);
            into.extraType = x.type();
            into.extraFlags = x.flags();
            into.gsoSize = x.gsoSize();
            into.gsoType = x.gsoType();
        }
    }

    public static final class TxRspCodec implements EntryCodec<TxRsp> {
        private final NetifTxResponse f = new NetifTxResponse();

        @Override
        public long byteSize() {
            return NetifTxResponse.SIZE;
        }

        @Override
        public void encode(TxRsp e, SharedBuffer dst) {
            f.wrap(dst, 0).id(e.id).status(e.status);
        }

        @Override
        public void decode(SharedBuffer src, TxRsp into) {
            f.wrap(src, 0);
            into.id = f.id();
            into.status = f.status();
        }
    }

    public static final class RxCodec implements EntryCodec<Rx> {
        private final NetifRxRequest f = new NetifRxRequest();

        @Override
        public long byteSize() {
            return NetifRxRequest.SIZE;
        }

        @Override
        public void encode(Rx e, SharedBuffer dst) {
            f.wrap(dst, 0).id(e.id).gref(e.gref & 0xFFFF_FFFFL);
        }

        @Override
        public void decode(SharedBuffer src, Rx into) {
            f.wrap(src, 0);
            into.id = f.id();
            into.gref = (int) f.gref();
        }
    }

    public static final class RxRspCodec implements EntryCodec<RxRsp> {
        private final NetifRxResponse f = new NetifRxResponse();
        private final NetifExtraInfo x = new NetifExtraInfo();

        @Override
        public long byteSize() {
            return NetifRxResponse.SIZE;
        }

        @Override
        public void encode(RxRsp e, SharedBuffer dst) {
            if (e.extra) {
                x.wrap(dst, 0).clear().type(e.extraType).flags(e.extraFlags).gsoSize(e.gsoSize).gsoType(e.gsoType).gsoFeatures(0);
                return;
            }
            f.wrap(dst, 0).id(e.id).offset(e.offset).flags(e.flags).status(e.status);
        }

        @Override
        public void decode(SharedBuffer src, RxRsp into) {
            f.wrap(src, 0);
            into.id = f.id();
            into.offset = f.offset();
            into.flags = f.flags();
            into.status = f.status();
            x.wrap(src, 0);
            into.extraType = x.type();
            into.extraFlags = x.flags();
            into.gsoSize = x.gsoSize();
            into.gsoType = x.gsoType();
        }
    }
}
