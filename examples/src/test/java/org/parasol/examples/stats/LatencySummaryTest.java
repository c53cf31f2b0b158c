package org.parasol.examples.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles of round-trip samples. */
class LatencySummaryTest {

    @Test
    void shouldTakeNearestRanksOfOneToAHundred() {
        long[] samples = new long[100];
        for (int i = 0; i < 100; i++) {
            samples[i] = 100 - i; // reversed: of() sorts
        }

        LatencySummary s = LatencySummary.of(samples, 100);

        assertThat(s).isEqualTo(new LatencySummary(100, 1, 50, 99, 100));
        assertThat(s.percentiles()).isEqualTo("p50 0.1 us, p99 0.1 us, max 0.1 us");
    }

    @Test
    void shouldGiveTheOnlySampleForEveryPercentileOfOne() {
        assertThat(LatencySummary.of(new long[] {7_500}, 1)).isEqualTo(new LatencySummary(1, 7_500, 7_500, 7_500, 7_500));
    }

    @Test
    void shouldSummariseOnlyTheFirstCountSamples() {
        long[] samples = {30, 10, 20, 1_000_000};

        assertThat(LatencySummary.of(samples, 3)).isEqualTo(new LatencySummary(3, 10, 20, 30, 30));
    }

    @Test
    void shouldPrintMicroseconds() {
        assertThat(new LatencySummary(3, 1_000, 12_345, 45_678, 1_234_567).percentiles())
                .isEqualTo("p50 12.3 us, p99 45.7 us, max 1234.6 us");
    }

    @Test
    void shouldRefuseNoSamplesAndPercentilesOutOfRange() {
        assertThatThrownBy(() -> LatencySummary.of(new long[4], 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencySummary.of(new long[4], 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencySummary.nearestRank(new long[] {1}, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LatencySummary.nearestRank(new long[] {1}, 1, 101)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    void shouldBeMeasuredValuesWithAtLeastPPercentAtOrBelow(
            @ForAll @Size(min = 1, max = 300) long[] raw, @ForAll @IntRange(min = 1, max = 100) int percent) {
        long[] sorted = raw.clone();
        Arrays.sort(sorted);

        long v = LatencySummary.nearestRank(sorted, sorted.length, percent);

        long atOrBelow = Arrays.stream(sorted).filter(x -> x <= v).count();
        long below = Arrays.stream(sorted).filter(x -> x < v).count();
        assertThat(Arrays.stream(sorted).anyMatch(x -> x == v)).isTrue();
        assertThat(atOrBelow * 100).isGreaterThanOrEqualTo((long) percent * sorted.length);
        assertThat(below * 100).isLessThan((long) percent * sorted.length);
    }

    @Property
    void shouldOrderMinMedianP99Max(@ForAll @Size(min = 1, max = 300) long @LongRange(min = 0, max = 10_000_000_000L) [] raw) {
        LatencySummary s = LatencySummary.of(raw.clone(), raw.length);

        assertThat(s.min()).isLessThanOrEqualTo(s.p50());
        assertThat(s.p50()).isLessThanOrEqualTo(s.p99());
        assertThat(s.p99()).isLessThanOrEqualTo(s.max());
        assertThat(s.max()).isEqualTo(Arrays.stream(raw).max().orElseThrow());
    }
}
