package org.parasol.guest.pvops;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class PvClockTest {

    @Property
    @Label("pvclock_scale_delta: ((delta shifted by tsc_shift) * mul) >> 32 with a 96-bit product")
    void shouldScaleLikeTheWideProduct(@ForAll @LongRange(min = 0, max = 1L << 50) long delta,
            @ForAll int mul, @ForAll @IntRange(min = -8, max = 8) int shift) {
        BigInteger d = BigInteger.valueOf(shift >= 0 ? delta << shift : delta >>> -shift);
        if (shift >= 0 && (delta << shift) >>> shift != delta) {
            return; // the shifted delta would overflow 64 bits: Xen's own deltas never do
        }
        long expected = d.multiply(BigInteger.valueOf(mul & 0xFFFF_FFFFL)).shiftRight(32).longValue();
        assertThat(PvClock.scale(delta, mul, shift)).isEqualTo(expected);
    }
}
