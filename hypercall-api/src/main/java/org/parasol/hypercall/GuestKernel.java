package org.parasol.hypercall;

/**
 * A paravirtual guest kernel: the entry point a domain boots with.
 *
 * <p>The hypervisor instantiates the image's kernel class (public, with a public no-argument
 * constructor, named in the image's manifest) and calls {@link #boot} on vCPU 0 with the
 * virtual address of {@code start_info}, as Xen starts a PV kernel with {@code rsi} pointing
 * at it. At that moment the bootstrap page tables map the start-of-day region and every
 * event is masked. A kernel ends its domain with {@code SCHEDOP_shutdown}; returning from
 * {@code boot} without doing so is a crash.
 */
public interface GuestKernel {
    /** Boots the kernel on vCPU 0. */
    void boot(Cpu cpu, long startInfoVa);
}
