package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Sif;
import org.parasol.hypercall.abi.Virq;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypercall.struct.VcpuInfo;
import org.parasol.hypervisor.mm.BootLayout;
import org.parasol.hypervisor.mm.BootstrapBuilder;
import org.parasol.hypervisor.mm.DomainPages;
import org.parasol.hypervisor.mm.FrameTable;
import org.parasol.hypervisor.mm.MachineMemory;

/**
 * Building a domain and taking it apart, written as one pair: Xen's {@code domain_create}
 * with its PV domain builder, and {@code domain_kill}/{@code domain_destroy}. Teardown undoes
 * the build step by step in reverse order, as lguest's {@code initialize} and {@code close}
 * do, and a build that fails half-way undoes the steps it made the same way.
 *
 * <pre>
 *   build                                          destroy
 *   0  the id and name are claimed (Hypervisor)    0' the id and name are free (Hypervisor);
 *                                                     VIRQ_DOM_EXC; the domain is dead
 *   1  memory: shared_info, then nr_pages frames   1' every frame back to the free pool
 *      laid out as the start-of-day address space     (zeroed before reuse)
 *   2  structures: event channels over shared_info, 2' the console closed, every port closed
 *      grant table, code table, console, vCPUs        (peers' ports unbound), our mappings of
 *                                                     others' grants dropped, grant table dead
 *   3  start of day: wallclock, max_pfn, masks in  3' nothing: it lives in the domain's memory
 *      shared_info; start_info; vCPU 0's context
 *   4  vCPU 0's CR3 reference on the bootstrap L4  4' every vCPU's CR3 reference, and the
 *                                                     references waiting for a shootdown
 *   5  listed in the domain table: lookups find it 5' unlisted: lookups no longer find it
 *   6  vCPU 0 started at the kernel (Hypervisor)   6' every vCPU stopped, its timers and the
 *                                                     watchdogs too; a vCPU that never comes
 *                                                     back leaves a zombie, listed, holding
 *                                                     everything from step 5 down
 * </pre>
 *
 * <p>{@code start_info} carries (fact sheet §4): the magic {@code "xen-3.0-x86_64"}, nr_pages,
 * the shared_info page's <em>machine</em> address, SIF flags, the bootstrap page tables'
 * virtual address and frame count, the P2M list's virtual address and the command line.
 * vCPU 0 starts with {@code rsi} = the start_info virtual address and {@code cr3} = the L4.
 */
public final class DomainBuilder {
    /** The magic of a 64-bit PV start_info. */
    public static final String MAGIC_STRING = "xen-3.0-x86_64";

    private static final System.Logger LOG = System.getLogger("org.parasol.hypervisor.domain");

    private DomainBuilder() {
    }

    // ---------------------------------------------------------------- build

    /**
     * Builds domain {@code domid} (an id the caller claimed) from {@code cfg}: steps 1 to 5.
     * A bare domain gets no threads: its vCPUs are attached to callers' threads.
     *
     * @throws DomainCreationException when a step fails; the steps before it are undone
     */
    public static Domain build(Host host, DomainConfig cfg, int domid, boolean bare) throws DomainCreationException {
        FrameTable frames = host.frames();
        // 1. Memory.
        if (cfg.nrPages() > frames.freeFrames() - 1) {
            throw new DomainCreationException("not enough free machine memory for '" + cfg.name() + "': needs "
                    + cfg.nrPages() + " pages, " + frames.freeFrames() + " free");
        }
        DomainPages pages = new DomainPages(domid, cfg.maxPages());
        long sharedInfoMfn = frames.allocateShared(domid);
        if (sharedInfoMfn < 0) {
            throw new DomainCreationException("no frame left for shared_info");
        }
        BootLayout layout;
        try {
            layout = BootstrapBuilder.build(frames, pages, cfg.nrPages(), sharedInfoMfn);
        } catch (RuntimeException e) {
            releaseMemory(host, pages, cfg.name());
            throw new DomainCreationException("cannot build the address space of '" + cfg.name() + "': " + e.getMessage(), e);
        }
        // 2. Structures.
        Domain d = new Domain(host, domid, cfg, bare, pages, sharedInfoMfn, layout);
        // 3. Start of day.
        writeStartOfDay(host, d);
        // 4. vCPU 0's CR3 holds its own reference on the bootstrap L4, as Xen's guest_table does.
        if (host.pageTables().getBaseRef(pages, layout.l4Mfn()) != 0) {
            destroyStructures(d);
            releaseMemory(host, pages, cfg.name());
            throw new DomainCreationException("the bootstrap L4 of '" + cfg.name() + "' does not validate");
        }
        d.vcpu(0).mmu().setBaseRef(layout.l4Mfn());
        // 5. Listed.
        host.list(d);
        return d;
    }

    /** Step 3: shared_info's start-of-day fields, start_info, and vCPU 0 pointed at it. */
    private static void writeStartOfDay(Host host, Domain d) {
        DomainConfig cfg = d.config();
        BootLayout layout = d.layout();
        long wallClock = host.wallclockAtBoot();
        d.sharedInfo().publishWallclock(Math.floorDiv(wallClock, 1_000_000_000L),
                (int) Math.floorMod(wallClock, 1_000_000_000L));
        d.sharedInfo().maxPfn(cfg.nrPages());
        for (int i = 0; i < d.vcpuCount(); i++) {
            VcpuInfo info = d.vcpuInfo(i);
            if (info != null) {
                info.upcallMaskRelease(1); // every event masked at boot
            }
        }
        SegmentBuffer page = SegmentBuffer.allocate(StartInfo.SIZE);
        new StartInfo().wrap(page, 0)
                .magic(MAGIC_STRING)
                .nrPages(cfg.nrPages())
                .sharedInfo(d.sharedInfoMfn() << MachineMemory.PAGE_SHIFT)
                .flags(cfg.privileged() ? Sif.PRIVILEGED | Sif.INITDOMAIN : 0)
                .ptBase(layout.ptBaseVa())
                .nrPtFrames(layout.nrPtFrames())
                .mfnList(layout.p2mVa())
                .cmdLine(cfg.cmdline())
                .firstP2mPfn(layout.firstP2mPfn())
                .nrP2mFrames(layout.nrP2mFrames());
        writeFrame(host, d, layout.startInfoMfn(), page.segment());
        d.vcpu(0).initialise(null, layout.startInfoVa(), 0, layout.l4Mfn());
    }

    /** Copies {@code bytes} to the start of the domain's own frame {@code mfn}. */
    private static void writeFrame(Host host, Domain d, long mfn, MemorySegment bytes) {
        if (host.frames().owner(mfn) != d.domid() || bytes.byteSize() > MachineMemory.PAGE_SIZE) {
            throw new IllegalArgumentException("builder write outside the domain's frame " + mfn);
        }
        MemorySegment.copy(bytes, 0, host.machine().segment(), MachineMemory.maddr(mfn), bytes.byteSize());
    }

    /**
     * Step 6: starts vCPU 0 on a thread of its own at {@code boot} (the hypervisor's call of
     * the kernel), with the default periodic timer.
     */
    public static void start(Domain d, Runnable boot) {
        d.vcpu(0).startBoot(boot);
    }

    // ---------------------------------------------------------------- destroy

    /**
     * Takes {@code d} apart: steps 6' to 0', the build in reverse. Waits up to
     * {@code timeoutNanos} for the vCPUs to stop; returns false (and leaves the domain a
     * zombie, listed, holding everything) when one does not come back. One thread at a time:
     * a second caller waits for the first. Returns true at once for a dead domain.
     */
    static boolean destroy(Domain d, long timeoutNanos) {
        synchronized (d.destroyLock) {
            if (!d.beginDestroy()) {
                return true;
            }
            Host host = d.host();
            // 6'. Stopped.
            if (!d.stopVcpus(timeoutNanos)) {
                return false;
            }
            // 5'. Unlisted.
            host.unlist(d);
            // 4'. CR3 references.
            dropBaseRefs(host, d);
            // 3'. Nothing: the start-of-day structures are in the domain's memory.
            // 2'. Structures.
            destroyStructures(d);
            // 1'. Memory.
            releaseMemory(host, d.pages(), d.name());
            // 0'. The id and name are free; whoever waits for the death is told.
            d.died();
            host.domainDestroyed(d);
            host.sendGlobalVirq(Virq.DOM_EXC); // the toolstack learns that the domain is gone
            return true;
        }
    }

    /**
     * Step 4': every vCPU has stopped, so no TLB is in use: what waited for a shootdown goes
     * now, and so do the CR3 references (before the tables they pin are devalidated).
     */
    private static void dropBaseRefs(Host host, Domain d) {
        FrameTable frames = host.frames();
        for (Vcpu v : d.vcpus()) {
            v.mmu().deferred().releaseStopped(frames);
            long base = v.mmu().baseRef();
            if (base >= 0) {
                v.mmu().setBaseRef(-1);
                frames.putPageType(base);
                frames.putPage(base);
            }
        }
    }

    /** Step 2': the structures of step 2, in reverse. */
    private static void destroyStructures(Domain d) {
        d.console().close();
        d.events().destroy(); // every peer's port goes back to unbound
        d.maptrack().releaseAll(); // our mappings of others' grants: no vCPU of ours runs any more
        d.grants().destroy(); // before the grant frames are freed with the memory
    }

    /** Step 1': every frame the domain holds goes back (the shared ones and the grant frames too). */
    private static void releaseMemory(Host host, DomainPages pages, String name) {
        long still = host.frames().releaseDomain(pages);
        if (still > 0) {
            LOG.log(System.Logger.Level.INFO, "domain " + name + ": " + still + " frames stay referenced by other domains");
        }
    }
}
