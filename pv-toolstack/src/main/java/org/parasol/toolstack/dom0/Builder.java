package org.parasol.toolstack.dom0;

import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.abi.MemoryOp;
import org.parasol.hypercall.guest.DomctlCalls;
import org.parasol.hypercall.guest.MemoryOpCalls;
import org.parasol.hypercall.struct.VcpuGuestContext;

/**
 * The domain builder, on the {@code domctl} family, in libxl's order:
 *
 * <pre>
 *  XEN_DOMCTL_createdomain      an empty domain, paused, with room for its vCPUs
 *  XEN_DOMCTL_max_vcpus         its vCPUs (down until given a context)
 *  XEN_DOMCTL_max_mem           its max_pages
 *  XENMEM_populate_physmap      its memory, PFN 0..n-1, a chunk of extents at a time
 *  PARASOL_DOMCTL_load_image    the kernel by name, and the start of day over those frames
 *  XEN_DOMCTL_setvcpucontext    vCPU 0: entry, stack, start_info, CR3, online, in kernel
 *  XEN_DOMCTL_unpausedomain     it runs
 * </pre>
 *
 * <p>A step that fails destroys what the earlier steps made, so a failed build leaves nothing
 * behind. Runs on dom0's vCPU 0, one build at a time.
 */
final class Builder {
    /** Extents per populate_physmap call: a chunk that fits the argument page. */
    private static final int CHUNK = 256;

    private final Kernel k;
    private final DomctlCalls domctl;
    private final MemoryOpCalls memory;
    /** A page of dom0's for setvcpucontext's vcpu_guest_context. */
    private final PageRun contextPage;
    private final long[] extents = new long[CHUNK];

    Builder(Kernel k) {
        this.k = k;
        this.domctl = new DomctlCalls(k.cpu(), k.argumentPage());
        this.memory = new MemoryOpCalls(k.cpu(), k.argumentPage());
        this.contextPage = k.memory().allocatePages(1);
    }

    /** The domctl wrapper, for the reaper's getdomaininfo and destroy. */
    DomctlCalls domctl() {
        return domctl;
    }

    /**
     * Builds and starts a domain of {@code spec}.
     *
     * @return its id
     * @throws BuildException naming the step that failed and its errno; nothing is left behind
     */
    DomId build(DomainSpec spec, String cmdline) throws BuildException {
        long id = domctl.createDomain(DomId.ANY, spec.vcpus(), new byte[16]);
        if (id < 0) {
            throw new BuildException("createdomain", id);
        }
        DomId d = DomId.of((int) id);
        try {
            check("max_vcpus", domctl.maxVcpus(d, spec.vcpus()));
            check("max_mem", domctl.maxMem(d, spec.memoryKiB()));
            for (int pfn = 0; pfn < spec.pages(); pfn += CHUNK) {
                int n = Math.min(CHUNK, spec.pages() - pfn);
                for (int i = 0; i < n; i++) {
                    extents[i] = pfn + i;
                }
                long done = memory.reservation(MemoryOp.POPULATE_PHYSMAP, extents, n, 0, 0, d);
                if (done != n) {
                    throw new BuildException("populate_physmap of PFN " + pfn + ".." + (pfn + n - 1), done < 0 ? done : 0);
                }
            }
            DomctlCalls.LoadedImage image = domctl.loadImage(d, spec.image(), cmdline);
            check("load_image " + spec.image(), image.result());
            check("setvcpucontext", domctl.setVcpuContext(d, 0, contextPage.va(),
                    VcpuGuestContext.VGCF_ONLINE | VcpuGuestContext.VGCF_IN_KERNEL, image.entry(), image.stack(),
                    image.startInfo(), image.cr3()));
            check("unpausedomain", domctl.unpauseDomain(d));
            return d;
        } catch (BuildException e) {
            domctl.destroyDomain(d);
            throw e;
        }
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
