package org.parasol.hypercall.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.Mfn;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.MmuextOp;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.struct.MmuUpdate;
import org.parasol.hypercall.struct.MulticallEntry;

class MemoryAndMmuCallsTest {
    private static final long PAGE = FakeGuest.ARGUMENT_PAGE_VA;
    private final FakeGuest guest = new FakeGuest();
    private final ArgumentPage page = new ArgumentPage(PAGE);
    private final MemoryOpCalls memory = new MemoryOpCalls(guest, page);
    private final MmuCalls mmu = new MmuCalls(guest, page);

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    @DisplayName("increase_reservation: xen_memory_reservation with extent_start on the page; MFNs come back")
    void shouldMarshalIncreaseReservation() {
        guest.hypervisor = (call, mem) -> {
            long extents = mem.getLong(call.a2());
            mem.putLong(extents, 0xAAA);
            return 1;
        };
        long[] extents = {0, 0};

        long done = memory.reservation(MemoryOp.INCREASE_RESERVATION, extents, 2, 9, 0, DomId.SELF);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.MEMORY_OP);
        assertThat(call.a1()).isEqualTo(MemoryOp.INCREASE_RESERVATION);
        assertThat(call.a2()).isEqualTo(PAGE + 16);
        assertThat(call.bytesAt(PAGE + 16, 32))
                .isEqualTo(hex("0010400000000000 0200000000000000 09000000 00000000 f07f 000000000000"));
        assertThat(done).isEqualTo(1);
        assertThat(extents).containsExactly(0xAAA, 0);
    }

    @Test
    void shouldSendDecreaseReservationFramesAndLeaveTheArrayAlone() {
        guest.hypervisor = (call, mem) -> {
            mem.putLong(mem.getLong(call.a2()), 0xFFFF);
            return 1;
        };
        long[] extents = {0x321};

        assertThat(memory.reservation(MemoryOp.DECREASE_RESERVATION, extents, 1, 0, 0, DomId.SELF)).isEqualTo(1);

        assertThat(guest.onlyCall().bytesAt(PAGE, 8)).isEqualTo(hex("2103000000000000"));
        assertThat(extents).containsExactly(0x321);
        assertThatThrownBy(() -> memory.reservation(MemoryOp.MACHPHYS_MAPPING, extents, 1, 0, 0, DomId.SELF))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldMarshalTheDomainQueriesAndMachphysMapping() {
        guest.hypervisor = (call, mem) -> {
            if (call.a1() == MemoryOp.MACHPHYS_MAPPING) {
                mem.putLong(call.a2(), 0xFFFF_8000_0000_0000L);
                mem.putLong(call.a2() + 8, 0xFFFF_8040_0000_0000L);
                mem.putLong(call.a2() + 16, 0xFFFFF);
                return 0;
            }
            return 256;
        };

        assertThat(memory.currentReservation(DomId.SELF)).isEqualTo(256);
        assertThat(guest.calls.get(0).bytesAt(PAGE, 2)).isEqualTo(hex("f07f"));
        assertThat(memory.maximumRamPage()).isEqualTo(256);
        assertThat(guest.calls.get(1).a2()).isZero();
        assertThat(memory.machphysMapping())
                .isEqualTo(new MemoryOpCalls.MachphysMapping(0, 0xFFFF_8000_0000_0000L, 0xFFFF_8040_0000_0000L, 0xFFFFF));
    }

    @Test
    @DisplayName("mmu_update(reqs, count, done_out, foreigndom) with one request on the page")
    void shouldMarshalOneMmuUpdate() {
        mmu.mmuUpdate(0x5000_0008L, Mmu.NORMAL_PT_UPDATE, 0x1234_5067L);

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.MMU_UPDATE);
        assertThat(call.a1()).isEqualTo(PAGE);
        assertThat(call.a2()).isEqualTo(1);
        assertThat(call.a3()).isZero();
        assertThat(call.a4()).isEqualTo(DomId.DOMID_SELF);
        assertThat(call.bytesAt(PAGE, 16)).isEqualTo(hex("0800005000000000 6750341200000000"));
    }

    @Test
    void shouldSendASmallMmuUpdateBatch() {
        MemorySegment requests = MemorySegment.ofArray(new byte[32]);
        SegmentBuffer buffer = new SegmentBuffer(requests);
        MmuUpdate update = new MmuUpdate();
        update.wrap(buffer, 0).ptr(0x1000, Mmu.MACHPHYS_UPDATE).val(7);
        update.wrap(buffer, 16).ptr(0x2000, Mmu.NORMAL_PT_UPDATE).val(8);

        mmu.mmuUpdate(buffer, 0, 2, DomId.DOMID_SELF);

        assertThat(guest.onlyCall().a2()).isEqualTo(2);
        assertThat(guest.onlyCall().bytesAt(PAGE, 32)).isEqualTo(requests.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        assertThat(guest.onlyCall().bytesAt(PAGE, 8)).isEqualTo(hex("0110000000000000"));
    }

    @Test
    @DisplayName("mmuext_op: {cmd u32, arg1 @8, arg2 @16}; PIN_L4_TABLE is command 3")
    void shouldMarshalMmuextOps() {
        mmu.pinTable(4, Mfn.of(0x99));
        mmu.copyPage(Mfn.of(1), Mfn.of(2));
        mmu.invlpgLocal(0xFFFF_8000_0001_0000L);

        assertThat(guest.calls.get(0).nr()).isEqualTo(Hypercall.MMUEXT_OP);
        assertThat(guest.calls.get(0).bytesAt(PAGE, 24)).isEqualTo(hex("03000000 00000000 9900000000000000 0000000000000000"));
        assertThat(guest.calls.get(1).bytesAt(PAGE, 24)).isEqualTo(hex("11000000 00000000 0100000000000000 0200000000000000"));
        assertThat(guest.calls.get(2).bytesAt(PAGE, 4)).isEqualTo(hex("07000000"));
        assertThat(guest.calls.get(2).a2()).isEqualTo(1);
        assertThatThrownBy(() -> mmu.pinTable(5, Mfn.of(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldPassUpdateVaMappingInRegisters() {
        mmu.updateVaMapping(0x40_0000, 0x8000_0000_0000_1063L, Uvmf.INVLPG | Uvmf.ALL);
        mmu.updateVaMappingOtherdomain(0x40_0000, 0x63, Uvmf.NONE, DomId.of(4));

        assertThat(guest.calls.get(0).nr()).isEqualTo(Hypercall.UPDATE_VA_MAPPING);
        assertThat(guest.calls.get(0).a1()).isEqualTo(0x40_0000);
        assertThat(guest.calls.get(0).a2()).isEqualTo(0x8000_0000_0000_1063L);
        assertThat(guest.calls.get(0).a3()).isEqualTo(6);
        assertThat(guest.calls.get(1).nr()).isEqualTo(Hypercall.UPDATE_VA_MAPPING_OTHERDOMAIN);
        assertThat(guest.calls.get(1).a4()).isEqualTo(4);
    }

    @Test
    @DisplayName("multicall: entries of {op, result, args[6]}; each sub-call's result is read back")
    void shouldBatchMulticallEntries() {
        guest.hypervisor = (call, mem) -> {
            mem.putLong(call.a1() + MulticallEntry.RESULT_OFFSET, 0);
            mem.putLong(call.a1() + 64 + MulticallEntry.RESULT_OFFSET, -22);
            return 0;
        };
        Multicall batch = new Multicall(guest, page, 4);
        batch.add(Hypercall.UPDATE_VA_MAPPING, 0x1000, 0x67, 0, 0, 0);
        batch.add(Hypercall.MMUEXT_OP, 0x2000, 1, 0, DomId.DOMID_SELF, 0);

        assertThat(batch.flush()).isZero();

        FakeGuest.Call call = guest.onlyCall();
        assertThat(call.nr()).isEqualTo(Hypercall.MULTICALL);
        assertThat(call.a1()).isEqualTo(PAGE);
        assertThat(call.a2()).isEqualTo(2);
        assertThat(call.bytesAt(PAGE, 64)).isEqualTo(hex(
                "0e00000000000000 0000000000000000 0010000000000000 6700000000000000"
                        + "0000000000000000 0000000000000000 0000000000000000 0000000000000000"));
        assertThat(call.bytesAt(PAGE + 64, 48)).isEqualTo(hex(
                "1a00000000000000 0000000000000000 0020000000000000 0100000000000000"
                        + "0000000000000000 f07f000000000000"));
        assertThat(batch.result(0)).isZero();
        assertThat(batch.result(1)).isEqualTo(-22);

        batch.add(Hypercall.SET_TIMER_OP, 5, 0, 0, 0, 0);
        assertThat(batch.size()).as("adding after a flush starts a new batch").isEqualTo(1);
        assertThatThrownBy(() -> new Multicall(guest, page, 65)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRefuseToOverfillAMulticallBatch() {
        Multicall batch = new Multicall(guest, page, 1);
        batch.add(Hypercall.SET_TIMER_OP, 1, 0, 0, 0, 0);

        assertThatThrownBy(() -> batch.add(Hypercall.SET_TIMER_OP, 2, 0, 0, 0, 0)).isInstanceOf(IllegalStateException.class);
    }
}
