package org.parasol.hypervisor.mm;

/**
 * A vCPU's poll word as its MMU sees it: read-only.
 *
 * <p>The word belongs to the vCPU: other threads raise bits in it (a TLB flush, the end of a
 * time slice, the domain's death) and the vCPU takes them at its safe points. The MMU only
 * reads it, once per guest access, and calls {@link MmuContext#safePoint()} when it is not
 * zero; what the bits mean is the vCPU's business, except that a flush request must reach
 * {@link VcpuMmu#flushForRequests()} before the access goes on.
 */
@FunctionalInterface
public interface PollWord {

    /** The word, read with opaque order (one plain load on x86): zero when nothing is asked. */
    int pending();
}
