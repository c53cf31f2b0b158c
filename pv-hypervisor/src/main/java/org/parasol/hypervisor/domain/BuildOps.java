package org.parasol.hypervisor.domain;

import java.lang.foreign.MemorySegment;

/**
 * What the domain builder needs from the hypervisor, and nothing more: the seam along which
 * the control-domain issue moves the builder behind domctl, as libxenguest builds domains
 * from dom0. Loading the Java kernel image stays in the hypervisor.
 */
public interface BuildOps {
    /** Allocates one more frame to the domain being built; -1 when none is left. */
    long allocateFrame();

    /** Writes {@code bytes} into machine frame {@code mfn} at {@code offset}. */
    void writeAt(long mfn, long offset, MemorySegment bytes);

    /** Sets a vCPU's start context: the argument register ({@code rsi}) and {@code ctrlreg[3]}. */
    void setVcpuContext(int vcpu, long argument, long cr3Mfn);

    /** Allocates an unbound event-channel port of the new domain accepting {@code remoteDomid}. */
    int allocUnboundPort(int remoteDomid);
}
