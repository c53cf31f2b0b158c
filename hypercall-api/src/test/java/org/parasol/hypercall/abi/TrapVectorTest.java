package org.parasol.hypercall.abi;

import static org.parasol.hypercall.abi.ConstantTable.assertExactly;

import org.junit.jupiter.api.Test;

class TrapVectorTest {

    @Test
    void shouldNumberX86ExceptionVectorsAndFaultBits() {
        // x86 architectural vectors (Intel SDM vol. 3 table 6-1), page-fault error code
        // P=1 W=2 U=4 RSVD=8 I=16, and arch-x86/xen.h trap_info {u8 vector; u8 flags;
        // u16 cs; ulong address} (16 bytes), flags: DPL in bits 0-1, IF in bit 2
        assertExactly(TrapVector.class,
                "DE", 0, "DB", 1, "NMI", 2, "BP", 3, "OF", 4, "BR", 5, "UD", 6, "NM", 7,
                "DF", 8, "TS", 10, "NP", 11, "SS", 12, "GP", 13, "PF", 14, "MF", 16, "AC", 17,
                "MC", 18, "XM", 19, "NR_EXCEPTIONS", 32, "NR_VECTORS", 256,
                "PFEC_PRESENT", 1, "PFEC_WRITE", 2, "PFEC_USER", 4, "PFEC_RSVD", 8,
                "PFEC_INSN_FETCH", 16,
                "TI_DPL_MASK", 3, "TI_IF", 4, "TRAP_INFO_SIZE", 16);
    }
}
