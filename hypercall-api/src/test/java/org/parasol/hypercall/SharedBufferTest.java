package org.parasol.hypercall;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.Stream;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.parasol.hypercall.testing.FlatGuestMemory;

/**
 * The accessor's contract, checked on both implementations over the same bytes: a
 * {@link SegmentBuffer} over the segment a {@link FlatGuestMemory} keeps, and a
 * {@link GuestMemoryBuffer} over that memory's guest addresses. What one writes the other reads,
 * little-endian, at any offset; ordered and atomic accesses keep their meaning; nothing outside
 * {@code [0, capacity)} is ever touched.
 */
class SharedBufferTest {
    private static final long BASE = 0x7000_0000L;
    private static final int BYTES = 256;
    /** The window both buffers see: [WINDOW, WINDOW + CAPACITY) of the memory, guards around it. */
    private static final long WINDOW = 64;
    private static final int CAPACITY = 128;

    /** Two views of the same bytes. */
    private record Views(FlatGuestMemory memory, SharedBuffer segment, SharedBuffer guest) {
        static Views make() {
            FlatGuestMemory m = new FlatGuestMemory(BASE, BYTES);
            return new Views(m, new SegmentBuffer(m.segment.asSlice(WINDOW, CAPACITY)),
                    new GuestMemoryBuffer(m, BASE + WINDOW, CAPACITY));
        }

        /** The byte at buffer offset {@code offset}, read straight from the memory. */
        int raw(long offset) {
            return memory.segment.get(ValueLayout.JAVA_BYTE, WINDOW + offset) & 0xFF;
        }
    }

    static Stream<Arguments> writerAndReader() {
        Views a = Views.make();
        Views b = Views.make();
        return Stream.of(
                Arguments.of("segment writes, guest memory reads", a, a.segment(), a.guest()),
                Arguments.of("guest memory writes, segment reads", b, b.guest(), b.segment()));
    }

    static Stream<Arguments> eachBuffer() {
        Views a = Views.make();
        Views b = Views.make();
        return Stream.of(Arguments.of("segment", a, a.segment()), Arguments.of("guest memory", b, b.guest()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("writerAndReader")
    @DisplayName("plain stores at unaligned offsets are little-endian and read back through the other view")
    void shouldAgreeOnPlainLittleEndianValues(String name, Views views, SharedBuffer writer, SharedBuffer reader) {
        writer.putLong(3, 0x0807_0605_0403_0201L);
        writer.putInt(13, 0xD4C3_B2A1);
        writer.putShort(19, (short) 0xBEEF);
        writer.putByte(23, (byte) 0x7F);

        assertThat(reader.getLong(3)).isEqualTo(0x0807_0605_0403_0201L);
        assertThat(reader.getInt(13)).isEqualTo(0xD4C3_B2A1);
        assertThat(reader.getShort(19)).isEqualTo((short) 0xBEEF);
        assertThat(reader.getByte(23)).isEqualTo((byte) 0x7F);
        assertThat(views.raw(3)).isEqualTo(0x01);
        assertThat(views.raw(10)).isEqualTo(0x08);
        assertThat(views.raw(13)).isEqualTo(0xA1);
        assertThat(views.raw(19)).isEqualTo(0xEF);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("writerAndReader")
    @DisplayName("release stores are seen by acquire loads through the other view")
    void shouldPairReleaseWithAcquire(String name, Views views, SharedBuffer writer, SharedBuffer reader) {
        writer.putByteRelease(1, (byte) 0x81);
        writer.putShortRelease(2, (short) 0x8001);
        writer.putIntRelease(4, 0x8000_0001);
        writer.putLongRelease(8, Long.MIN_VALUE | 1);

        assertThat(reader.getByteAcquire(1)).isEqualTo((byte) 0x81);
        assertThat(reader.getShortAcquire(2)).isEqualTo((short) 0x8001);
        assertThat(reader.getIntAcquire(4)).isEqualTo(0x8000_0001);
        assertThat(reader.getLongAcquire(8)).isEqualTo(Long.MIN_VALUE | 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eachBuffer")
    @DisplayName("compare-and-set and compare-and-exchange change the word only when it holds the expected value")
    void shouldCompareAndSet(String name, Views views, SharedBuffer buffer) {
        buffer.putInt(16, 5);
        assertThat(buffer.compareAndSetInt(16, 4, 9)).isFalse();
        assertThat(buffer.getInt(16)).isEqualTo(5);
        assertThat(buffer.compareAndSetInt(16, 5, 9)).isTrue();
        assertThat(buffer.compareAndExchangeInt(16, 5, 1)).isEqualTo(9);
        assertThat(buffer.compareAndExchangeInt(16, 9, 1)).isEqualTo(9);
        assertThat(buffer.getInt(16)).isEqualTo(1);

        buffer.putLong(24, -1L);
        assertThat(buffer.compareAndSetLong(24, 0, 7)).isFalse();
        assertThat(buffer.compareAndSetLong(24, -1L, 7)).isTrue();
        assertThat(buffer.compareAndExchangeLong(24, 7, 8)).isEqualTo(7);
        assertThat(buffer.getLong(24)).isEqualTo(8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eachBuffer")
    @DisplayName("exchange, add and the bitwise atomics return the old value and leave the new one")
    void shouldApplyAtomicReadModifyWrites(String name, Views views, SharedBuffer buffer) {
        buffer.putInt(32, 0b1010);
        assertThat(buffer.getAndBitwiseOrInt(32, 0b0101)).isEqualTo(0b1010);
        assertThat(buffer.getAndBitwiseAndInt(32, 0b0110)).isEqualTo(0b1111);
        assertThat(buffer.getAndBitwiseXorInt(32, 0b0011)).isEqualTo(0b0110);
        assertThat(buffer.getAndAddInt(32, Integer.MAX_VALUE)).isEqualTo(0b0101);
        assertThat(buffer.getAndSetInt(32, 0)).isEqualTo(0b0101 + Integer.MAX_VALUE);
        assertThat(buffer.getInt(32)).isZero();

        buffer.putLong(40, 1L << 63);
        assertThat(buffer.getAndBitwiseOrLong(40, 1)).isEqualTo(1L << 63);
        assertThat(buffer.getAndBitwiseAndLong(40, ~(1L << 63))).isEqualTo((1L << 63) | 1);
        assertThat(buffer.getAndBitwiseXorLong(40, 3)).isEqualTo(1);
        assertThat(buffer.getAndAddLong(40, -2)).isEqualTo(2);
        assertThat(buffer.getAndSetLong(40, 99)).isZero();
        assertThat(buffer.getLong(40)).isEqualTo(99);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eachBuffer")
    @DisplayName("bulk copies, fills and the zero check work on the buffer's own offsets")
    void shouldCopyFillAndCheckForZero(String name, Views views, SharedBuffer buffer) {
        MemorySegment src = MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5});
        buffer.putBytes(7, src, 1, 3);
        assertThat(views.raw(7)).isEqualTo(2);
        assertThat(views.raw(9)).isEqualTo(4);
        MemorySegment dst = MemorySegment.ofArray(new byte[4]);
        buffer.getBytes(6, dst, 0, 4);
        assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).containsExactly(0, 2, 3, 4);

        assertThat(buffer.isZero(0, 7)).isTrue();
        assertThat(buffer.isZero(0, 8)).isFalse();
        buffer.setMemory(0, CAPACITY, (byte) 0);
        assertThat(buffer.isZero(0, CAPACITY)).isTrue();
        buffer.setMemory(100, 3, (byte) 0x5A);
        assertThat(views.raw(102)).isEqualTo(0x5A);
        assertThat(views.raw(103)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eachBuffer")
    @DisplayName("an access that does not lie wholly inside the buffer is refused and touches nothing")
    void shouldRefuseAccessesOutsideTheBuffer(String name, Views views, SharedBuffer buffer) {
        views.memory().segment.fill((byte) 0x33);
        assertThat(buffer.capacity()).isEqualTo(CAPACITY);
        assertThatThrownBy(() -> buffer.putLong(CAPACITY - 7, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.putInt(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.getShort(CAPACITY - 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.getByte(CAPACITY)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.getAndBitwiseOrLong(CAPACITY, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.setMemory(CAPACITY - 2, 3, (byte) 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> buffer.checkBounds(1, CAPACITY)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(buffer.checkBounds(8, CAPACITY - 8)).isEqualTo(8);
        assertThat(views.memory().segment.toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0x33);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("eachBuffer")
    @DisplayName("an ordered or atomic access that is not naturally aligned fails instead of tearing")
    void shouldRefuseMisalignedOrderedAccesses(String name, Views views, SharedBuffer buffer) {
        assertThatThrownBy(() -> buffer.getIntAcquire(2)).isInstanceOfAny(IllegalArgumentException.class,
                IllegalStateException.class);
        assertThatThrownBy(() -> buffer.putLongRelease(4, 1)).isInstanceOfAny(IllegalArgumentException.class,
                IllegalStateException.class);
        assertThatThrownBy(() -> buffer.compareAndSetInt(1, 0, 1)).isInstanceOfAny(IllegalArgumentException.class,
                IllegalStateException.class);
    }

    @Property(tries = 300)
    void shouldReadThroughOneViewWhatTheOtherWrote(@ForAll @IntRange(max = CAPACITY - 8) int offset, @ForAll long value,
            @ForAll @IntRange(min = 0, max = 3) int width, @ForAll boolean segmentWrites) {
        Views v = Views.make();
        SharedBuffer writer = segmentWrites ? v.segment() : v.guest();
        SharedBuffer reader = segmentWrites ? v.guest() : v.segment();
        switch (width) {
            case 0 -> writer.putByte(offset, (byte) value);
            case 1 -> writer.putShort(offset, (short) value);
            case 2 -> writer.putInt(offset, (int) value);
            default -> writer.putLong(offset, value);
        }
        long read = switch (width) {
            case 0 -> reader.getByte(offset);
            case 1 -> reader.getShort(offset);
            case 2 -> reader.getInt(offset);
            default -> reader.getLong(offset);
        };
        long expected = switch (width) {
            case 0 -> (byte) value;
            case 1 -> (short) value;
            case 2 -> (int) value;
            default -> value;
        };
        assertThat(read).isEqualTo(expected);
        int bytes = 1 << width;
        assertThat(reader.isZero(0, offset)).as("bytes before the value").isTrue();
        assertThat(reader.isZero(offset + bytes, CAPACITY - offset - bytes)).as("bytes after the value").isTrue();
    }

    @Test
    @DisplayName("alignment() is what the address of offset 0 is divisible by")
    void shouldReportTheAlignmentOfOffsetZero() {
        FlatGuestMemory m = new FlatGuestMemory(BASE, BYTES);
        assertThat(new GuestMemoryBuffer(m, BASE + 0x40, 8).alignment()).isEqualTo(0x40);
        assertThat(new GuestMemoryBuffer(m, BASE + 2, 8).alignment()).isEqualTo(2);
        assertThat(new GuestMemoryBuffer(m, 0x1000, 8).alignment()).isEqualTo(0x1000);
        assertThat(new SegmentBuffer(m.segment).alignment()).isEqualTo(Long.BYTES);
        assertThat(new SegmentBuffer(m.segment.asSlice(4)).alignment()).isEqualTo(4);
        assertThat(SegmentBuffer.allocate(16).alignment()).isGreaterThanOrEqualTo(Long.BYTES);
    }

    @Test
    void shouldAllocateAPrivateBufferThatTakesEveryOrderedAccess() {
        SegmentBuffer b = SegmentBuffer.allocate(20);
        assertThat(b.capacity()).isEqualTo(20);
        assertThat(b.isZero(0, 20)).isTrue();
        b.putLongRelease(8, 42);
        assertThat(b.getAndAddLong(8, 1)).isEqualTo(42);
        assertThatThrownBy(() -> b.getLong(16)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
