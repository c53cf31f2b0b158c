package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    @DisplayName("a discarded run reads as zeros, its neighbours keep their bytes, and the host gets its memory back")
    void shouldDiscardARunAndGiveTheMemoryBack() throws IOException {
        try (MachineMemory memory = MachineMemory.create(16L << 20)) {
            MemorySegment seg = memory.segment();
            seg.asSlice(MachineMemory.maddr(9), 514 * 4096L).fill((byte) 0x5A);
            long before = residentKiB(seg);

            memory.discard(10, 512);

            // Measured before the run is read: reading a hole of shared memory commits it again.
            long given = before - residentKiB(seg);
            MemorySegment zeros = MemorySegment.ofArray(new byte[512 * 4096]);
            assertThat(seg.asSlice(MachineMemory.maddr(10), 512 * 4096L).mismatch(zeros)).isEqualTo(-1);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, MachineMemory.maddr(10) - 1)).isEqualTo((byte) 0x5A);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, MachineMemory.maddr(522))).isEqualTo((byte) 0x5A);
            assertThat(given).as("resident KiB given back (of 2048 discarded)").isGreaterThanOrEqualTo(2048);
            assertThatThrownBy(() -> memory.discard(memory.frameCount() - 1, 2))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    /** The Rss line of this process's mapping that holds {@code seg} (/proc/self/smaps). */
    private static long residentKiB(MemorySegment seg) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        long at = seg.address();
        boolean inside = false;
        for (String line : lines) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= at && at < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("Rss:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no mapping holds 0x" + Long.toHexString(at));
    }

    @Test
    void shouldRefuseAccessAfterClose() {
        MachineMemory memory = MachineMemory.create(1L << 20);
        MemorySegment seg = memory.segment();
        memory.close();
        assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }
}
