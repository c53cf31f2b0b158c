package org.parasol.guest.kernel;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * The entry point of an image built on the Parasol kernel: extend it, implement
 * {@link GuestApplication#main}, and name the class as the image's {@code kernel=}. The
 * hypervisor calls {@link #boot}, which boots the kernel and runs the application.
 *
 * <pre>
 * public final class Hello extends ApplicationKernel {
 *     public Promise&lt;?&gt; main(Kernel k) {
 *         k.println("hello");
 *         return k.sleep(Duration.ofMillis(10));
 *     }
 * }
 * </pre>
 */
public abstract class ApplicationKernel implements GuestKernel, GuestApplication {

    /** Boots the kernel from {@code start_info} and runs this application until shutdown. */
    @Override
    public final void boot(Cpu cpu, long startInfoVa) {
        Kernel.boot(cpu, startInfoVa, this);
    }
}
