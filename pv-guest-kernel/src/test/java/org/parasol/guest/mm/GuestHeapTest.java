package org.parasol.guest.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import org.junit.jupiter.api.Test;

class GuestHeapTest {

    @Property(tries = 100)
    @Label("buffers are aligned, zeroed when handed out, and never overlap a live one")
    void shouldKeepLiveBuffersAlignedZeroedAndDisjoint(
            @ForAll @Size(max = 120) List<@IntRange(min = -3000, max = 9000) Integer> sizes,
            @ForAll @Size(min = 1, max = 120) List<@IntRange(min = 0, max = 12) Integer> alignShifts) {
        FakeDomainMemory d = new FakeDomainMemory(512, 512);
        GuestHeap heap = new GuestHeap(d.memory());
        List<GuestBuffer> live = new ArrayList<>();
        int i = 0;
        for (int s : sizes) {
            if (s <= 0) {
                if (!live.isEmpty()) {
                    live.remove(Math.floorMod(s, live.size())).close();
                }
                continue;
            }
            long align = 1L << alignShifts.get(i++ % alignShifts.size());
            GuestBuffer b = heap.allocate(s, align);
            assertThat(b.va() % align).isZero();
            assertThat(d.mem.getByte(b.va())).isZero();
            assertThat(d.mem.getByte(b.va() + s - 1)).isZero();
            for (GuestBuffer o : live) {
                boolean disjoint = b.va() + b.size() <= o.va() || o.va() + o.size() <= b.va();
                assertThat(disjoint).as("%s overlaps %s", b, o).isTrue();
            }
            d.mem.fill(b.va(), s, (byte) 0x5A); // dirty it: the next owner must still get zeroes
            live.add(b);
            assertThat(heap.liveBuffers()).isEqualTo(live.size());
        }
    }

    @Test
    void shouldGiveLargeBuffersWholePagesAndReuseSlots() {
        FakeDomainMemory d = new FakeDomainMemory(256, 256);
        GuestHeap heap = new GuestHeap(d.memory());
        GuestBuffer ring = heap.allocate(4096, 4096);
        assertThat(ring.pageBacked()).isTrue();
        assertThat(ring.va() % 4096).isZero();
        GuestBuffer small = heap.allocate(24);
        long va = small.va();
        small.close();
        small.close();
        assertThat(heap.allocate(30).va()).as("the freed 32-byte slot comes back").isEqualTo(va);
    }

    @Test
    void shouldRefuseBadSizesAndAlignments() {
        GuestHeap heap = new GuestHeap(new FakeDomainMemory(64, 64).memory());
        assertThatThrownBy(() -> heap.allocate(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> heap.allocate(8, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> heap.allocate(8, 8192)).isInstanceOf(IllegalArgumentException.class);
    }
}
