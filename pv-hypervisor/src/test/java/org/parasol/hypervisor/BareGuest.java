package org.parasol.hypervisor;

import java.nio.charset.StandardCharsets;

import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.StartOfDay;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.Uvmf;
import org.parasol.hypercall.struct.SharedInfo;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainCreationException;

/**
 * A bare test domain driven from the test thread: the fixture the issue asks for. It has a
 * start-of-day address space like any domain, but no kernel and no thread; the test issues
 * hypercalls itself, as a C guest would, using the first free page as argument scratch. Like
 * a Xen guest it maps shared_info itself, at {@link StartOfDay#SHARED_INFO_VA}.
 */
final class BareGuest {
    final Hypervisor hv;
    final Domain domain;
    final Cpu cpu;
    final GuestMemory mem;
    /** First free page after the bootstrap page tables: argument scratch. */
    final long scratch;
    /** The page after it, for a second buffer. */
    final long scratch2;

    private BareGuest(Hypervisor hv, Domain domain) {
        this.hv = hv;
        this.domain = domain;
        domain.vcpu(0).attach();
        this.cpu = domain.vcpu(0).cpu();
        this.mem = cpu.memory();
        long si = domain.startInfoVa();
        long ptBase = mem.getLong(si + 88);
        long nrPt = mem.getLong(si + 96);
        this.scratch = ptBase + nrPt * 4096;
        this.scratch2 = scratch + 4096;
        // As a Xen guest does at boot: map start_info.shared_info where it wants it.
        long sharedInfo = mem.getLong(si + 40);
        long rc = cpu.hypercall(Hypercall.UPDATE_VA_MAPPING, StartOfDay.SHARED_INFO_VA,
                sharedInfo | Mmu.PAGE_PRESENT | Mmu.PAGE_RW | Mmu.PAGE_USER, Uvmf.INVLPG, 0, 0);
        if (rc != 0) {
            throw new IllegalStateException("update_va_mapping of shared_info failed: " + rc);
        }
    }

    static BareGuest create(Hypervisor hv, String name, long memoryKiB) throws DomainCreationException {
        return create(hv, new DomainConfig(name, memoryKiB, memoryKiB, 1, null, "", false, null, null, null));
    }

    static BareGuest create(Hypervisor hv, DomainConfig cfg) throws DomainCreationException {
        return new BareGuest(hv, hv.createBareDomain(cfg));
    }

    long call(int nr, long a1, long a2, long a3) {
        return cpu.hypercall(nr, a1, a2, a3, 0, 0);
    }

    long call(int nr, long a1, long a2) {
        return cpu.hypercall(nr, a1, a2, 0, 0, 0);
    }

    long call(int nr, long a1) {
        return cpu.hypercall(nr, a1, 0, 0, 0, 0);
    }

    void putString(long va, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            mem.putByte(va + i, b[i]);
        }
    }

    /** vcpu_info of vCPU 0 as the guest sees it. */
    static long vcpuInfo() {
        return StartOfDay.SHARED_INFO_VA;
    }

    /** shared_info as this guest maps it, through the ABI's flyweight. */
    SharedInfo shared() {
        return new SharedInfo().wrap(new GuestMemoryBuffer(mem, StartOfDay.SHARED_INFO_VA, SharedInfo.SIZE), 0);
    }

    /** A port's pending bit in the guest's shared_info mapping. */
    boolean pending(int port) {
        return shared().isPending(port);
    }

    /** Clears a port's mask bit the way a guest does. */
    void unmaskLocally(int port) {
        shared().testAndClearMask(port);
    }
}
