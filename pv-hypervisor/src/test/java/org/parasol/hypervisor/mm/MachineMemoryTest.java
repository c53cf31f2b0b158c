package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MachineMemoryTest {

    @Test
    @DisplayName("machine memory is a sparse mapping whose frames all read as zero")
    void shouldCreateZeroedMemoryOfTheRequestedSize() {
        try (MachineMemory memory = MachineMemory.create(64L << 20)) {
            assertThat(memory.frameCount()).isEqualTo(16384);
            assertThat(memory.segment().byteSize()).isEqualTo(64L << 20);
            MemorySegment zeros = MemorySegment.ofArray(new byte[MachineMemory.PAGE_SIZE]);
            for (long mfn : new long[] {0, 1, 4095, 8191, 16383}) {
                MemorySegment frame = memory.segment().asSlice(MachineMemory.maddr(mfn), MachineMemory.PAGE_SIZE);
                assertThat(frame.mismatch(zeros)).as("frame %d", mfn).isEqualTo(-1);
            }
        }
    }

    @Test
    void shouldComputeMachineAddresses() {
        assertThat(MachineMemory.maddr(0)).isZero();
        assertThat(MachineMemory.maddr(3)).isEqualTo(3 * 4096);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -4096, 1, 4095, 4097, 3 * 4096 + 12})
    void shouldRejectSizesThatAreNotWholePositiveFrames(long bytes) {
        assertThatThrownBy(() -> MachineMemory.create(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 4096");
    }

    @Test
    void shouldZeroOneFrameAndLeaveItsNeighboursAlone() {
        try (MachineMemory memory = MachineMemory.create(16L << 20)) {
            MemorySegment seg = memory.segment();
            for (long mfn = 4; mfn <= 6; mfn++) {
                seg.asSlice(MachineMemory.maddr(mfn), 4096).fill((byte) 0x5A);
            }
            memory.zeroFrame(5);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, MachineMemory.maddr(5) + 4095)).isZero();
            assertThat(seg.get(ValueLayout.JAVA_BYTE, MachineMemory.maddr(5))).isZero();
            assertThat(seg.get(ValueLayout.JAVA_BYTE, MachineMemory.maddr(5) - 1)).isEqualTo((byte) 0x5A);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, MachineMemory.maddr(6))).isEqualTo((byte) 0x5A);
            assertThatThrownBy(() -> memory.zeroFrame(memory.frameCount()))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void shouldRefuseAccessAfterClose() {
        MachineMemory memory = MachineMemory.create(1L << 20);
        MemorySegment seg = memory.segment();
        memory.close();
        assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }
}
