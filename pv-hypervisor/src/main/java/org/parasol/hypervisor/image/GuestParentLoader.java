package org.parasol.hypervisor.image;

import java.io.IOException;
import java.net.URL;
import java.security.CodeSource;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Objects;

import org.parasol.hypercall.GuestKernel;

/**
 * The parent of every guest class loader: the only door from guest code to the host's
 * classes. A guest loader asks it for every name that is not a class of its image
 * ({@link ImageClasses#isImageClass}), and it serves exactly:
 * <ul>
 *   <li>{@code org.parasol.hypercall} and its subpackages, from the loader that defined the
 *       hypervisor's own {@code hypercall-api} (so a guest's {@code Cpu} is the host's
 *       {@code Cpu}); a class of that name from any other module or jar is refused;</li>
 *   <li>JDK classes, by exact binary name and only from the boot or platform loader: for an
 *       unprivileged image ({@link #standard()}) only the classes on the guest JDK list
 *       ({@link GuestJdkApi}), for a privileged one ({@link #privileged()}) any class in a package of
 *       the JDK's system modules.</li>
 * </ul>
 * It never falls back to the platform loader for other names: the platform loader forwards the
 * packages of modules on the module path to the application loader, which would hand guests the
 * hypervisor, the command line and every library of the host. Every other name is a
 * {@link ClassNotFoundException} saying what guests may see. It defines no class, and serves no
 * resources to unprivileged images (privileged ones get the JDK's own).
 */
final class GuestParentLoader extends ClassLoader {
    private static final String HYPERCALL_PREFIX = "org.parasol.hypercall.";

    static {
        registerAsParallelCapable();
    }

    private static final GuestParentLoader STANDARD = new GuestParentLoader(GuestKernel.class, false);
    private static final GuestParentLoader PRIVILEGED = new GuestParentLoader(GuestKernel.class, true);

    private final boolean wholeJdk;
    private final GuestJdkApi list = GuestJdkApi.standard();
    private final ClassLoader apiLoader;
    private final Module apiModule;
    private final URL apiLocation;
    private final ClassLoader platform = ClassLoader.getPlatformClassLoader();

    /**
     * A parent whose hypercall-api is the one {@code apiClass} comes from.
     *
     * @param wholeJdk whether it serves every JDK class (privileged images) or only the listed ones
     */
    GuestParentLoader(Class<?> apiClass, boolean wholeJdk) {
        super(wholeJdk ? "parasol-privileged-guest-parent" : "parasol-guest-parent", null);
        this.wholeJdk = wholeJdk;
        this.apiLoader = Objects.requireNonNull(apiClass.getClassLoader(), "hypercall-api is not on the boot loader");
        this.apiModule = apiClass.getModule();
        CodeSource cs = apiClass.getProtectionDomain().getCodeSource();
        this.apiLocation = cs == null ? null : cs.getLocation();
    }

    /** The parent of unprivileged images: hypercall-api and the listed JDK classes. */
    static GuestParentLoader standard() {
        return STANDARD;
    }

    /** The parent of privileged images: hypercall-api and the whole JDK, still nothing of the host's class or module path. */
    static GuestParentLoader privileged() {
        return PRIVILEGED;
    }

    /** The parent for an image of this privilege. */
    static GuestParentLoader forImage(boolean privileged) {
        return privileged ? PRIVILEGED : STANDARD;
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
        String internal = name.replace('.', '/');
        if (HostPackages.isJdk(internal) && (wholeJdk || list.isListed(internal))) {
            Class<?> c = platform.loadClass(name);
            ClassLoader l = c.getClassLoader();
            if (l != null && l != platform || !c.getName().equals(name)) {
                throw new ClassNotFoundException(name + " is not a class of the JDK");
            }
            return c;
        }
        throw new ClassNotFoundException(name + " is not visible to guest code: "
                + (wholeJdk ? "a privileged image sees its own classes, org.parasol.hypercall and the JDK"
                : "an unprivileged image sees its own classes, org.parasol.hypercall and the JDK classes of "
                + GuestJdkApi.RESOURCE));
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

    @Override
    public URL getResource(String name) {
        return wholeJdk ? super.getResource(name) : null;
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return wholeJdk ? super.getResources(name) : Collections.emptyEnumeration();
    }

    @Override
    public String toString() {
        return getName();
    }
}
