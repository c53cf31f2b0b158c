package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.TrapVector;

/** Flyweights write exactly the little-endian bytes a C guest's structure would hold. */
class GoldenBytesTest {

    private static byte[] bytes(MemorySegment segment) {
        return segment.toArray(Layouts.U8);
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    @Test
    @DisplayName("gnttab_map_grant_ref: host_addr@0 flags@8 ref@12 dom@16 status@18 handle@20 dev_bus_addr@24")
    void shouldWriteMapGrantRefBytes() {
        MemorySegment segment = MemorySegment.ofArray(new byte[32]);
        GnttabMapGrantRef op = new GnttabMapGrantRef().wrap(new SegmentBuffer(segment), 0);
        op.hostAddr(0x0000_7F00_1234_5000L).flags(0x2 | 0x4).ref(0x1234).dom(7).status(-3).handle(0xABCD)
                .devBusAddr(0x1122_3344_5566_7788L);

        assertThat(bytes(segment)).isEqualTo(hex(
                "00 50 34 12 00 7f 00 00" // host_addr
                        + "06 00 00 00" // flags: GNTMAP_host_map | GNTMAP_readonly
                        + "34 12 00 00" // ref
                        + "07 00" // dom
                        + "fd ff" // status -3 = GNTST_bad_gntref
                        + "cd ab 00 00" // handle
                        + "88 77 66 55 44 33 22 11")); // dev_bus_addr
        assertThat(op.snapshot()).isEqualTo(new GnttabMapGrantRef.Snapshot(
                0x0000_7F00_1234_5000L, 6, 0x1234, 7, -3, 0xABCD, 0x1122_3344_5566_7788L));
    }

    @Test
    void shouldRoundTripMapGrantRefSnapshot() {
        MemorySegment segment = MemorySegment.ofArray(new byte[64]);
        GnttabMapGrantRef.Snapshot value = new GnttabMapGrantRef.Snapshot(-1L, 0xFFFF_FFFFL, 0x8000_0000L, 0xFFFF, -13,
                0xFFFF_FFFFL, Long.MIN_VALUE);
        GnttabMapGrantRef op = new GnttabMapGrantRef().wrap(new SegmentBuffer(segment), 16).set(value);

        assertThat(op.snapshot()).isEqualTo(value);
        assertThat(segment.asSlice(0, 16).toArray(Layouts.U8)).containsOnly((byte) 0);
        assertThat(segment.asSlice(48, 16).toArray(Layouts.U8)).containsOnly((byte) 0);
    }

    @Test
    @DisplayName("start_info: magic, nr_pages, shared_info, flags, store and console fields at Xen's offsets")
    void shouldWriteStartInfoBytes() {
        MemorySegment segment = MemorySegment.ofArray(new byte[(int) StartInfo.SIZE]);
        StartInfo info = new StartInfo().wrap(new SegmentBuffer(segment), 0);
        info.magic("xen-3.0-x86_64").nrPages(0x4000).sharedInfo(0x1234_5000L).flags(0x3).storeMfn(0x77)
                .storeEvtchn(1).consoleMfn(0x88).consoleEvtchn(2).cmdLine("console=hvc0");

        byte[] golden = new byte[(int) StartInfo.SIZE];
        System.arraycopy(hex("78656e2d332e302d7838365f3634"), 0, golden, 0, 14); // "xen-3.0-x86_64"
        golden[33] = 0x40; // nr_pages 0x4000
        System.arraycopy(hex("0050341200000000"), 0, golden, 40, 8); // shared_info
        golden[48] = 3; // SIF_PRIVILEGED | SIF_INITDOMAIN
        golden[56] = 0x77; // store_mfn
        golden[64] = 1; // store_evtchn
        golden[72] = (byte) 0x88; // console.domU.mfn
        golden[80] = 2; // console.domU.evtchn
        System.arraycopy("console=hvc0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, golden, 128, 12);
        assertThat(bytes(segment)).isEqualTo(golden);
        assertThat(info.consoleInfoOff()).as("dom0 view of the same union bytes").isEqualTo(0x88);
    }

    @Test
    void shouldRoundTripStartInfoSnapshot() {
        MemorySegment segment = MemorySegment.ofArray(new byte[(int) StartInfo.SIZE]);
        StartInfo.Snapshot value = new StartInfo.Snapshot("xen-3.0-x86_64", 256, 0x9000, 0, 10, 1, 11, 2,
                0xFFFF_8000_0010_0000L, 4, 0xFFFF_8000_0020_0000L, 0, 0, "root=/dev/xvda1 quiet", 0x30, 1);

        StartInfo info = new StartInfo().wrap(new SegmentBuffer(segment), 0).set(value);

        assertThat(info.snapshot()).isEqualTo(value);
    }

    @Test
    @DisplayName("cmd_line holds at most MAX_GUEST_CMDLINE - 1 bytes and its NUL")
    void shouldRefuseCommandLineWithoutRoomForNul() {
        StartInfo info = new StartInfo().wrap(new SegmentBuffer(MemorySegment.ofArray(new byte[(int) StartInfo.SIZE])), 0);

        info.cmdLine("a".repeat(1023));
        assertThat(info.cmdLine()).hasSize(1023);
        assertThatThrownBy(() -> info.cmdLine("a".repeat(1024))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> info.magic("x".repeat(32))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> info.cmdLine("caf\u00e9")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("mmu_update: ptr = address | cmd, val")
    void shouldWriteMmuUpdateBytes() {
        MemorySegment segment = MemorySegment.ofArray(new byte[16]);
        MmuUpdate update = new MmuUpdate().wrap(new SegmentBuffer(segment), 0).ptr(0x1234_5678L, 2).val(0x8000_0000_0000_0067L);

        assertThat(bytes(segment)).isEqualTo(hex("7a56341200000000 6700000000000080"));
        assertThat(update.cmd()).isEqualTo(2);
        assertThat(update.address()).isEqualTo(0x1234_5678L);
    }

    @Test
    @DisplayName("trap_info: vector u8, flags u8, cs u16, 4 pad bytes, address u64")
    void shouldWriteTrapInfoBytes() {
        MemorySegment segment = MemorySegment.ofArray(new byte[16]);
        new TrapInfo().wrap(new SegmentBuffer(segment), 0).vector(14).flags(TrapVector.TI_IF).cs(0xE033).address(0x1000_0001L);

        assertThat(bytes(segment)).isEqualTo(hex("0e04 33e0 00000000 0100001000000000"));
    }

    @Test
    void shouldWidenUnsignedAndSignExtendSignedFields() {
        MemorySegment segment = MemorySegment.ofArray(new byte[32]);
        segment.fill((byte) 0xFF);
        VcpuTimeInfo time = new VcpuTimeInfo().wrap(new SegmentBuffer(segment), 0);
        GnttabQuerySize query = new GnttabQuerySize().wrap(new SegmentBuffer(segment), 0);

        assertThat(time.version()).isEqualTo(0xFFFF_FFFFL);
        assertThat(time.tscShift()).isEqualTo(-1);
        assertThat(time.flags()).isEqualTo(0xFF);
        assertThat(query.dom()).isEqualTo(0xFFFF);
        assertThat(query.status()).isEqualTo(-1);
    }

    @Test
    void shouldRefuseToWrapOutsideTheSegment() {
        MemorySegment segment = MemorySegment.ofArray(new byte[40]);

        assertThatThrownBy(() -> new GnttabMapGrantRef().wrap(new SegmentBuffer(segment), 9)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new GnttabMapGrantRef().wrap(new SegmentBuffer(segment), -1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(new GnttabMapGrantRef().wrap(new SegmentBuffer(segment), 8)).isNotNull();
    }
}
