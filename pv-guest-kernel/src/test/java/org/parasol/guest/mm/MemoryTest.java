package org.parasol.guest.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MemoryTest {

    @Test
    void shouldFindWhereTheBuildersMappingEnds() {
        FakeDomainMemory d = new FakeDomainMemory(2048, 512);
        assertThat(Memory.probeMappedEnd(d.tables, d.firstFree(), 2048)).isEqualTo(512);
        assertThat(Memory.probeMappedEnd(new FakeDomainMemory(300, 300).tables, 10, 300)).isEqualTo(300);
    }

    @Test
    @DisplayName("frames beyond the builder's map are mapped on first allocation: new L1s zeroed, made read-only, hooked, in few batches")
    void shouldMapTheUnmappedRestOnDemandInLazyBatches() {
        FakeDomainMemory d = new FakeDomainMemory(2048, 512);
        Memory m = d.memory();
        int reserved = m.tablesReserved();
        assertThat(reserved).as("an L1 per 2 MiB of the unmapped 6 MiB, and a spare").isEqualTo(4);
        long mappedFree = 512 - d.firstFree() - reserved;
        PageRun low = m.allocatePages((int) mappedFree);
        assertThat(m.mappedOnDemand()).isZero();
        int batchesBefore = d.ops.flushes;

        PageRun run = m.allocatePages(600);

        assertThat(run.pfn()).isEqualTo(512);
        assertThat(m.mappedOnDemand()).isEqualTo(600);
        assertThat(d.ops.flushes - batchesBefore).as("one batch per new table hook, one for the run").isLessThanOrEqualTo(4);
        for (long p = run.pfn(); p < run.pfn() + run.count(); p++) {
            long pte = d.tables.leafEntry(Memory.va(p));
            assertThat(pte >>> 12).as("pfn %d maps its mfn", p).isEqualTo(FakeDomainMemory.MFN_BASE + p);
            assertThat(pte & 3).isEqualTo(3);
        }
        // Each new table's own mapping was made read-only before it was hooked in.
        assertThat(d.ops.applied).filteredOn(u -> u[0] < 0).hasSize(2)
                .allSatisfy(u -> assertThat(u[1] & 2).as("RW clear").isZero());
        m.freePages(run);
        m.freePages(low);
        assertThat(m.tablesReserved()).as("two reserved frames became L1 tables").isEqualTo(2);
        assertThat(m.allocatePages(600).pfn()).as("first fit after the reserve").isEqualTo(d.firstFree() + reserved);
    }

    @Test
    void shouldMapEveryFrameOfTheDomain() {
        FakeDomainMemory d = new FakeDomainMemory(1600, 512);
        Memory m = d.memory();
        long free = m.frames().freeFrames();
        for (long i = 0; i < free; i++) {
            m.allocatePages(1);
        }
        assertThat(m.mappedOnDemand()).isEqualTo(1600 - 512);
        assertThatThrownBy(() -> m.allocatePages(1)).isInstanceOf(GuestOutOfMemoryException.class);
    }

    @Test
    @DisplayName("a new table is mapped read-only before it is hooked: no writable mapping of a page table remains")
    void shouldLeaveNewTablesMappedReadOnly() {
        FakeDomainMemory d = new FakeDomainMemory(1024, 512);
        Memory m = d.memory();
        m.allocatePages((int) (512 - d.firstFree() - m.tablesReserved()));
        m.allocatePages(1); // the first unmapped frame: needs a new L1
        long newTable = d.tables.tableOf(Memory.va(512), 1);
        long tablePfn = newTable - FakeDomainMemory.MFN_BASE;
        long pte = d.tables.leafEntry(Memory.va(tablePfn));
        assertThat(pte & 1).as("still mapped").isEqualTo(1);
        assertThat(pte & 2).as("not writable").isZero();
    }

    @Test
    void shouldUnmapThroughUpdateVaMapping() {
        FakeDomainMemory d = new FakeDomainMemory(64, 64);
        long va = Memory.va(40);
        assertThat(d.tables.isMapped(va)).isTrue();
        d.tables.unmap(va);
        assertThat(d.tables.isMapped(va)).isFalse();
        assertThat(d.ops.applied).last().satisfies(u -> assertThat(u).containsExactly(-va, 0L));
    }

    @Test
    void shouldHandOutZeroedPages() {
        FakeDomainMemory d = new FakeDomainMemory(64, 64);
        Memory m = d.memory();
        PageRun r = m.allocatePages(2);
        d.mem.putLong(r.va() + 4096, -1);
        m.freePages(r);
        PageRun again = m.allocatePages(2);
        assertThat(again.pfn()).isEqualTo(r.pfn());
        assertThat(d.mem.getLong(again.va() + 4096)).isZero();
    }
}
