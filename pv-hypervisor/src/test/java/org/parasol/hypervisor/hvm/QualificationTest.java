package org.parasol.hypervisor.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Exit qualifications with the bit positions of the SDM (Vol. 3C, Tables 28-3 and 28-5) written out. */
class QualificationTest {

    @Test
    @DisplayName("I/O: size-1 in 2:0, IN in 3, string in 4, REP in 5, immediate in 6, port in 31:16")
    void shouldLayOutAnIoQualification() {
        assertThat(Qualification.io(1, false, false, false, false, 0x3F8)).isEqualTo(0x03F8_0000L);
        assertThat(Qualification.io(4, true, false, false, true, 0x71)).isEqualTo(0x0071_0000L | 3 | 8 | 64);
        long rep = Qualification.io(1, false, true, true, false, 0x3F8);
        assertThat(rep).isEqualTo(0x03F8_0000L | 16 | 32);
        assertThat(Qualification.ioPort(rep)).isEqualTo(0x3F8);
        assertThat(Qualification.ioSize(Qualification.io(2, false, false, false, false, 0x604))).isEqualTo(2);
    }

    @Test
    @DisplayName("CR access: the control register in 3:0, the type in 5:4, the GPR in 11:8")
    void shouldLayOutACrQualification() {
        long q = Qualification.crAccess(3, Qualification.MOV_TO_CR, 0);
        assertThat(q).isEqualTo(3);
        q = Qualification.crAccess(3, Qualification.MOV_FROM_CR, 15);
        assertThat(q).isEqualTo(3 | 1 << 4 | 15 << 8);
        assertThat(Qualification.crGpr(q)).isEqualTo(15);
        assertThat(Qualification.crType(q)).isEqualTo(Qualification.MOV_FROM_CR);
    }

    @Test
    @DisplayName("the basic exit reasons carry the VMX numbers")
    void shouldNumberTheExitReasonsAsVmx() {
        assertThat(ExitReason.IO_INSTRUCTION.number()).isEqualTo(30);
        assertThat(ExitReason.CR_ACCESS.number()).isEqualTo(28);
        assertThat(ExitReason.HLT.number()).isEqualTo(12);
        assertThat(ExitReason.MSR_WRITE.number()).isEqualTo(32);
        assertThat(ExitReason.EXCEPTION_NMI.number()).isZero();
    }
}
