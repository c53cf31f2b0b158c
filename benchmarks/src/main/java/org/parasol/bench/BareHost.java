package org.parasol.bench;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.Evtchn2l;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;
import org.parasol.hypervisor.time.ManualClock;

/**
 * A host with one bare domain whose vCPU 0 is attached to the benchmark thread: hypercalls
 * and guest memory accesses are issued directly, with no guest thread in between. The clock
 * is manual so no timer fires during a measurement. shared_info is mapped at
 * {@link StartOfDay#SHARED_INFO_VA} as a guest would map it.
 */
final class BareHost implements AutoCloseable {
    final Hypervisor hv;
    final Domain domain;
    final Cpu cpu;
    final GuestMemory mem;
    /** First free mapped page after the bootstrap page tables. */
    final long freeVa;
    /** Mapped pages from {@link #freeVa}. */
    final long freePages;

    BareHost(long domainMiB) throws DomainCreationException {
        hv = Hypervisor.boot(HostConfig.defaults((domainMiB + 8) << 20).withClock(new ManualClock()).withPcpus(1));
        domain = hv.createBareDomain(DomainConfig.of("bench", null, domainMiB));
        domain.vcpu(0).attach();
        cpu = domain.vcpu(0).cpu();
        mem = cpu.memory();
        long si = domain.startInfoVa();
        freeVa = firstFreeVa(mem, si);
        freePages = (domain.layout().mappedEnd() - freeVa) / 4096;
        mapSharedInfo(cpu, si);
        exerciseGuestView(mem);
    }

    /**
     * Runs the shared_info operations a guest kernel's event and clock code performs, through
     * the ABI's flyweights over guest memory, so that in this JVM, as in one that runs guest
     * kernels, the flyweights' accessor calls see both {@code SharedBuffer} implementations
     * (the hypervisor's segment and the guest's view) before anything is measured. It works on
     * the last port and the last {@code vcpu_info} slot, which no benchmark binds or runs, and
     * leaves them as it found them.
     */
    static void exerciseGuestView(GuestMemory m) {
        SharedInfo shared = new SharedInfo().wrap(new GuestMemoryBuffer(m, StartOfDay.SHARED_INFO_VA, SharedInfo.SIZE), 0);
        VcpuInfo last = shared.vcpuInfo(SharedInfo.XEN_LEGACY_MAX_VCPUS - 1, new VcpuInfo());
        int port = Evtchn2l.NR_CHANNELS - 1;
        boolean masked = shared.isMasked(port);
        long sink = 0;
        for (int i = 0; i < 20_000; i++) {
            shared.testAndSetMask(port);
            shared.testAndClearMask(port);
            sink += shared.isPending(port) ? 1 : 0;
            sink += shared.testAndClearPending(port) ? 1 : 0;
            sink += shared.pendingWordAcquire(port >>> 6) & ~shared.maskWordAcquire(port >>> 6);
            sink += last.upcallPendingAcquire() + last.upcallMaskAcquire();
            last.upcallMaskRelease(last.upcallMaskAcquire());
            last.testAndSetPendingSel(port >>> 6);
            sink += last.takePendingSel();
            last.upcallPendingRelease(0);
            sink += shared.wcVersionAcquire() + last.time().versionAcquire();
        }
        if (masked) {
            shared.testAndSetMask(port);
        }
        if (sink == Long.MIN_VALUE) {
            throw new AssertionError(); // keeps the loop's reads
        }
    }

    /**
     * The first page after the bootstrap page tables, as a guest finds it in its start_info at
     * {@code si} ({@code pt_base + nr_pt_frames} pages): where its own free memory begins.
     */
    static long firstFreeVa(GuestMemory m, long si) {
        return m.getLong(si + StartInfo.PT_BASE_OFFSET) + m.getLong(si + StartInfo.NR_PT_FRAMES_OFFSET) * Mmu.PAGE_SIZE;
    }

    /** Maps start_info.shared_info at {@link StartOfDay#SHARED_INFO_VA}, as a guest does at boot. */
    static void mapSharedInfo(org.parasol.hypercall.Cpu cpu, long si) {
        long sharedInfo = cpu.memory().getLong(si + StartInfo.SHARED_INFO_OFFSET);
        long rc = cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, StartOfDay.SHARED_INFO_VA,
                sharedInfo | Mmu.PAGE_PRESENT | Mmu.PAGE_RW, Uvmf.INVLPG);
        if (rc != 0) {
            throw new IllegalStateException("update_va_mapping of shared_info failed: " + rc);
        }
    }

    @Override
    public void close() {
        hv.close();
    }
}
