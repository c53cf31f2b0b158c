package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.Errno;

class IoConstantsTest {

    @Test
    void shouldNumberXenbusStatesAsXen() {
        // fact sheet §15 XenbusState values
        assertThat(XenbusState.UNKNOWN.wire()).isEqualTo(0);
        assertThat(XenbusState.INITIALISING.wire()).isEqualTo(1);
        assertThat(XenbusState.INIT_WAIT.wire()).isEqualTo(2);
        assertThat(XenbusState.INITIALISED.wire()).isEqualTo(3);
        assertThat(XenbusState.CONNECTED.wire()).isEqualTo(4);
        assertThat(XenbusState.CLOSING.wire()).isEqualTo(5);
        assertThat(XenbusState.CLOSED.wire()).isEqualTo(6);
        assertThat(XenbusState.RECONFIGURING.wire()).isEqualTo(7);
        assertThat(XenbusState.RECONFIGURED.wire()).isEqualTo(8);
        assertThat(XenbusState.values()).hasSize(9);
    }

    @Test
    void shouldRoundTripEveryXenbusStateThroughItsWireNumber() {
        for (XenbusState s : XenbusState.values()) {
            assertThat(XenbusState.fromWire(s.wire())).isSameAs(s);
        }
    }

    @Property
    @Label("a wire number outside 0..8 is no XenbusState (a hostile peer may write anything)")
    void shouldRejectUnknownWireNumbers(@ForAll int wire) {
        XenbusState s = XenbusState.fromWire(wire);
        if (wire >= 0 && wire <= 8) {
            assertThat(s).isNotNull();
            assertThat(s.wire()).isEqualTo(wire);
        } else {
            assertThat(s).isNull();
        }
    }

    @Test
    void shouldDefineBlkifConstantsAsXen() {
        // fact sheet §12.1 ops, status, BLKIF_MAX_SEGMENTS_PER_REQUEST = 11, indirect: 512
        // segments per page, max 8 pages; discard secure = 1; VDISK bits; §11 112-byte
        // entry -> 32 slots per page
        assertExactly(Blkif.class,
                "OP_READ", 0, "OP_WRITE", 1, "OP_WRITE_BARRIER", 2, "OP_FLUSH_DISKCACHE", 3,
                "OP_RESERVED_1", 4, "OP_DISCARD", 5, "OP_INDIRECT", 6,
                "RSP_EOPNOTSUPP", -2, "RSP_ERROR", -1, "RSP_OKAY", 0,
                "MAX_SEGMENTS_PER_REQUEST", 11, "MAX_INDIRECT_PAGES_PER_REQUEST", 8,
                "SEGS_PER_INDIRECT_FRAME", 512, "DISCARD_SECURE", 1, "SECTOR_SIZE", 512,
                "SECTORS_PER_PAGE", 8, "RING_ENTRY_SIZE", 112, "RING_SIZE_ONE_PAGE", 32,
                "VDISK_CDROM", 1, "VDISK_REMOVABLE", 2, "VDISK_READONLY", 4);
    }

    @Test
    void shouldDefineNetifConstantsAsXen() {
        // fact sheet §13.1 flags (tx/rx csum bits differ), response codes, extra types/flags,
        // GSO types, XEN_NETIF_MAX_TX_SIZE = 0xFFFF, NR_SLOTS_MIN = 18, control statuses
        assertExactly(Netif.class,
                "NETTXF_CSUM_BLANK", 0x1, "NETTXF_DATA_VALIDATED", 0x2, "NETTXF_MORE_DATA", 0x4,
                "NETTXF_EXTRA_INFO", 0x8,
                "NETRXF_DATA_VALIDATED", 0x1, "NETRXF_CSUM_BLANK", 0x2, "NETRXF_MORE_DATA", 0x4,
                "NETRXF_EXTRA_INFO", 0x8, "NETRXF_GSO_PREFIX", 0x10,
                "RSP_DROPPED", -2, "RSP_ERROR", -1, "RSP_OKAY", 0, "RSP_NULL", 1,
                "EXTRA_TYPE_NONE", 0, "EXTRA_TYPE_GSO", 1, "EXTRA_TYPE_MCAST_ADD", 2,
                "EXTRA_TYPE_MCAST_DEL", 3, "EXTRA_TYPE_HASH", 4, "EXTRA_TYPE_MAX", 5,
                "EXTRA_FLAG_MORE", 1,
                "GSO_TYPE_NONE", 0, "GSO_TYPE_TCPV4", 1, "GSO_TYPE_TCPV6", 2,
                "MAX_TX_SIZE", 0xFFFF, "NR_SLOTS_MIN", 18,
                "CTRL_STATUS_SUCCESS", 0, "CTRL_STATUS_NOT_SUPPORTED", 1,
                "CTRL_STATUS_INVALID_PARAMETER", 2, "CTRL_STATUS_BUFFER_OVERFLOW", 3);
    }

    @Test
    @DisplayName("NETTXF_csum_blank is bit 0 but NETRXF_csum_blank is bit 1 (netif.h)")
    void shouldKeepTxAndRxChecksumBitsApart() {
        assertThat(Netif.NETTXF_CSUM_BLANK).isEqualTo(Netif.NETRXF_DATA_VALIDATED);
        assertThat(Netif.NETTXF_DATA_VALIDATED).isEqualTo(Netif.NETRXF_CSUM_BLANK);
    }

    @Test
    void shouldDefineXsWireConstantsAsXen() {
        // fact sheet §14.1 message types 0..27 (20 removed), INVALID 0xFFFF, watch indices;
        // §14.2 ring 1024, server_features, connection, error; §14.6 path limits
        assertExactly(XsWire.class,
                "XS_CONTROL", 0, "XS_DIRECTORY", 1, "XS_READ", 2, "XS_GET_PERMS", 3,
                "XS_WATCH", 4, "XS_UNWATCH", 5, "XS_TRANSACTION_START", 6,
                "XS_TRANSACTION_END", 7, "XS_INTRODUCE", 8, "XS_RELEASE", 9,
                "XS_GET_DOMAIN_PATH", 10, "XS_WRITE", 11, "XS_MKDIR", 12, "XS_RM", 13,
                "XS_SET_PERMS", 14, "XS_WATCH_EVENT", 15, "XS_ERROR", 16,
                "XS_IS_DOMAIN_INTRODUCED", 17, "XS_RESUME", 18, "XS_SET_TARGET", 19,
                "XS_RESTRICT_REMOVED", 20, "XS_RESET_WATCHES", 21, "XS_DIRECTORY_PART", 22,
                "XS_GET_FEATURE", 23, "XS_SET_FEATURE", 24, "XS_GET_QUOTA", 25,
                "XS_SET_QUOTA", 26, "XS_TYPE_COUNT", 27, "XS_INVALID", 0xFFFF,
                "XS_WATCH_PATH", 0, "XS_WATCH_TOKEN", 1,
                "HEADER_SIZE", 16, "XENSTORE_PAYLOAD_MAX", 4096, "XENSTORE_RING_SIZE", 1024,
                "XENSTORE_ABS_PATH_MAX", 3072, "XENSTORE_REL_PATH_MAX", 2048,
                "XENSTORE_SERVER_FEATURE_RECONNECTION", 1, "XENSTORE_SERVER_FEATURE_ERROR", 2,
                "XENSTORE_SERVER_FEATURE_WATCHDEPTH", 4, "XENSTORE_SERVER_FEATURE_DOMID_ANY", 8,
                "XENSTORE_CONNECTED", 0, "XENSTORE_RECONNECT", 1,
                "XENSTORE_ERROR_NONE", 0, "XENSTORE_ERROR_COMM", 1, "XENSTORE_ERROR_RINGIDX", 2,
                "XENSTORE_ERROR_PROTO", 3);
    }

    @Test
    void shouldNameEveryDefinedXsTypeAndNoOther() {
        for (int t = 0; t < XsWire.XS_TYPE_COUNT; t++) {
            if (t == 20) {
                assertThat(XsWire.typeName(t)).as("XS_RESTRICT was removed").isNull();
            } else {
                assertThat(XsWire.typeName(t)).as("type %d", t).startsWith("XS_");
            }
        }
        assertThat(XsWire.typeName(27)).isNull();
        assertThat(XsWire.typeName(0xFFFF)).isNull();
        assertThat(XsWire.typeName(-1)).isNull();
    }

    @Test
    @DisplayName("only the errno names xs_wire.h lists may appear in an XS_ERROR reply")
    void shouldAllowExactlyTheWireErrorNames() {
        // fact sheet §14.1 allowed error names
        String[] allowed = {"EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC",
            "EIO", "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM"};
        int count = 0;
        for (int e = 0; e < 200; e++) {
            String wire = XsWire.wireErrorName(e);
            if (wire != null) {
                count++;
                assertThat(wire).isEqualTo(Errno.name(e));
                assertThat(XsWire.isWireErrorName(wire)).isTrue();
            }
        }
        assertThat(count).isEqualTo(allowed.length);
        for (String name : allowed) {
            assertThat(XsWire.isWireErrorName(name)).as(name).isTrue();
        }
        assertThat(XsWire.isWireErrorName("EFAULT")).isFalse();
        assertThat(XsWire.isWireErrorName(null)).isFalse();
        assertThat(XsWire.isWireErrorName("einval")).isFalse();
    }

    @Test
    void shouldDefineConsoleInterfaceConstantsAsXen() {
        // fact sheet §16 xencons_interface: in[1024], out[2048], connection values
        assertExactly(ConsoleInterface.class,
                "XENCONSOLE_CONNECTED", 0, "XENCONSOLE_DISCONNECTED", 1,
                "IN_RING_SIZE", 1024, "OUT_RING_SIZE", 2048);
    }
}
