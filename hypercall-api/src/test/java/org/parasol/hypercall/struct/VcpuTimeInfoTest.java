package org.parasol.hypercall.struct;

import static org.assertj.core.api.Assertions.assertThat;
import org.parasol.hypercall.SegmentBuffer;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class VcpuTimeInfoTest {

    @Test
    @DisplayName("now = system_time + ((delta << shift) * mul >> 32)")
    void shouldConvertTscToSystemTime() {
        SegmentBuffer segment = new SegmentBuffer(MemorySegment.ofArray(new byte[32]));
        // A 2 GHz TSC: 0.5 ns per tick = mul 2^31 with shift 0.
        VcpuTimeInfo time = new VcpuTimeInfo().wrap(segment, 0)
                .tscTimestamp(1_000_000).systemTime(5_000).tscToSystemMul(1L << 31).tscShift(0);

        assertThat(time.systemTimeAt(1_000_000)).isEqualTo(5_000);
        assertThat(time.systemTimeAt(1_002_000)).isEqualTo(6_000);
        // A 500 MHz TSC: 2 ns per tick = mul 2^31 with shift 2.
        time.tscShift(2);
        assertThat(time.systemTimeAt(1_002_000)).isEqualTo(9_000);
        // Negative shift halves the delta before multiplying.
        time.tscShift(-1).tscToSystemMul(0xFFFF_FFFFL);
        assertThat(VcpuTimeInfo.scaleDelta(4, 0xFFFF_FFFFL, -1)).isEqualTo(1);
    }

    @Test
    void shouldKeepBitsAboveSixtyFourOfTheProduct() {
        // (2^64 - 1) * (2^32 - 1) >> 32 needs the high word of the 128-bit product.
        assertThat(VcpuTimeInfo.scaleDelta(-1L, 0xFFFF_FFFFL, 0)).isEqualTo(0xFFFF_FFFE_FFFF_FFFFL);
    }

    @Property(tries = 500)
    void shouldMatchExactArithmetic(@ForAll long delta, @ForAll int mul, @ForAll @IntRange(min = -31, max = 31) int shift) {
        BigInteger unsignedDelta = new BigInteger(Long.toUnsignedString(delta));
        BigInteger mask64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        BigInteger shifted = shift >= 0 ? unsignedDelta.shiftLeft(shift).and(mask64) : unsignedDelta.shiftRight(-shift);
        BigInteger expected = shifted.multiply(BigInteger.valueOf(Integer.toUnsignedLong(mul))).shiftRight(32).and(mask64);

        assertThat(VcpuTimeInfo.scaleDelta(delta, Integer.toUnsignedLong(mul), shift)).isEqualTo(expected.longValue());
    }
}
