package org.parasol.hypercall.io;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The Internet checksum's fold: RFC 1071's worked example, and the fold's arithmetic for any sum. */
class InternetChecksumTest {
    @Test
    @DisplayName("RFC 1071 section 3's example: 0001 f203 f4f5 f6f7 add to 2ddf0, fold to ddf2, complement to 220d")
    void shouldFoldRfc1071sExample() {
        long acc = 0x0001 + 0xf203 + 0xf4f5 + 0xf6f7;

        assertThat(acc).isEqualTo(0x2ddf0L);
        assertThat(InternetChecksum.fold(acc)).isEqualTo(0xddf2);
        assertThat(InternetChecksum.finish(acc)).isEqualTo(0x220d);
    }

    @Test
    @DisplayName("ones' complement: zero folds to zero, 0xFFFF and its multiples to 0xFFFF (negative zero), never to zero")
    void shouldKeepOnesComplementZeros() {
        assertThat(InternetChecksum.fold(0)).isZero();
        assertThat(InternetChecksum.finish(0)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0xFFFF)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0xFFFFL * 0x1_0001L)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.finish(0x1_FFFEL)).isZero();
    }

    @Property
    @Label("a sum of 16-bit words folds to 16 bits congruent to it modulo 0xFFFF, non-zero unless the sum is zero")
    void shouldFoldToTheSumModulo0xFFFF(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long acc) {
        int folded = InternetChecksum.fold(acc);

        assertThat(folded).isBetween(0, 0xFFFF);
        assertThat(folded % 0xFFFF).isEqualTo((int) (acc % 0xFFFF));
        assertThat(folded == 0).isEqualTo(acc == 0);
        assertThat(InternetChecksum.finish(acc)).isEqualTo(~folded & 0xFFFF);
    }
}
