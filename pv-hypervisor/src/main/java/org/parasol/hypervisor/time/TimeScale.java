package org.parasol.hypervisor.time;

/**
 * The simulated time-stamp counter and its conversion to nanoseconds, as Xen publishes it in
 * {@code vcpu_time_info}: {@code ns = ((tsc_delta << shift) * mul) >> 32} with {@code shift}
 * negative meaning a right shift. The multiplier is chosen as Xen's {@code set_time_scale}
 * does, so that the scaled rate lies in (1 GHz, 2 GHz] and {@code mul} uses all 32 bits.
 */
public final class TimeScale {
    private static final long NS_PER_S = 1_000_000_000L;

    private final long tscHz;
    private final int mul;
    private final int shift;

    /** A TSC running at {@code tscHz} ticks per second of system time. */
    public TimeScale(long tscHz) {
        if (tscHz < 1_000_000L || tscHz > 100_000_000_000L) {
            throw new IllegalArgumentException("TSC rate out of range (1 MHz .. 100 GHz): " + tscHz);
        }
        this.tscHz = tscHz;
        long tps = tscHz;
        int s = 0;
        while (tps > 2 * NS_PER_S) {
            tps >>= 1;
            s--;
        }
        while (tps <= NS_PER_S) {
            tps <<= 1;
            s++;
        }
        this.shift = s;
        this.mul = (int) ((NS_PER_S << 32) / tps);
    }

    /** Ticks per second. */
    public long tscHz() {
        return tscHz;
    }

    /** {@code tsc_to_system_mul}: a 32.32 fixed-point multiplier (unsigned). */
    public int mul() {
        return mul;
    }

    /** {@code tsc_shift} (signed). */
    public int shift() {
        return shift;
    }

    /** The TSC value at {@code systemTimeNs} nanoseconds since boot. */
    public long tscAt(long systemTimeNs) {
        long sec = systemTimeNs / NS_PER_S;
        long rem = systemTimeNs % NS_PER_S;
        return sec * tscHz + rem * tscHz / NS_PER_S;
    }

    /** Converts a TSC delta to nanoseconds with {@code mul} and {@code shift}, as a guest does. */
    public static long scaleDelta(long delta, int mul, int shift) {
        long d = shift >= 0 ? delta << shift : delta >>> -shift;
        long m = mul & 0xFFFF_FFFFL;
        long hi = Math.multiplyHigh(d, m);
        long lo = d * m;
        return (hi << 32) | (lo >>> 32);
    }
}
