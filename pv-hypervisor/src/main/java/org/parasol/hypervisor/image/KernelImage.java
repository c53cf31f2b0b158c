package org.parasol.hypervisor.image;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Set;

import org.parasol.hypercall.GuestKernel;

/**
 * A loaded and verified kernel image: what the domain builder instantiates a kernel from.
 *
 * <p>Invariants: every class the image's loaders can define passed the {@link BytecodeVerifier};
 * the kernel class implements {@link GuestKernel} and has a public no-argument constructor;
 * if {@link #sharesLoader()} every domain's kernel comes from one {@link GuestClassLoader},
 * otherwise each call to {@link #newKernel} creates a loader of its own (from the bytes already
 * in memory) so no two domains see each other's static fields.
 */
public final class KernelImage {
    private final ImageDescriptor descriptor;
    private final ImageClasses classes;
    private final Set<String> verified;
    private final List<StaticFieldFinding> staticState;
    private final ClassLoader parent;
    private final Constructor<? extends GuestKernel> sharedConstructor;

    private KernelImage(ImageDescriptor descriptor, ImageClasses classes, Set<String> verified,
                        List<StaticFieldFinding> staticState, ClassLoader parent,
                        Constructor<? extends GuestKernel> sharedConstructor) {
        this.descriptor = descriptor;
        this.classes = classes;
        this.verified = verified;
        this.staticState = staticState;
        this.parent = parent;
        this.sharedConstructor = sharedConstructor;
    }

    /**
     * Reads, verifies and links an image. Nothing of the guest runs: the kernel class is
     * loaded but not initialized.
     *
     * @throws ImageRefusedException if a reachable class breaks a {@link GuestApiRule}
     * @throws ImageException        if a jar is unreadable or the kernel class is missing, not a
     *                               {@link GuestKernel}, or has no public no-argument constructor
     */
    static KernelImage open(ImageDescriptor descriptor, ClassLoader parent) {
        ImageClasses classes = ImageClasses.read(descriptor.classpath());
        String kernel = descriptor.kernelClass();
        if (!classes.contains(kernel)) {
            throw new ImageException("image '" + descriptor.name() + "': kernel class " + kernel
                    + " is not in its class path " + descriptor.classpath());
        }
        BytecodeVerifier.Result result = BytecodeVerifier.verify(classes, kernel, descriptor.privileged());
        if (!result.passed()) {
            throw new ImageRefusedException(descriptor.name(), result.violations());
        }
        List<StaticFieldFinding> staticState =
                List.copyOf(new StaticStateCheck(classes, parent).check(result.reachable().stream().sorted().toList()));
        boolean shared = staticState.isEmpty();
        GuestClassLoader loader = new GuestClassLoader(shared ? "image:" + descriptor.name()
                : "image:" + descriptor.name() + "/check", classes, result.reachable(), parent);
        Constructor<? extends GuestKernel> constructor = kernelConstructor(descriptor, loader);
        return new KernelImage(descriptor, classes, result.reachable(), staticState, parent,
                shared ? constructor : null);
    }

    private static Constructor<? extends GuestKernel> kernelConstructor(ImageDescriptor d, ClassLoader loader) {
        String what = "image '" + d.name() + "': kernel class " + d.kernelClass();
        Class<?> c;
        try {
            c = Class.forName(d.kernelClass(), false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ImageException(what + " cannot be loaded: " + e, e);
        }
        if (!GuestKernel.class.isAssignableFrom(c)) {
            throw new ImageException(what + " does not implement " + GuestKernel.class.getName());
        }
        int mods = c.getModifiers();
        if (!Modifier.isPublic(mods) || Modifier.isAbstract(mods) || c.isInterface()) {
            throw new ImageException(what + " must be a public concrete class");
        }
        try {
            return c.asSubclass(GuestKernel.class).getConstructor();
        } catch (NoSuchMethodException e) {
            throw new ImageException(what + " has no public no-argument constructor", e);
        } catch (LinkageError e) {
            throw new ImageException(what + " cannot be linked: " + e, e);
        }
    }

    /** The descriptor the image was loaded from. */
    public ImageDescriptor descriptor() {
        return descriptor;
    }

    /** The image's short name. */
    public String name() {
        return descriptor.name();
    }

    /** Binary names of the verified classes: the only ones its loaders define. */
    public Set<String> verifiedClasses() {
        return verified;
    }

    /** Whether all domains of this image share one class loader (no mutable static state). */
    public boolean sharesLoader() {
        return sharedConstructor != null;
    }

    /** The static fields that forced a loader per domain; empty if the loader is shared. */
    public List<StaticFieldFinding> staticStateFindings() {
        return staticState;
    }

    /** Which loader policy applies and why, for the toolstack's logs. */
    public String loaderPolicy() {
        return sharesLoader()
                ? "image '" + name() + "': one class loader shared by all its domains (no mutable static state)"
                : "image '" + name() + "': one class loader per domain, because of mutable static state: "
                        + StaticStateCheck.summarize(staticState);
    }

    /**
     * A fresh kernel instance for domain {@code domid}: from the shared loader, or from a new
     * loader named {@code image:<name>/dom<domid>}. Runs the guest's static initializers (the
     * first time per loader) and constructor on the calling thread.
     *
     * @throws ImageException if the guest's initializer or constructor throws (the cause)
     */
    public GuestKernel newKernel(int domid) {
        Constructor<? extends GuestKernel> constructor = sharedConstructor;
        return constructor != null ? instantiate(constructor, domid) : newKernelInOwnLoader(domid);
    }

    /**
     * A fresh kernel instance for domain {@code domid} from a loader of its own, even when the
     * image could share one: for a host that wants domains' static state and JIT-compiled code
     * apart, and for measuring what sharing saves.
     *
     * @throws ImageException if the guest's initializer or constructor throws (the cause)
     */
    public GuestKernel newKernelInOwnLoader(int domid) {
        GuestClassLoader loader = new GuestClassLoader("image:" + name() + "/dom" + domid, classes, verified, parent);
        return instantiate(kernelConstructor(descriptor, loader), domid);
    }

    /**
     * A fresh kernel instance for binary-translated domain {@code domid}: from a loader that
     * rewrites each verified class's privileged call sites as it defines it
     * ({@link BinaryTranslator}), named {@code image:<name>/bt<domid>}. One loader per domain:
     * the translated code is the domain's, as a translation cache is one VM's.
     *
     * @throws ImageException if the guest's initializer or constructor throws (the cause)
     */
    public GuestKernel newTranslatedKernel(int domid) {
        GuestClassLoader loader = new GuestClassLoader("image:" + name() + "/bt" + domid, classes, verified, parent,
                true);
        return instantiate(kernelConstructor(descriptor, loader), domid);
    }

    private GuestKernel instantiate(Constructor<? extends GuestKernel> constructor, int domid) {
        try {
            return constructor.newInstance();
        } catch (InvocationTargetException e) {
            throw new ImageException("image '" + name() + "': kernel constructor threw for domain " + domid
                    + ": " + e.getCause(), e.getCause());
        } catch (ExceptionInInitializerError e) {
            throw new ImageException("image '" + name() + "': kernel static initializer threw for domain " + domid
                    + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new ImageException("image '" + name() + "': cannot construct the kernel for domain " + domid
                    + ": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "KernelImage[" + name() + ", " + verified.size() + " classes, "
                + (sharesLoader() ? "shared loader" : "loader per domain") + "]";
    }
}
