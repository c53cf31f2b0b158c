package org.parasol.drivers.blk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * blkback's budget of long-lived mappings in dom0's grant mapping window, driven as blkback drives
 * it (a disk joins, maps while {@link MappingBudget#mayMap} says so, gives back what it held when
 * its connection ends, leaves), against a model of the window's free slots.
 */
class MappingBudgetProperties {
    private static final int GUESTS = 3;

    /** One step: disk {@code disk} of guest {@code guest} maps {@code n} pages (as many as it may), disconnects, or goes. */
    record Op(int kind, int guest, int disk, int n) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0, GUESTS - 1).flatMap(g -> Arbitraries
                        .integers().between(0, 2).flatMap(d -> Arbitraries.integers().between(1, 300)
                                .map(n -> new Op(0, g, d, n))))),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, GUESTS * 3 - 1)
                        .map(i -> new Op(1, i / 3, i % 3, 0))),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, GUESTS * 3 - 1)
                        .map(i -> new Op(2, i / 3, i % 3, 0))));
        return op.list().ofMaxSize(200);
    }

    /** A disk as blkback holds it: its guest's share, and the long-lived mappings it holds. */
    private static final class Disk {
        MappingBudget.Guest share;
        int held;
    }

    @Property
    @Label("no guest holds more than its share of the window, and long-lived mappings never eat into the rings' reserve")
    void shouldKeepEachGuestWithinItsShareAndTheReserveFree(@ForAll("ops") List<Op> ops,
            @ForAll @IntRange(min = 64, max = 2048) int window, @ForAll @IntRange(min = 0, max = 1024) int perGuest,
            @ForAll @IntRange(min = 0, max = 128) int reserve) {
        MappingBudget budget = new MappingBudget(perGuest, reserve);
        Disk[][] disks = new Disk[GUESTS][3];
        int free = window;
        for (Op op : ops) {
            Disk disk = disks[op.guest()][op.disk()];
            switch (op.kind()) {
                case 0 -> {
                    if (disk == null) {
                        disk = disks[op.guest()][op.disk()] = new Disk();
                        disk.share = budget.join(op.guest());
                    }
                    for (int i = 0; i < op.n() && budget.mayMap(disk.share, free); i++) {
                        budget.mapped(disk.share);
                        disk.held++;
                        free--;
                    }
                }
                case 1 -> {
                    if (disk != null) {
                        budget.unmapped(disk.share, disk.held);
                        free += disk.held;
                        disk.held = 0;
                    }
                }
                default -> {
                    if (disk != null) {
                        budget.unmapped(disk.share, disk.held);
                        free += disk.held;
                        budget.leave(disk.share);
                        disks[op.guest()][op.disk()] = null;
                    }
                }
            }
            assertThat(free).as("free slots").isGreaterThanOrEqualTo(Math.min(window, reserve));
            int withDisks = 0;
            for (Disk[] guest : disks) {
                int held = 0;
                MappingBudget.Guest share = null;
                for (Disk d : guest) {
                    if (d != null) {
                        held += d.held;
                        assertThat(share == null || share == d.share).as("one share per guest").isTrue();
                        share = d.share;
                    }
                }
                if (share != null) {
                    withDisks++;
                    assertThat(share.mapped()).isEqualTo(held).isLessThanOrEqualTo(perGuest);
                }
            }
            assertThat(budget.guests()).as("a share lives as long as one of its guest's disks").isEqualTo(withDisks);
        }
    }

    @Property
    @Label("one guest mapping all it can, over several disks, leaves another at least window - reserve - perGuest slots")
    void shouldLeaveOtherGuestsTheirRoom(@ForAll @IntRange(min = 1, max = 4) int hoarderDisks,
            @ForAll @IntRange(min = 0, max = 4000) int tries) {
        int window = org.parasol.guest.kernel.Kernel.GRANT_MAP_SLOTS;
        MappingBudget budget = new MappingBudget(BlkBackend.MAX_MAPPED_PER_GUEST, BlkBackend.RING_RESERVE);
        int free = window;
        List<MappingBudget.Guest> hoarder = new ArrayList<>();
        for (int d = 0; d < hoarderDisks; d++) {
            hoarder.add(budget.join(1));
        }
        for (int i = 0; i < tries; i++) {
            MappingBudget.Guest g = hoarder.get(i % hoarderDisks);
            if (budget.mayMap(g, free)) {
                budget.mapped(g);
                free--;
            }
        }
        MappingBudget.Guest victim = budget.join(2);
        int got = 0;
        while (budget.mayMap(victim, free)) {
            budget.mapped(victim);
            free--;
            got++;
        }

        assertThat(hoarder.get(0).mapped()).isEqualTo(Math.min(tries, BlkBackend.MAX_MAPPED_PER_GUEST));
        assertThat(got).isEqualTo(BlkBackend.MAX_MAPPED_PER_GUEST);
        assertThat(free).isGreaterThanOrEqualTo(BlkBackend.RING_RESERVE);
        assertThat(window - BlkBackend.RING_RESERVE - BlkBackend.MAX_MAPPED_PER_GUEST)
                .as("the room one guest leaves the others").isGreaterThanOrEqualTo(BlkBackend.MAX_MAPPED_PER_GUEST);
    }

    @Example
    void shouldRefuseToGiveBackMoreThanWasMapped() {
        MappingBudget budget = new MappingBudget(4, 0);
        MappingBudget.Guest g = budget.join(7);
        budget.mapped(g);

        assertThatThrownBy(() -> budget.unmapped(g, 2)).isInstanceOf(IllegalStateException.class);
    }
}
