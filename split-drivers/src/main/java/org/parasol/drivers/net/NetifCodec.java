package org.parasol.drivers.net;

import org.parasol.drivers.ring.EntryCodec;
import org.parasol.hypercall.SharedBuffer;
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

    /** {@code netif_tx_request}. */
    public static final class Tx {
        public int gref;
        public int offset;
        public int flags;
        public int id;
        public int size;

        public Tx set(int ref, int off, int fl, int requestId, int bytes) {
            gref = ref;
            offset = off;
            flags = fl;
            id = requestId;
            size = bytes;
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

    /** {@code netif_rx_response}: {@code status} is the length, or a negative {@code NETIF_RSP_*}. */
    public static final class RxRsp {
        public int id;
        public int offset;
        public int flags;
        public int status;

        public RxRsp set(int requestId, int off, int fl, int st) {
            id = requestId;
            offset = off;
            flags = fl;
            status = st;
            return this;
        }
    }

    public static final class TxCodec implements EntryCodec<Tx> {
        private final NetifTxRequest f = new NetifTxRequest();

        @Override
        public long byteSize() {
            return NetifTxRequest.SIZE;
        }

        @Override
        public void encode(Tx e, SharedBuffer dst) {
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

        @Override
        public long byteSize() {
            return NetifRxResponse.SIZE;
        }

        @Override
        public void encode(RxRsp e, SharedBuffer dst) {
            f.wrap(dst, 0).id(e.id).offset(e.offset).flags(e.flags).status(e.status);
        }

        @Override
        public void decode(SharedBuffer src, RxRsp into) {
            f.wrap(src, 0);
            into.id = f.id();
            into.offset = f.offset();
            into.flags = f.flags();
            into.status = f.status();
        }
    }
}
