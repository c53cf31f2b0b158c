package org.parasol.examples.stats;

import java.util.Arrays;

/**
 * Latency samples summarised as the percentiles the examples print: pingpong's round trips
 * and xenstore-bench's watch events. Images cannot use HdrHistogram (its code is outside the
 * guest's JDK allow-list), so the samples are kept in a plain array and sorted once.
 *
 * <p>Percentiles use the nearest-rank definition: the p-th percentile of n sorted samples is
 * the sample at rank {@code ceil(p / 100 * n)} (1-based), so it is always a measured value,
 * p100 is the maximum and p50 of an even count is the lower middle.
 *
 * @param count  samples
 * @param min    smallest, ns
 * @param p50    median, ns
 * @param p99    99th percentile, ns
 * @param max    largest, ns
 */
public record LatencySummary(int count, long min, long p50, long p99, long max) {

    /**
     * Summarises the first {@code count} entries of {@code samples}, sorting them in place.
     *
     * @throws IllegalArgumentException if {@code count} is not in {@code 1 ..= samples.length}
     */
    public static LatencySummary of(long[] samples, int count) {
        if (count < 1 || count > samples.length) {
            throw new IllegalArgumentException("need 1.." + samples.length + " samples, got " + count);
        }
        Arrays.sort(samples, 0, count);
        return new LatencySummary(count, samples[0], nearestRank(samples, count, 50), nearestRank(samples, count, 99),
                samples[count - 1]);
    }

    /** The {@code percent}-th percentile (0 < percent <= 100) of the sorted {@code sorted[0 ..< count]}. */
    public static long nearestRank(long[] sorted, int count, int percent) {
        if (percent <= 0 || percent > 100) {
            throw new IllegalArgumentException("percentile must be 1..100: " + percent);
        }
        long rank = ((long) percent * count + 99) / 100; // ceil(percent * count / 100), at least 1
        return sorted[(int) rank - 1];
    }

    /** {@code p50 12.3 us, p99 45.6 us, max 78.9 us}. */
    public String percentiles() {
        return String.format("p50 %.1f us, p99 %.1f us, max %.1f us", p50 / 1e3, p99 / 1e3, max / 1e3);
    }
}
