package org.parasol.hypervisor.image;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Set;

/**
 * The class loader of a guest kernel: one per image when the image has no mutable static
 * state, else one per domain. Named after the image ({@code image:hello}) or the image and the
 * domain ({@code image:hello/dom3}), which is what stack traces and heap dumps show.
 *
 * <p>Delegation follows one predicate, the one the verifier judged by:
 * {@link ImageClasses#isImageClass}. A class of the image is defined here from the image's
 * in-memory bytes, and only if the {@link BytecodeVerifier} checked it (a name the verifier did
 * not reach is a {@link ClassNotFoundException}, so unverified code cannot run even if it sits
 * in the image's jars); every other name goes to {@link GuestParentLoader} (hypercall-api and
 * the JDK classes the image may see), never to the image, so an image's copy of a host class
 * can never be what the JVM links. Resources of the image are served by {@link #getResourceAsStream}.
 */
public final class GuestClassLoader extends ClassLoader {
    static {
        registerAsParallelCapable();
    }

    private final ImageClasses classes;
    private final Set<String> verified;
    /** Whether classes are binary-translated as they are defined ({@link BinaryTranslator}). */
    private final boolean translate;
    private final java.util.concurrent.atomic.AtomicInteger translatedSites = new java.util.concurrent.atomic.AtomicInteger();

    GuestClassLoader(String name, ImageClasses classes, Set<String> verified, ClassLoader parent) {
        this(name, classes, verified, parent, false);
    }

    GuestClassLoader(String name, ImageClasses classes, Set<String> verified, ClassLoader parent, boolean translate) {
        super(name, parent);
        this.classes = classes;
        this.verified = verified;
        this.translate = translate;
    }

    /** Privileged call sites rewritten in the classes this (translating) loader defined so far. */
    public int translatedSites() {
        return translatedSites.get();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = classes.isImageClass(name) ? findClass(name) : getParent().loadClass(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = verified.contains(name) ? classes.bytes(name) : null;
        if (bytes == null) {
            throw new ClassNotFoundException(name + " is not a verified class of " + getName());
        }
        if (translate) {
            BinaryTranslator.Result t = BinaryTranslator.translate(bytes);
            if (t.sites() > 0 && BinaryTranslator.sites(t.bytes()) != 0) {
                throw new ClassNotFoundException(name + ": binary translation left a privileged call site");
            }
            translatedSites.addAndGet(t.sites());
            bytes = t.bytes();
        }
        return defineClass(name, bytes, 0, bytes.length);
    }

    @Override
    public InputStream getResourceAsStream(String name) {
        byte[] bytes = classes.resource(name);
        if (bytes != null) {
            return new ByteArrayInputStream(bytes);
        }
        return super.getResourceAsStream(name);
    }

    @Override
    public String toString() {
        return "GuestClassLoader[" + getName() + "]";
    }
}
