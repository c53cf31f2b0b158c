package org.parasol.guest.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ExceptionTableTest {

    @Test
    @DisplayName("entries added in any order are found by the faulting instruction's address, with their fixup and "
            + "type; any other address has none (search_exception_tables)")
    void shouldFindEntriesByInstructionAddress() {
        ExceptionTable t = new ExceptionTable();
        t.add(0x40_1010, 0x40_1012, ExceptionTable.TYPE_WRMSR_SAFE);
        t.add(0x40_1000, 0x40_1002, ExceptionTable.TYPE_RDMSR_SAFE);
        t.add(0x40_1020, 0x40_1100, ExceptionTable.TYPE_DEFAULT);
        assertThat(t.size()).isEqualTo(3);
        int e = t.search(0x40_1000);
        assertThat(t.fixup(e)).isEqualTo(0x40_1002);
        assertThat(t.type(e)).isEqualTo(ExceptionTable.TYPE_RDMSR_SAFE);
        e = t.search(0x40_1010);
        assertThat(t.fixup(e)).isEqualTo(0x40_1012);
        assertThat(t.type(e)).isEqualTo(ExceptionTable.TYPE_WRMSR_SAFE);
        assertThat(t.fixup(t.search(0x40_1020))).isEqualTo(0x40_1100);
        assertThat(t.search(0x40_1001)).isNegative();
        assertThat(t.search(0)).isNegative();
        assertThat(t.search(-1)).isNegative();
    }

    @Test
    void shouldRefuseASecondEntryForOneInstruction() {
        ExceptionTable t = new ExceptionTable();
        t.add(0x1000, 0x1002, ExceptionTable.TYPE_DEFAULT);
        assertThatThrownBy(() -> t.add(0x1000, 0x2000, ExceptionTable.TYPE_DEFAULT))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
