package org.parasol.examples.blkcheck;

/**
 * The pseudo-random pattern blkcheck writes: the 64-bit little-endian word at byte offset
 * {@code 8 * i} of the disk is {@code splitmix64(seed + i)}, so any block can be checked on its
 * own, by the guest or by the host reading the image file.
 */
public final class BlkPattern {
    private BlkPattern() {
    }

    /** SplitMix64's golden-ratio increment. */
    private static final long GAMMA = 0x9E3779B97F4A7C15L;

    /** The word at word index {@code i} (byte offset {@code 8 * i}) for {@code seed}. */
    public static long word(long seed, long i) {
        long z = seed + (i + 1) * GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
