package org.parasol.hypervisor.image;

import java.net.URL;
import java.security.CodeSource;
import java.util.Objects;

import org.parasol.hypercall.GuestKernel;

/**
 * The parent of every guest class loader: the only door from guest code to the host's
 * classes. It lets through exactly two things:
 * <ul>
 *   <li>{@code org.parasol.hypercall} and its subpackages, from the loader that defined the
 *       hypervisor's own {@code hypercall-api} (so a guest's {@code Cpu} is the host's
 *       {@code Cpu}); a class of that name from anywhere else is refused;</li>
 *   <li>the JDK, through the platform class loader (which sees neither the class path nor the
 *       module path).</li>
 * </ul>
 * Every other name, {@code org.parasol.hypervisor} and the whole host class path included,
 * is a {@link ClassNotFoundException}. It defines no class and serves only JDK resources.
 */
final class GuestParentLoader extends ClassLoader {
    private static final String HYPERCALL_PREFIX = "org.parasol.hypercall.";

    static {
        registerAsParallelCapable();
    }

    private static final GuestParentLoader STANDARD = new GuestParentLoader(GuestKernel.class);

    private final ClassLoader apiLoader;
    private final Module apiModule;
    private final URL apiLocation;
    private final ClassLoader platform = ClassLoader.getPlatformClassLoader();

    /** A parent whose hypercall-api is the one {@code apiClass} comes from. */
    GuestParentLoader(Class<?> apiClass) {
        super("parasol-guest-parent", null);
        this.apiLoader = Objects.requireNonNull(apiClass.getClassLoader(), "hypercall-api is not on the boot loader");
        this.apiModule = apiClass.getModule();
        CodeSource cs = apiClass.getProtectionDomain().getCodeSource();
        this.apiLocation = cs == null ? null : cs.getLocation();
    }

    /** The parent over the hypervisor's own hypercall-api. */
    static GuestParentLoader standard() {
        return STANDARD;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith(HYPERCALL_PREFIX)) {
            Class<?> c = apiLoader.loadClass(name);
            if (!isHypercallApi(c)) {
                throw new ClassNotFoundException(name + " is not a class of the hypervisor's hypercall-api");
            }
            return c;
        }
        try {
            return platform.loadClass(name);
        } catch (ClassNotFoundException e) {
            throw new ClassNotFoundException(name + " is not visible to guest code (only org.parasol.hypercall "
                    + "and the JDK are)", e);
        }
    }

    /** Whether {@code c} comes from the same module, or on the class path the same jar or folder, as hypercall-api. */
    private boolean isHypercallApi(Class<?> c) {
        if (apiModule.isNamed()) {
            return c.getModule() == apiModule;
        }
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        return apiLocation != null && cs != null && apiLocation.equals(cs.getLocation());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        throw new ClassNotFoundException(name);
    }
}
