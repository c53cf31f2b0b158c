package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.MemorySegment;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class VcpuGuestContextTest {

    @Test
    @DisplayName("the seven fields Parasol uses may be set while every other byte stays zero")
    void shouldAcceptTheFieldsParasolUses() {
        MemorySegment segment = MemorySegment.ofArray(new byte[(int) VcpuGuestContext.SIZE]);
        VcpuGuestContext ctx = new VcpuGuestContext().wrap(new SegmentBuffer(segment), 0)
                .flags(VcpuGuestContext.VGCF_IN_KERNEL | VcpuGuestContext.VGCF_ONLINE)
                .rip(0x10).rsp(-1L).rsi(-1L).ctrlreg3(-1L).eventCallbackEip(-1L).failsafeCallbackEip(-1L);

        assertThat(ctx.otherBytesZero()).isTrue();
        assertThat(segment.get(Layouts.U64, 648)).isEqualTo(0x10);
        assertThat(ctx.rsp()).isEqualTo(-1L);
        assertThat(ctx.ctrlreg3()).isEqualTo(-1L);
    }

    @Property(tries = 300)
    @Label("a single non-zero byte outside those fields is noticed")
    void shouldNoticeAnyOtherByte(@ForAll @IntRange(min = 0, max = 5167) int index) {
        MemorySegment segment = MemorySegment.ofArray(new byte[(int) VcpuGuestContext.SIZE]);
        VcpuGuestContext ctx = new VcpuGuestContext().wrap(new SegmentBuffer(segment), 0);
        segment.set(Layouts.U8, index, (byte) 0x80);

        boolean used = within(index, VcpuGuestContext.FLAGS_OFFSET)
                || within(index, VcpuGuestContext.USER_REGS_RSI_OFFSET)
                || within(index, VcpuGuestContext.USER_REGS_RIP_OFFSET)
                || within(index, VcpuGuestContext.USER_REGS_RSP_OFFSET)
                || within(index, VcpuGuestContext.CTRLREG3_OFFSET)
                || within(index, VcpuGuestContext.EVENT_CALLBACK_EIP_OFFSET)
                || within(index, VcpuGuestContext.FAILSAFE_CALLBACK_EIP_OFFSET);
        assertThat(ctx.otherBytesZero()).isEqualTo(used);
    }

    @Test
    void shouldCheckTheLastByte() {
        MemorySegment segment = MemorySegment.ofArray(new byte[(int) VcpuGuestContext.SIZE + 8]);
        VcpuGuestContext ctx = new VcpuGuestContext().wrap(new SegmentBuffer(segment), 8);
        segment.set(Layouts.U8, VcpuGuestContext.SIZE + 7, (byte) 1);
        assertThat(ctx.otherBytesZero()).isFalse();
        segment.set(Layouts.U8, 7, (byte) 1);
        segment.set(Layouts.U8, VcpuGuestContext.SIZE + 7, (byte) 0);
        assertThat(ctx.otherBytesZero()).as("bytes before the structure are not its own").isTrue();
    }

    private static boolean within(int index, long fieldOffset) {
        return index >= fieldOffset && index < fieldOffset + 8;
    }
}
