package org.parasol.examples.blkbench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BlkBenchOptionsTest {

    @Test
    @DisplayName("no options: one random 4 KiB read test at depth 1, every feature asked for, 200 ms warm-up, 1 s timed")
    void shouldDefault() {
        BlkBenchOptions o = BlkBenchOptions.parse("clock=pit");

        assertThat(o.tests()).containsExactly(new BlkBenchOptions.Test("randread", 4096, 1));
        assertThat(o).extracting(BlkBenchOptions::queues, BlkBenchOptions::order, BlkBenchOptions::persistent,
                BlkBenchOptions::indirect, BlkBenchOptions::warmupMs, BlkBenchOptions::timeMs, BlkBenchOptions::maxBytes,
                BlkBenchOptions::gapMs, BlkBenchOptions::seed).containsExactly(1, 0, true, true, 200L, 1000L, 0L, 20L, 1L);
    }

    @Test
    @DisplayName("one test from mode/bs/qd with size suffixes, or several from runs=, and the features")
    void shouldParseTestsAndFeatures() {
        BlkBenchOptions one = BlkBenchOptions.parse("mode=write bs=64K qd=8 queues=4 order=2 persistent=0 indirect=0"
                + " warmup=0 time=0 bytes=1G gap=0 seed=7");
        BlkBenchOptions many = BlkBenchOptions.parse("runs=read/64k/8,randread/4096/32,randwrite/1M/2");

        assertThat(one.tests()).containsExactly(new BlkBenchOptions.Test("write", 65536, 8));
        assertThat(one).extracting(BlkBenchOptions::queues, BlkBenchOptions::order, BlkBenchOptions::persistent,
                BlkBenchOptions::indirect, BlkBenchOptions::maxBytes, BlkBenchOptions::seed)
                .containsExactly(4, 2, false, false, 1L << 30, 7L);
        assertThat(many.tests()).isEqualTo(List.of(new BlkBenchOptions.Test("read", 65536, 8),
                new BlkBenchOptions.Test("randread", 4096, 32), new BlkBenchOptions.Test("randwrite", 1 << 20, 2)));
        assertThat(many.tests().get(2).random()).isTrue();
        assertThat(many.tests().get(2).write()).isTrue();
    }

    @Test
    @DisplayName("a bad word is refused with what is wrong with it")
    void shouldRefuseBadWords() {
        assertThatThrownBy(() -> BlkBenchOptions.parse("mode=scan")).hasMessageContaining("mode must be read, write");
        assertThatThrownBy(() -> BlkBenchOptions.parse("bs=1000")).hasMessageContaining("multiple of 512");
        assertThatThrownBy(() -> BlkBenchOptions.parse("bs=8M")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> BlkBenchOptions.parse("qd=0")).hasMessageContaining("qd 0 is out of range 1..256");
        assertThatThrownBy(() -> BlkBenchOptions.parse("runs=read/4K")).hasMessageContaining("is not MODE/BS/QD");
        assertThatThrownBy(() -> BlkBenchOptions.parse("time=0")).hasMessageContaining("time=0 needs bytes=N");
        assertThatThrownBy(() -> BlkBenchOptions.parse("queues=99")).hasMessageContaining("queues 99 is out of range");
        assertThatThrownBy(() -> BlkBenchOptions.parse("bs=4K qdepth=8")).hasMessageStartingWith("blkbench: unknown parameter 'qdepth=8'");
        assertThatThrownBy(() -> BlkBenchOptions.parse("bs=4X")).hasMessage("blkbench: bs is not a decimal number: '4X'");
    }
}
