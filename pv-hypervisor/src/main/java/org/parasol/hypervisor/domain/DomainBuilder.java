package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GuestKernel;
import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.VcpuEntry;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.Gntst;
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
 * <p>The domctl family composes the same steps in another order, as libxl and libxenguest
 * do on Xen: {@link #createEmpty} (XEN_DOMCTL_createdomain: steps 0, 1 for shared_info, 2
 * and 5), XEN_DOMCTL_max_vcpus, XEN_DOMCTL_max_mem and XENMEM_populate_physmap (the rest of
 * step 1's memory), {@link #loadImage} (Parasol's command: step 1's layout over those frames
 * and step 3), XEN_DOMCTL_setvcpucontext (step 4 and vCPU 0's context) and the first
 * XEN_DOMCTL_unpausedomain (step 6). {@link #tryDestroy} is the destroy that never waits.
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
        return build(host, cfg, domid, bare, null);
    }

    /**
     * {@link #build(Host, DomainConfig, int, boolean)} with a boot module (dom0's): its bytes
     * go into pages of the domain's own after start_info, and {@code start_info.mod_start}
     * (a PFN, {@code SIF_MOD_START_PFN}) and {@code mod_len} say where.
     */
    public static Domain build(Host host, DomainConfig cfg, int domid, boolean bare, byte[] module)
            throws DomainCreationException {
        FrameTable frames = host.frames();
        // 0. Admission: refused whole, before anything is built, if the host cannot hold it.
        java.util.List<String> shortfalls = Admission.shortfalls(cfg, frames.freeFrames(), !bare && !host.virtualThreads());
        if (!shortfalls.isEmpty()) {
            throw new DomainCreationException("'" + cfg.name() + "' does not fit the host"
                    + (shortfalls.get(0).startsWith("machine memory") ? " (not enough free machine memory)" : "") + ": "
                    + String.join("; ", shortfalls));
        }
        // 1. Memory.
        DomainPages pages = new DomainPages(domid, cfg.maxPages());
        long sharedInfoMfn = frames.allocateShared(domid);
        if (sharedInfoMfn < 0) {
            throw new DomainCreationException("no frame left for shared_info");
        }
        BootLayout layout;
        try {
            layout = BootstrapBuilder.build(frames, pages, cfg.nrPages(), sharedInfoMfn, module);
        } catch (RuntimeException e) {
            releaseMemory(host, pages, cfg.name());
            throw new DomainCreationException("cannot build the address space of '" + cfg.name() + "': " + e.getMessage(), e);
        }
        // 2. Structures.
        Domain d = new Domain(host, domid, cfg, bare, pages, sharedInfoMfn, layout, false);
        // 3. Start of day.
        writeStartOfDay(host, d, layout, cfg.nrPages(), cfg.cmdline(), cfg.privileged(), 0, 0);
        if (layout.modulePages() > 0) {
            writeModule(host, d, layout, module.length);
        }
        d.vcpu(0).initialise(null, layout.startInfoVa(), 0, layout.l4Mfn());
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

    /**
     * Step 3: shared_info's start-of-day fields and start_info, for {@code nrPages} pages laid
     * out as {@code layout}. (The launcher's build then points vCPU 0 at it; a domctl build
     * leaves that to XEN_DOMCTL_setvcpucontext.)
     */
    private static void writeStartOfDay(Host host, Domain d, BootLayout layout, long nrPages, String cmdline,
            boolean privileged, int storeEvtchn, int consoleEvtchn) {
        long wallClock = host.wallclockAtBoot();
        d.sharedInfo().publishWallclock(Math.floorDiv(wallClock, 1_000_000_000L),
                (int) Math.floorMod(wallClock, 1_000_000_000L));
        d.sharedInfo().maxPfn(nrPages);
        for (int i = 0; i < d.vcpuCount(); i++) {
            VcpuInfo info = d.vcpuInfo(i);
            if (info != null) {
                info.upcallMaskRelease(1); // every event masked at boot
            }
        }
        SegmentBuffer page = SegmentBuffer.allocate(StartInfo.SIZE);
        new StartInfo().wrap(page, 0)
                .magic(MAGIC_STRING)
                .nrPages(nrPages)
                .sharedInfo(d.sharedInfoMfn() << MachineMemory.PAGE_SHIFT)
                .flags((privileged ? Sif.PRIVILEGED | Sif.INITDOMAIN : 0)
                        | (d.config().virt().nativeKernel() ? Sif.PARASOL_NATIVE : 0))
                .ptBase(layout.ptBaseVa())
                .nrPtFrames(layout.nrPtFrames())
                .mfnList(layout.p2mVa())
                .cmdLine(cmdline)
                .firstP2mPfn(layout.firstP2mPfn())
                .nrP2mFrames(layout.nrP2mFrames());
        if (layout.hasStorePage()) {
            new StartInfo().wrap(page, 0).storeMfn(layout.storeMfn()).storeEvtchn(storeEvtchn);
        }
        if (layout.hasConsolePage() && consoleEvtchn > 0) {
            new StartInfo().wrap(page, 0).consoleMfn(layout.consoleMfn()).consoleEvtchn(consoleEvtchn);
        }
        writeFrame(host, d, layout.startInfoMfn(), page.segment());
    }

    /**
     * dom0's boot module, whose bytes the layout put in its module pages: its place into
     * start_info, as Xen's dom0 builder sets {@code mod_start} to the module's first PFN with
     * {@code SIF_MOD_START_PFN}.
     */
    private static void writeModule(Host host, Domain d, BootLayout layout, long moduleLen) {
        SegmentBuffer page = SegmentBuffer.allocate(StartInfo.SIZE);
        MemorySegment.copy(host.machine().segment(), MachineMemory.maddr(layout.startInfoMfn()), page.segment(), 0,
                StartInfo.SIZE);
        StartInfo si = new StartInfo().wrap(page, 0);
        si.modStart(layout.modulePfn()).modLen(moduleLen).flags(si.flags() | Sif.MOD_START_PFN);
        writeFrame(host, d, layout.startInfoMfn(), page.segment());
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

    /**
     * What vCPU 0 of a domain running a kernel image does, on its own thread: makes the
     * kernel instance (guest code: static initializers, the constructor) and boots it with
     * {@code startInfoVa}. A kernel that cannot be made, or that returns from boot while the
     * domain may still run, crashes the domain.
     */
    public static void bootKernel(Domain d, Host.KernelFactory factory, Cpu cpu, long startInfoVa) {
        GuestKernel kernel;
        try {
            kernel = d.config().virt() == Virtualization.BT ? factory.createTranslated(d.domid())
                    : factory.create(d.domid());
        } catch (Exception e) {
            // The guest's constructor or static initializer threw: described on this (the
            // guest's) thread; the throwable itself never reaches a host logger.
            d.crash("the kernel could not be instantiated: " + GuestThrowables.describe(e));
            return;
        }
        kernel.boot(cpu, startInfoVa);
        if (d.mayRun()) {
            d.crash("the kernel returned from boot without shutting down");
        }
    }

    // ---------------------------------------------------------------- the domctl build

    /**
     * XEN_DOMCTL_createdomain's half of the build, for domain {@code domid} (an id the caller
     * claimed): step 1 for shared_info only (a hypervisor page, not counted in tot_pages; the
     * domain owns no memory and may own none until XEN_DOMCTL_max_mem), step 2 (its vCPUs
     * made but not yet allocated, the domain paused once by its controller) and step 5. No
     * start of day and no CR3: {@link #loadImage} and XEN_DOMCTL_setvcpucontext do those.
     *
     * @throws DomainCreationException when no frame is left for shared_info
     */
    public static Domain createEmpty(Host host, DomainConfig cfg, int domid) throws DomainCreationException {
        FrameTable frames = host.frames();
        DomainPages pages = new DomainPages(domid, 0);
        long sharedInfoMfn = frames.allocateShared(domid);
        if (sharedInfoMfn < 0) {
            throw new DomainCreationException("no frame left for shared_info");
        }
        Domain d = new Domain(host, domid, cfg, false, pages, sharedInfoMfn, null, true);
        host.list(d);
        return d;
    }

    /**
     * Parasol's load-image domctl over a created domain's populated memory: step 1's layout
     * (the bootstrap page tables, the P2M list and the start_info page over the frames
     * XENMEM_populate_physmap gave it, PFN by PFN), step 3 (shared_info, start_info with
     * {@code cmdline}), and the kernel's boot registered in the domain's code table as the
     * entry vCPU 0's context names. The image itself was loaded by the caller.
     *
     * <p>Refusals, before anything is written: {@code -EBUSY} when the start of day is already
     * laid out (or, having crashed the domain, when a frame changed under the layout: another
     * vCPU of the caller mapped it meanwhile); {@code -EINVAL} when the domain cannot run, has no vCPUs yet, or its memory is
     * not PFNs {@code 0 .. tot_pages-1} of fresh frames (each with only its allocation
     * reference, untyped), or is too small for the bootstrap region.
     *
     * <p>The store, as libxenguest gives every PV domain one: a page after start_info
     * ({@link BootstrapBuilder#layOut(FrameTable, DomainPages, long[], long, boolean)}), named
     * with {@code storeEvtchn} in start_info, and grant reference
     * {@code GNTTAB_RESERVED_XENSTORE} seeded to give {@code storeDomid} that page read-write
     * ({@code xc_dom_gnttab_seed}). The caller checked the port. No grant frame left to seed
     * is {@code -ENOMEM}, before anything is laid out.
     *
     * @return 0 and the entry's code address in {@code entryOut[0]}, or {@code -errno}
     */
    public static int loadImage(Host host, Domain d, Host.KernelFactory factory, String cmdline, long[] entryOut) {
        return loadImage(host, d, factory, cmdline, 0, 0, entryOut);
    }

    /** {@link #loadImage(Host, Domain, Host.KernelFactory, String, long[])} with the store's port and domain. */
    public static int loadImage(Host host, Domain d, Host.KernelFactory factory, String cmdline, int storeEvtchn,
            int storeDomid, long[] entryOut) {
        if (d.layout() != null) {
            return -Errno.EBUSY;
        }
        if (!d.mayRun() || d.allocatedVcpus() == 0) {
            return -Errno.EINVAL;
        }
        FrameTable frames = host.frames();
        BootLayout layout;
        long[] p2m;
        // Under the domain's page-table lock, so no decrease_reservation takes a frame away
        // between the check and the layout.
        synchronized (d.pages()) {
            p2m = BootstrapBuilder.populatedP2m(frames, d.pages());
            if (p2m == null || !BootstrapBuilder.fits(p2m.length, true)) {
                return -Errno.EINVAL;
            }
            // The grant frame the store's entry goes in, before anything else is written.
            if (d.grants().grow(1) != Gntst.OKAY) {
                return -Errno.ENOMEM;
            }
            try {
                layout = BootstrapBuilder.layOut(frames, d.pages(), p2m, d.sharedInfoMfn(), true);
            } catch (RuntimeException e) {
                // Only a privileged caller racing itself gets here: another of its vCPUs took
                // a reference or a type on one of the frames after the check. The domain's
                // memory is half laid out and it can never run.
                d.crash("its start of day could not be laid out: a frame changed while it was: " + e.getMessage());
                return -Errno.EBUSY;
            }
        }
        // The console ring, as libxl's build gives every PV domain one: its page after the
        // store's, its port bound to the back end (here the hypervisor itself: deviation 27).
        ConsoleRing ring = ConsoleRing.open(d, layout.consoleMfn());
        if (ring == null) {
            d.crash("its console ring could not be set up (no event channel left)");
            return -Errno.EBUSY;
        }
        d.consoleRing(ring);
        writeStartOfDay(host, d, layout, p2m.length, cmdline, d.privileged(), storeEvtchn, ring.port());
        if (d.grants().seed(Gnttab.RESERVED_XENSTORE, storeDomid, layout.storeMfn())
                != Gntst.OKAY) {
            // Only a domain dying meanwhile gets here: its table refuses every change.
            d.crash("its store grant could not be seeded");
            return -Errno.EBUSY;
        }
        VcpuEntry entry = (cpu, startInfoVa) -> bootKernel(d, factory, cpu, startInfoVa);
        long address = d.codeTable().register(entry);
        d.layout(layout);
        entryOut[0] = address;
        return 0;
    }

    // ---------------------------------------------------------------- destroy

    /**
     * Takes {@code d} apart: steps 6' to 0', the build in reverse. Waits up to
     * {@code timeoutNanos} for the vCPUs to stop; returns false (and leaves the domain a
     * zombie, listed, holding everything) when one does not come back. One thread at a time:
     * a second caller waits for the first. Returns true at once for a dead domain.
     */
    static boolean destroy(Domain d, long timeoutNanos) {
        d.destroyLock.lock();
        try {
            if (!d.beginDestroy()) {
                return true;
            }
            // 6'. Stopped.
            if (!d.stopVcpus(timeoutNanos)) {
                return false;
            }
            takeApart(d);
            return true;
        } finally {
            d.destroyLock.unlock();
        }
    }

    /** {@link #tryDestroy}: the domain is dead, its resources back. */
    public static final int DESTROYED = 0;
    /** {@link #tryDestroy}: a vCPU has not stopped yet, or another thread is destroying it; ask again. */
    public static final int PENDING = 1;
    /** {@link #tryDestroy}: a vCPU never stopped; the domain stays a zombie holding everything. */
    public static final int ZOMBIE = 2;

    /**
     * XEN_DOMCTL_destroydomain's destroy, which never waits: asks the vCPUs to stop (the
     * domain is dying from now on) and, once every vCPU has, takes the domain apart as
     * {@link #destroy} does; until then it answers {@link #PENDING} and the caller continues
     * the hypercall later, as Xen's {@code domain_kill} answers {@code -ERESTART}. A vCPU still
     * running {@code timeoutNanos} after the first ask leaves a zombie ({@link #ZOMBIE}).
     */
    public static int tryDestroy(Domain d, long timeoutNanos) {
        if (!d.destroyLock.tryLock()) {
            return PENDING;
        }
        try {
            if (!d.beginDestroy()) {
                return DESTROYED;
            }
            long askedAt = d.destroyAskedAt(System.nanoTime());
            d.askVcpusToStop();
            if (!d.vcpusStopped()) {
                if (System.nanoTime() - askedAt < timeoutNanos) {
                    return PENDING;
                }
                d.stopVcpus(0); // marks the zombie
                return ZOMBIE;
            }
            takeApart(d);
            return DESTROYED;
        } finally {
            d.destroyLock.unlock();
        }
    }

    /** Steps 5' to 0', once every vCPU has stopped. */
    private static void takeApart(Domain d) {
        Host host = d.host();
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
        ConsoleRing ring = d.consoleRing();
        if (ring != null) {
            ring.close(); // its frame reference goes before the memory does
        }
        d.host().relay().domainDying(d); // the host lets go of the pages it shares with us first
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
