package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Gntcopy;
import org.parasol.hypercall.abi.Gntmap;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.GnttabOp;
import org.parasol.hypercall.struct.GnttabMapGrantRef;

class GrantTableCallsTest {
    private static final long PAGE = FakeGuest.ARGUMENT_PAGE_VA;
    private final FakeGuest guest = new FakeGuest();
    private final GrantTableCalls gnttab = new GrantTableCalls(guest, new ArgumentPage(PAGE));

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    @DisplayName("map_grant_ref: (cmd 0, &op, count 1); status and handle come back from the structure")
    void shouldMarshalMapGrantRef() {
        guest.hypervisor = (call, memory) -> {
            memory.putShort(call.a2() + 18, (short) 0);
            memory.putInt(call.a2() + 20, 6);
            memory.putLong(call.a2() + 24, 0x9000);
            return 0;
        };

        GrantTableCalls.MapResult result =
                gnttab.mapGrantRef(0x7F00_0000L, Gntmap.HOST_MAP | Gntmap.READONLY, GrantRef.of(8), DomId.of(2));

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.GRANT_TABLE_OP);
        assertThat(call.a1()).isEqualTo(GnttabOp.MAP_GRANT_REF);
        assertThat(call.a2()).isEqualTo(PAGE);
        assertThat(call.a3()).isEqualTo(1);
        assertThat(call.bytesAt(PAGE, 32)).isEqualTo(hex(
                "0000007f00000000 06000000 08000000 0200 0000 00000000 0000000000000000"));
        assertThat(result).isEqualTo(new GrantTableCalls.MapResult(0, Gntst.OKAY, 6, 0x9000));
        assertThat(result.ok()).isTrue();
    }

    @Test
    void shouldReportAnElementStatusSeparatelyFromTheCallResult() {
        guest.hypervisor = (call, memory) -> {
            memory.putShort(call.a2() + 18, (short) Gntst.BAD_GNTREF);
            return 0;
        };

        GrantTableCalls.MapResult result = gnttab.mapGrantRef(0x7F00_0000L, Gntmap.HOST_MAP, GrantRef.of(9999), DomId.of(2));

        assertThat(result.result()).isZero();
        assertThat(result.status()).isEqualTo(Gntst.BAD_GNTREF);
        assertThat(result.ok()).isFalse();
    }

    @Test
    void shouldMarshalUnmapGrantRef() {
        GrantTableCalls.Status status = gnttab.unmapGrantRef(0x7F00_0000L, 0, 6);

        assertThat(guest.onlyCall().a1()).isEqualTo(GnttabOp.UNMAP_GRANT_REF);
        assertThat(guest.onlyCall().bytesAt(PAGE, 24))
                .isEqualTo(hex("0000007f00000000 0000000000000000 06000000 0000 0000"));
        assertThat(status.ok()).isTrue();
    }

    @Test
    @DisplayName("setup_table: the frame list lives on the argument page and is read back after the call")
    void shouldMarshalSetupTableWithAFrameList() {
        guest.hypervisor = (call, memory) -> {
            long frameList = memory.getLong(call.a2() + 16);
            memory.putLong(frameList, 0x111);
            memory.putLong(frameList + 8, 0x222);
            return 0;
        };
        long[] frames = new long[2];

        GrantTableCalls.Status status = gnttab.setupTable(DomId.SELF, frames);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.a2()).as("structure above the frame list").isEqualTo(PAGE + 16);
        assertThat(call.bytesAt(call.a2(), 24)).isEqualTo(hex("f07f 0000 02000000 0000 000000000000 0010400000000000"));
        assertThat(status.ok()).isTrue();
        assertThat(frames).containsExactly(0x111, 0x222);
    }

    @Test
    void shouldWriteGrantRefOrFrameInTheCopyUnionByFlags() {
        gnttab.copy(Gntcopy.SOURCE_GREF, 0x10, DomId.of(3), 100, 0xABCDEF, DomId.SELF, 200, 512);

        assertThat(guest.onlyCall().a1()).isEqualTo(GnttabOp.COPY);
        assertThat(guest.onlyCall().bytesAt(PAGE, 40)).isEqualTo(hex(
                "1000000000000000 0300 6400 00000000"
                        + "efcdab0000000000 f07f c800 00000000"
                        + "0002 0100 0000 0000"));
    }

    @Test
    void shouldReturnSetVersionsVersionInForce() {
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a2(), 1);
            return 0;
        };

        assertThat(gnttab.setVersion(2)).isEqualTo(1);
        assertThat(guest.onlyCall().bytesAt(PAGE, 4)).isEqualTo(hex("02000000"));
    }

    @Test
    void shouldPassAMalformedCallsErrnoThrough() {
        guest.hypervisor = (call, memory) -> -Errno.EFAULT;

        assertThat(gnttab.querySize(DomId.SELF)).isEqualTo(new GrantTableCalls.QuerySize(-Errno.EFAULT, 0, 0, 0));
        assertThat(gnttab.getVersion(DomId.SELF)).isEqualTo(-Errno.EFAULT);
        assertThat(gnttab.transfer(Mfn.of(5), DomId.of(1), GrantRef.of(9))).isEqualTo(new GrantTableCalls.Status(-Errno.EFAULT, 0));
    }

    @Test
    @DisplayName("a small batch goes through the page and each element's OUT fields come back to the caller")
    void shouldRunASmallBatchThroughThePage() {
        SegmentBuffer ops = new SegmentBuffer(MemorySegment.ofArray(new byte[64]));
        GnttabMapGrantRef op = new GnttabMapGrantRef();
        op.wrap(ops, 0).hostAddr(0x1000).flags(Gntmap.HOST_MAP).ref(8).dom(1);
        op.wrap(ops, 32).hostAddr(0x2000).flags(Gntmap.HOST_MAP).ref(9).dom(1);
        guest.hypervisor = (call, memory) -> {
            memory.putInt(call.a2() + 20, 100);
            memory.putShort(call.a2() + 32 + 18, (short) Gntst.BAD_GNTREF);
            return 0;
        };

        assertThat(gnttab.batch(GnttabOp.MAP_GRANT_REF, ops, 0, 2)).isZero();

        assertThat(guest.onlyCall().a3()).isEqualTo(2);
        assertThat(guest.onlyCall().bytesAt(PAGE, 24)).isEqualTo(hex("0010000000000000 02000000 08000000 0100 0000 00000000"));
        assertThat(guest.onlyCall().bytesAt(PAGE + 32, 8)).isEqualTo(hex("0020000000000000"));
        assertThat(op.wrap(ops, 0).handle()).isEqualTo(100);
        assertThat(op.wrap(ops, 32).status()).isEqualTo(Gntst.BAD_GNTREF);
        assertThatThrownBy(() -> gnttab.batch(GnttabOp.QUERY_SIZE, ops, 0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
