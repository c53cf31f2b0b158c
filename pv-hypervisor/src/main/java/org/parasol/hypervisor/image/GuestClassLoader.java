package org.parasol.hypervisor.image;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Set;

/**
 * The class loader of a guest kernel: one per image when the image has no mutable static
 * state, else one per domain. Named after the image ({@code image:hello}) or the image and the
 * domain ({@code image:hello/dom3}), which is what stack traces and heap dumps show.
 *
 * <p>Delegation is parent-first to {@link GuestParentLoader} (hypercall-api and the JDK only),
 * then the image: the bytes come from the image's in-memory {@link ImageClasses}, and only
 * classes the {@link BytecodeVerifier} checked are ever defined. A name the verifier did not
 * reach is a {@link ClassNotFoundException}, so unverified code cannot run even if it sits in
 * the image's jars. Resources of the image are served by {@link #getResourceAsStream}.
 */
public final class GuestClassLoader extends ClassLoader {
    static {
        registerAsParallelCapable();
    }

    private final ImageClasses classes;
    private final Set<String> verified;

    GuestClassLoader(String name, ImageClasses classes, Set<String> verified, ClassLoader parent) {
        super(name, parent);
        this.classes = classes;
        this.verified = verified;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = verified.contains(name) ? classes.bytes(name) : null;
        if (bytes == null) {
            throw new ClassNotFoundException(name + " is not a verified class of " + getName());
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
