package org.parasol.examples.blkcrash;

/**
 * The self-describing 4 KiB block blkcrash writes: 512 little-endian 64-bit words.
 *
 * <pre>
 *  word 0        MAGIC
 *  word 1        the block's number on the disk (block b starts at byte 4096 * b)
 *  word 2        the generation that wrote it (1, 2, ...)
 *  word 3        the checksum: FNV-1a over 64-bit words of every other word, in order
 *                (h = 0xCBF29CE484222325; for each word w: h = (h ^ w) * 0x100000001B3),
 *                then h ^ (h &gt;&gt;&gt; 32)
 *  words 4..511  payload: word i is splitmix64's finaliser of
 *                generation * 0x9E3779B97F4A7C15 + block * 0xC2B2AE3D27D4EB4F + i
 * </pre>
 *
 * A block of all zeroes is <em>empty</em> (never written: a fresh sparse image). Anything else
 * that is not exactly the block {@code (number, generation)} for its own position is
 * <em>damaged</em>: a wrong magic, a block number other than its position (a misdirected
 * write), a bad checksum (a torn or mixed block) or a payload that is not the one its header
 * names. The host's checker ({@code BlkCrashTest}) implements the same definition on its own.
 */
public final class BlkCrashBlock {
    /** Bytes per block. */
    public static final int SIZE = 4096;
    /** 64-bit words per block. */
    public static final int WORDS = SIZE / 8;
    /** "PCRASH1\0" read as a little-endian word. */
    public static final long MAGIC = 0x0031485341524350L;

    private static final int W_MAGIC = 0;
    private static final int W_BLOCK = 1;
    private static final int W_GENERATION = 2;
    private static final int W_CHECKSUM = 3;
    private static final int W_PAYLOAD = 4;

    private BlkCrashBlock() {
    }

    /** What a block on the disk turned out to be. */
    public enum State {
        EMPTY, VALID, DAMAGED
    }

    /** The payload word {@code i} of block {@code block} written by {@code generation}. */
    public static long payload(long block, long generation, int i) {
        long z = generation * 0x9E3779B97F4A7C15L + block * 0xC2B2AE3D27D4EB4FL + i;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The checksum of {@code words}: FNV-1a over every word but the checksum's own, folded. */
    public static long checksum(long[] words) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < WORDS; i++) {
            if (i != W_CHECKSUM) {
                h = (h ^ words[i]) * 0x100000001B3L;
            }
        }
        return h ^ (h >>> 32);
    }

    /** Fills {@code words} with block {@code block} of generation {@code generation}. */
    public static void fill(long[] words, long block, long generation) {
        words[W_MAGIC] = MAGIC;
        words[W_BLOCK] = block;
        words[W_GENERATION] = generation;
        for (int i = W_PAYLOAD; i < WORDS; i++) {
            words[i] = payload(block, generation, i);
        }
        words[W_CHECKSUM] = checksum(words);
    }

    /** The generation a block names (meaningful for a {@link State#VALID} one). */
    public static long generation(long[] words) {
        return words[W_GENERATION];
    }

    /** Whether {@code words}, read from block {@code block} of the disk, is empty, valid or damaged. */
    public static State classify(long[] words, long block) {
        boolean zero = true;
        for (long w : words) {
            if (w != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return State.EMPTY;
        }
        long generation = words[W_GENERATION];
        if (words[W_MAGIC] != MAGIC || words[W_BLOCK] != block || generation < 1
                || words[W_CHECKSUM] != checksum(words)) {
            return State.DAMAGED;
        }
        for (int i = W_PAYLOAD; i < WORDS; i++) {
            if (words[i] != payload(block, generation, i)) {
                return State.DAMAGED;
            }
        }
        return State.VALID;
    }
}
