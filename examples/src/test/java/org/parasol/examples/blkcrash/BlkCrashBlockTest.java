package org.parasol.examples.blkcrash;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.examples.blkcrash.BlkCrashBlock.State;

/** The block format blkcrash writes and recovers from: what it calls valid, empty and damaged. */
class BlkCrashBlockTest {

    private static long[] block(long b, long g) {
        long[] w = new long[BlkCrashBlock.WORDS];
        BlkCrashBlock.fill(w, b, g);
        return w;
    }

    @Test
    @DisplayName("a filled block is valid at its own position and names its generation; zeroes are empty")
    void shouldClassifyWhatItWrote() {
        long[] w = block(17, 123);

        assertThat(BlkCrashBlock.classify(w, 17)).isEqualTo(State.VALID);
        assertThat(BlkCrashBlock.generation(w)).isEqualTo(123);
        assertThat(w[0]).isEqualTo(BlkCrashBlock.MAGIC);
        assertThat(BlkCrashBlock.classify(new long[BlkCrashBlock.WORDS], 17)).isEqualTo(State.EMPTY);
    }

    @Test
    @DisplayName("a block elsewhere, a changed payload word, a changed header or a bad checksum is damaged")
    void shouldCallEveryChangeDamaged() {
        assertThat(BlkCrashBlock.classify(block(17, 123), 18)).as("misplaced").isEqualTo(State.DAMAGED);
        for (int i = 0; i < BlkCrashBlock.WORDS; i++) {
            long[] w = block(17, 123);
            w[i] ^= 1L << (i % 64);
            assertThat(BlkCrashBlock.classify(w, 17)).as("word %d changed", i).isEqualTo(State.DAMAGED);
        }
        // The generation changed with the checksum recomputed: the payload still gives it away.
        long[] w = block(17, 123);
        w[2] = 124;
        w[3] = BlkCrashBlock.checksum(w);
        assertThat(BlkCrashBlock.classify(w, 17)).isEqualTo(State.DAMAGED);
    }

    @Test
    @DisplayName("generation g writes the batch starting at g * batch, wrapping round the disk")
    void shouldPlaceGenerationsRoundTheDisk() {
        assertThat(BlkCrashKernel.firstBlock(1, 8, 256)).isEqualTo(8);
        assertThat(BlkCrashKernel.firstBlock(32, 8, 256)).isZero();
        assertThat(BlkCrashKernel.firstBlock(33, 8, 100)).isEqualTo(64);
    }
}
