/**
 * Kernel images: what a domain boots, and the checks a guest's code passes before it may run.
 *
 * <p>In Xen a domain builder reads a kernel image (an ELF file) and copies it into the new
 * domain's memory. In Parasol an image is Java bytecode: a jar or classes folder plus the
 * jars it depends on, named by an {@code <name>.image} descriptor. The hypervisor cannot
 * copy bytecode into a sandbox, so it does the next best thing:
 * <ol>
 *   <li>{@link org.parasol.hypervisor.image.ImageRepository} finds the descriptor and
 *       {@link org.parasol.hypervisor.image.ImageClasses} reads every class into memory once;</li>
 *   <li>{@link org.parasol.hypervisor.image.BytecodeVerifier} walks the classes the kernel can
 *       reach and refuses an image whose code could step outside the hypercall ABI: for an
 *       unprivileged image, anything of the JDK that {@link org.parasol.hypervisor.image.GuestJdkApi}'s
 *       reviewed list does not allow, judged where the JVM would resolve and dispatch it;</li>
 *   <li>{@link org.parasol.hypervisor.image.StaticStateCheck} decides whether the domains of
 *       one image may share a class loader (no mutable static state) or need one each;</li>
 *   <li>{@link org.parasol.hypervisor.image.GuestClassLoader} defines only verified classes of
 *       the image, and its parent lets the guest see nothing but {@code org.parasol.hypercall}
 *       and the JDK classes its privilege allows;</li>
 *   <li>{@link org.parasol.hypervisor.image.ImageLoader} ties it together and hands the domain
 *       builder a fresh {@link org.parasol.hypercall.GuestKernel} per domain.</li>
 * </ol>
 * {@link org.parasol.hypervisor.image.GuestVisibleClasses} initializes, at host start, the
 * classes guests could otherwise be first to initialize. The reasons for each rule, and what these
 * checks cannot stop, are in {@code docs/threat-model.md}.
 */
package org.parasol.hypervisor.image;
