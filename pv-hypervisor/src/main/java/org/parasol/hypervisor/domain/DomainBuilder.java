package org.parasol.hypervisor.domain;


import org.parasol.hypercall.SegmentBuffer;
import org.parasol.hypercall.abi.Sif;
import org.parasol.hypercall.struct.StartInfo;
import org.parasol.hypervisor.mm.BootLayout;

/**
 * Fills a new domain's {@code start_info} and vCPU 0's context, as Xen's PV domain builder
 * does after laying out the start-of-day region (the {@link BootLayout}).
 *
 * <p>start_info carries (fact sheet §4): the magic {@code "xen-3.0-x86_64"}, nr_pages, the
 * shared_info page's <em>machine</em> address, SIF flags, the bootstrap page tables' virtual
 * address and frame count, the P2M list's virtual address and the command line. vCPU 0
 * starts with {@code rsi} = the start_info virtual address and {@code cr3} = the L4 frame.
 */
public final class DomainBuilder {
    /** The magic of a 64-bit PV start_info. */
    public static final String MAGIC_STRING = "xen-3.0-x86_64";

    private DomainBuilder() {
    }

    /** Writes start_info for a domain laid out as {@code layout} and points vCPU 0 at it. */
    public static void build(BuildOps ops, BootLayout layout, long nrPages, long sharedInfoMfn,
            boolean privileged, String cmdline) {
        SegmentBuffer page = SegmentBuffer.allocate(StartInfo.SIZE);
        new StartInfo().wrap(page, 0)
                .magic(MAGIC_STRING)
                .nrPages(nrPages)
                .sharedInfo(sharedInfoMfn << 12)
                .flags(privileged ? Sif.PRIVILEGED | Sif.INITDOMAIN : 0)
                .ptBase(layout.ptBaseVa())
                .nrPtFrames(layout.nrPtFrames())
                .mfnList(layout.p2mVa())
                .cmdLine(cmdline)
                .firstP2mPfn(layout.firstP2mPfn())
                .nrP2mFrames(layout.nrP2mFrames());
        ops.writeAt(layout.startInfoMfn(), 0, page.segment());
        ops.setVcpuContext(0, layout.startInfoVa(), layout.l4Mfn());
    }
}
