package org.parasol.toolstack.dom0;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.Domctl;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.guest.DomctlCalls;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.MemoryOpCalls;
import org.parasol.hypercall.struct.VcpuGuestContext;

/**
 * The domain builder, on the {@code domctl} family, in libxl's order:
 *
 * <pre>
 *  XEN_DOMCTL_createdomain      an empty domain, paused, with room for its vCPUs
 *  XEN_DOMCTL_max_vcpus         its vCPUs (down until given a context)
 *  XEN_DOMCTL_scheduler_op      its credit weight and cap, if asked; XEN_DOMCTL_setvcpuaffinity
 *                               per vCPU, if asked (its cpupool came with createdomain)
 *  XEN_DOMCTL_max_mem           its max_pages
 *  XENMEM_populate_physmap      its memory, PFN 0..n-1, a chunk of extents at a time
 *  EVTCHNOP_alloc_unbound       its store port: a port of the new domain, waiting for dom0
 *  PARASOL_DOMCTL_load_image    the kernel by name, the domain's name, and the start of day over those frames,
 *                               with the store page and port in start_info and grant ref 1
 *                               seeded for dom0 (libxenguest's special pages and gnttab seed)
 *  XEN_DOMCTL_setvcpucontext    vCPU 0: entry, stack, start_info, CR3, online, in kernel
 *  ... (the caller writes the store's paths and introduces the domain to xenstored)
 *  XEN_DOMCTL_unpausedomain     it runs ({@link #unpause})
 * </pre>
 *
 * <p>A step of {@link #build} that fails destroys what the earlier steps made, so a failed
 * build leaves nothing behind. Runs on dom0's vCPU 0, one build at a time.
 */
final class Builder {
    /** Extents per populate_physmap call: a chunk that fits the argument page. */
    private static final int CHUNK = 256;

    private final Kernel k;
    private final DomctlCalls domctl;
    private final MemoryOpCalls memory;
    private final EventChannelCalls evtchn;
    /** A page of dom0's for setvcpucontext's vcpu_guest_context. */
    private final PageRun contextPage;
    private final long[] extents = new long[CHUNK];

    Builder(Kernel k) {
        this.k = k;
        this.domctl = new DomctlCalls(k.cpu(), k.argumentPage());
        this.memory = new MemoryOpCalls(k.cpu(), k.argumentPage());
        this.evtchn = new EventChannelCalls(k.cpu(), k.argumentPage());
        this.contextPage = k.memory().allocatePages(1);
    }

    /** The domctl wrapper, for the reaper's getdomaininfo and destroy. */
    DomctlCalls domctl() {
        return domctl;
    }

    /**
     * A domain built and still paused.
     *
     * @param domid     its id
     * @param name      its name
     * @param storeMfn  its store page ({@code start_info.store_mfn}), granted to dom0 as ref 1
     * @param storePort its store port ({@code start_info.store_evtchn}), unbound for dom0
     */
    record Built(DomId domid, String name, long storeMfn, Port storePort) {
    }

    /**
     * Builds a domain of {@code spec} up to, not including, its unpause: it is left paused
     * with vCPU 0 ready, its store page and port in start_info.
     *
     * @param namer  the name load-image gives the domain, from its id
     * @param handle the domain's 16-byte handle (its UUID)
     * @return its id and its store page and port
     * @throws BuildException naming the step that failed and its errno; nothing is left behind
     */
    Built build(DomainSpec spec, java.util.function.IntFunction<String> namer, byte[] handle) throws BuildException {
        SchedSpec sched = spec.sched();
        long id = domctl.createDomain(DomId.ANY, spec.virt().equals("pv") ? 0 : Domctl.CDF_HVM,
                spec.virt().equals("bare") ? Domctl.PARASOL_EMU_BARE
                        : spec.virt().equals("bt") ? Domctl.PARASOL_EMU_BT : 0, spec.maxVcpus(), handle, sched.pool());
        if (id < 0) {
            throw new BuildException("createdomain" + (sched.pool() != 0 ? " in cpupool " + sched.pool() : ""), id);
        }
        DomId d = DomId.of((int) id);
        try {
            check("max_vcpus", domctl.maxVcpus(d, spec.maxVcpus()));
            schedule(d, spec);
            check("max_mem", domctl.maxMem(d, spec.maxMemoryKiB()));
            populate(d, spec.pages());
            // libxl's xc_evtchn_alloc_unbound(domid, store_domid): the new domain's end of the
            // store channel, waiting for dom0 to bind it when it introduces the domain.
            long port = evtchn.allocUnbound(d, DomId.DOM0);
            check("alloc_unbound of the store port", port);
            DomctlCalls.LoadedImage image = domctl.loadImage(d, spec.image(), spec.cmdline(), (int) port, DomId.DOM0,
                    namer.apply(d.value()));
            check("load_image " + spec.image(), image.result());
            check("setvcpucontext", domctl.setVcpuContext(d, 0, contextPage.va(),
                    VcpuGuestContext.VGCF_ONLINE | VcpuGuestContext.VGCF_IN_KERNEL, image.entry(), image.stack(),
                    image.startInfo(), image.cr3()));
            return new Built(d, namer.apply(d.value()), image.storeMfn(), Port.of((int) port));
        } catch (BuildException e) {
            domctl.destroyDomain(d);
            throw e;
        }
    }

    /**
     * XENMEM_populate_physmap of PFNs {@code 0 .. pages-1}: 2 MiB superpages (order 9) while
     * whole ones are left and the hypervisor has aligned runs free, then single pages, as
     * libxenguest's PV builder tries superpages first. A 4 GiB domain takes 8 calls of 256
     * extents this way instead of 4096.
     */
    private void populate(DomId d, int pages) throws BuildException {
        int pfn = 0;
        int order = SUPERPAGE_ORDER;
        while (pfn < pages) {
            int size = 1 << order;
            int n = Math.min(CHUNK, (pages - pfn) >>> order);
            if (n == 0) {
                order = 0; // less than a superpage left
                continue;
            }
            for (int i = 0; i < n; i++) {
                extents[i] = pfn + ((long) i << order);
            }
            long done = memory.reservation(MemoryOp.POPULATE_PHYSMAP, extents, n, order, 0, d);
            if (done > 0) {
                pfn += (int) done * size;
            }
            if (done != n) {
                if (order == 0) {
                    throw new BuildException("populate_physmap of PFN " + pfn + ".." + (pages - 1), done < 0 ? done : 0);
                }
                order = 0; // no aligned run left: single pages from here
            }
        }
    }

    /** The extent order {@link #populate} asks for first: a 2 MiB superpage. */
    private static final int SUPERPAGE_ORDER = 9;

    /**
     * libxl's {@code libxl__sched_set_params} and vCPU pinning: the credit scheduler's weight
     * and cap by {@code scheduler_op} putinfo, then every vCPU's hard and soft affinity by
     * {@code setvcpuaffinity}; nothing for what the spec leaves at the default.
     */
    private void schedule(DomId d, DomainSpec spec) throws BuildException {
        SchedSpec s = spec.sched();
        if (s.weight() != 0 || s.cap() != 0) {
            check("scheduler_op (cpu_weight " + s.weight() + ", cap " + s.cap() + ")",
                    domctl.setCredit(d, s.weight(), s.cap()));
        }
        if (s.cpus().isEmpty() && s.cpusSoft().isEmpty()) {
            return;
        }
        byte[] hard = s.cpus().isEmpty() ? null : SchedSpec.bitmap(s.cpus());
        byte[] soft = s.cpusSoft().isEmpty() ? null : SchedSpec.bitmap(s.cpusSoft());
        int nrBits = Math.max(hard == null ? 0 : hard.length, soft == null ? 0 : soft.length) * 8;
        for (int v = 0; v < spec.maxVcpus(); v++) {
            check("setvcpuaffinity of vCPU " + v + " (cpus " + (s.cpus().isEmpty() ? "all" : s.cpus()) + ", cpus_soft "
                    + (s.cpusSoft().isEmpty() ? "all" : s.cpusSoft()) + ")",
                    domctl.setVcpuAffinity(d, v, pad(hard, nrBits), pad(soft, nrBits), nrBits).result());
        }
    }

    private static byte[] pad(byte[] bitmap, int nrBits) {
        return bitmap == null ? null : java.util.Arrays.copyOf(bitmap, nrBits / 8);
    }

    /** XEN_DOMCTL_unpausedomain: a built domain runs. */
    void unpause(DomId d) throws BuildException {
        check("unpausedomain", domctl.unpauseDomain(d));
    }

    private static void check(String step, long rc) throws BuildException {
        if (rc < 0) {
            throw new BuildException(step, rc);
        }
    }

    /** {@code -EPERM} as "EPERM", an errno without a name as its number. */
    static String errnoName(long rc) {
        String name = org.parasol.hypercall.Errno.name(rc);
        return name != null ? name : Long.toString(rc);
    }

    /** A build step the hypervisor refused. */
    static final class BuildException extends Exception {
        private static final long serialVersionUID = 1L;

        BuildException(String step, long errno) {
            super(step + " failed" + (errno < 0 ? " (" + errnoName(errno) + ")" : ""));
        }
    }
}
