package org.parasol.guest.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;

class PageFrameAllocatorTest {

    @Test
    void shouldNeverHandOutTheStartOfDayRegion() {
        PageFrameAllocator a = new PageFrameAllocator(64, 10);
        assertThat(a.freeFrames()).isEqualTo(54);
        assertThat(a.allocate(1)).isEqualTo(10);
        assertThatThrownBy(() -> a.free(3, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldHandOutContiguousRunsAndRefuseWhenNoneIsLongEnough() {
        PageFrameAllocator a = new PageFrameAllocator(16, 0);
        long x = a.allocate(6);
        long y = a.allocate(6);
        assertThat(y).isEqualTo(x + 6);
        a.free(x + 2, 1); // a hole of one frame; four frames free at the end
        assertThat(a.allocate(5)).isEqualTo(-1);
        assertThat(a.allocate(4)).isEqualTo(12);
        assertThat(a.allocate(1)).isEqualTo(x + 2);
        assertThat(a.freeFrames()).isZero();
    }

    @Test
    void shouldRespectTheLimit() {
        PageFrameAllocator a = new PageFrameAllocator(32, 0);
        a.allocate(8);
        assertThat(a.allocate(1, 8)).isEqualTo(-1);
        assertThat(a.allocate(1, 9)).isEqualTo(8);
    }

    @Test
    void shouldRefuseADoubleFree() {
        PageFrameAllocator a = new PageFrameAllocator(8, 0);
        long p = a.allocate(2);
        a.free(p, 2);
        assertThatThrownBy(() -> a.free(p, 1)).isInstanceOf(IllegalStateException.class);
        assertThat(a.freeFrames()).isEqualTo(8);
    }

    @Property(tries = 300)
    @Label("random allocate/free sequences: no frame handed out twice, counts agree with a model")
    void shouldAgreeWithASetModel(@ForAll @IntRange(min = 1, max = 300) int nrPages,
            @ForAll @IntRange(min = 0, max = 40) int reserved,
            @ForAll @Size(max = 200) List<@IntRange(min = -8, max = 8) Integer> ops) {
        int first = Math.min(reserved, nrPages);
        PageFrameAllocator a = new PageFrameAllocator(nrPages, first);
        BitSet used = new BitSet();
        used.set(0, first);
        List<long[]> live = new ArrayList<>();
        for (int op : ops) {
            if (op > 0) {
                long p = a.allocate(op);
                if (p < 0) {
                    continue;
                }
                assertThat(p).isGreaterThanOrEqualTo(first);
                assertThat(p + op).isLessThanOrEqualTo(nrPages);
                assertThat(used.get((int) p, (int) p + op).isEmpty()).as("run %d+%d is free", p, op).isTrue();
                used.set((int) p, (int) p + op);
                live.add(new long[] {p, op});
            } else if (!live.isEmpty()) {
                long[] run = live.remove(Math.floorMod(op, live.size()));
                a.free(run[0], (int) run[1]);
                used.clear((int) run[0], (int) (run[0] + run[1]));
            }
            assertThat(a.freeFrames()).isEqualTo(nrPages - used.cardinality());
        }
    }
}
