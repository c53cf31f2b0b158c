package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.HvmOp;

/** {@code xen_hvm_param} of {@code hvm/hvm_op.h}, and the callback-via encoding of {@code hvm/params.h}. */
class HvmParamLayoutTest {

    @Test
    @DisplayName("xen_hvm_param is 16 bytes: domid_t domid at 0, uint32_t index at 4, uint64_t value at 8")
    void shouldMatchXenOffsets() {
        assertThat(XenHvmParam.LAYOUT.byteSize()).isEqualTo(16);
        assertThat(XenHvmParam.DOMID_OFFSET).isZero();
        assertThat(XenHvmParam.INDEX_OFFSET).isEqualTo(4);
        assertThat(XenHvmParam.VALUE_OFFSET).isEqualTo(8);
    }

    @Test
    @DisplayName("HVMOP_set_param(HVM_PARAM_CALLBACK_IRQ, 2 << 56 | 0xf3) for DOMID_SELF, byte for byte")
    void shouldWriteTheGoldenBytes() {
        SegmentBuffer b = SegmentBuffer.allocate(XenHvmParam.SIZE);
        XenHvmParam p = new XenHvmParam().wrap(b, 0).clear().domid(DomId.DOMID_SELF).index(HvmOp.PARAM_CALLBACK_IRQ)
                .value(HvmOp.callbackVia(0xF3));
        byte[] bytes = b.segment().toArray(ValueLayout.JAVA_BYTE);
        assertThat(bytes).containsExactly(
                (byte) 0xF0, 0x7F, 0, 0, 0, 0, 0, 0,
                (byte) 0xF3, 0, 0, 0, 0, 0, 0, 0x02);
        assertThat(p.domid()).isEqualTo(DomId.DOMID_SELF);
        assertThat(p.index()).isZero();
        assertThat(p.value() >>> HvmOp.CALLBACK_IRQ_TYPE_SHIFT).isEqualTo(HvmOp.CALLBACK_TYPE_VECTOR);
        p.index(0xFFFF_FFFFL);
        assertThat(p.index()).as("unsigned when widened").isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    @DisplayName("the numbers are Xen's: __HYPERVISOR_hvm_op 34, HVMOP_set_param 0, get_param 1, HVM_NR_PARAMS 39")
    void shouldUseXensNumbers() {
        assertThat(org.parasol.hypercall.Hypercall.HVM_OP).isEqualTo(34);
        assertThat(HvmOp.SET_PARAM).isZero();
        assertThat(HvmOp.GET_PARAM).isEqualTo(1);
        assertThat(HvmOp.NR_PARAMS).isEqualTo(39);
        assertThat(HvmOp.CALLBACK_IRQ_TYPE_MASK).isEqualTo(0xFFL << 56);
    }
}
