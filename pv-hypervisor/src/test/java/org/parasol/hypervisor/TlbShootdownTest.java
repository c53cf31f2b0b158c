package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.MachineMemory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * A frame may be unmapped (or change type, or be freed) only after every vCPU that may cache
 * its translation has acknowledged a flush: a vCPU keeps writing through a mapping while the
 * hypervisor repoints the PTE and shoots down the TLBs; no write lands in the old frame after
 * the shootdown returns.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlbShootdownTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    private Hypervisor hv;

    @AfterEach
    void close() {
        if (hv != null) {
            assertThat(hv.unhandledExceptions()).isZero();
            hv.close();
        }
    }

    /** The machine address of the L1 entry mapping {@code va}, walking from {@code l4Mfn}. */
    static long l1EntryAddress(MemorySegment mem, long l4Mfn, long va) {
        long table = l4Mfn;
        for (int level = 4; level > 1; level--) {
            int index = (int) ((va >>> (12 + 9 * (level - 1))) & 511);
            long entry = mem.get(ValueLayout.JAVA_LONG, MachineMemory.maddr(table) + 8L * index);
            table = (entry >>> 12) & ((1L << 40) - 1);
        }
        return MachineMemory.maddr(table) + 8L * ((va >>> 12) & 511);
    }

    @RepeatedTest(5)
    @DisplayName("no write lands in a frame after the shootdown that unmapped it returns")
    void shouldStopWritesThroughARemovedMappingOnceTheShootdownReturns() throws Exception {
        hv = leaks.track(Hypervisor.boot(HostConfig.defaults(16L << 20).withPcpus(2)));
        AtomicBoolean started = new AtomicBoolean();
        AtomicLong target = new AtomicLong();
        GuestKernel writer = (cpu, si) -> {
            long va = TestKernels.scratch(cpu, si) + 8 * 4096;
            target.set(va);
            started.set(true);
            long i = 1;
            while (true) {
                cpu.memory().putLong(va, i++);
            }
        };
        Domain d = hv.createDomain(DomainConfig.of("writer", null, 1), writer);
        Eventually.until(Duration.ofSeconds(10), started::get);
        MemorySegment mem = hv.machine().segment();
        long va = target.get();
        long pte = l1EntryAddress(mem, d.layout().l4Mfn(), va);
        long oldEntry = mem.get(ValueLayout.JAVA_LONG, pte);
        long oldFrame = MachineMemory.maddr((oldEntry >>> 12) & ((1L << 40) - 1));
        long newFrameMfn = (mem.get(ValueLayout.JAVA_LONG, l1EntryAddress(mem, d.layout().l4Mfn(), va + 4096)) >>> 12)
                & ((1L << 40) - 1);
        Eventually.until(Duration.ofSeconds(10), () -> mem.get(ValueLayout.JAVA_LONG, oldFrame) > 1000);

        // Repoint the PTE at the next page's frame, as a validated update would, then shoot down.
        mem.set(ValueLayout.JAVA_LONG, pte, (oldEntry & 0xFFF) | (newFrameMfn << 12));
        assertThat(d.flushTlbs(TimeUnit.SECONDS.toNanos(10))).isTrue();
        long frozen = mem.get(ValueLayout.JAVA_LONG, oldFrame);
        long newBefore = mem.get(ValueLayout.JAVA_LONG, MachineMemory.maddr(newFrameMfn));
        Eventually.until(Duration.ofSeconds(10),
                () -> mem.get(ValueLayout.JAVA_LONG, MachineMemory.maddr(newFrameMfn)) > newBefore + 1000);
        assertThat(mem.get(ValueLayout.JAVA_LONG, oldFrame)).as("old frame after the shootdown").isEqualTo(frozen);
        // The repointing above bypassed the frame accounting (the old frame keeps the reference its
        // entry took, the new one has two entries and one reference): put the entry back before
        // the destroy devalidates the table, or the old frame outlives the domain.
        mem.set(ValueLayout.JAVA_LONG, pte, oldEntry);
        assertThat(d.flushTlbs(TimeUnit.SECONDS.toNanos(10))).isTrue();
        assertThat(hv.destroy(d)).isTrue();
    }
}
