package org.parasol.hypervisor.image;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Loads kernel images by name for the domain builder, once each: the jars are read, the
 * bytecode verified and the static state checked on the first {@link #load}; later loads and
 * every {@link KernelImage#newKernel} reuse that work. A refused image is not cached, so a
 * rebuilt image can be retried without restarting the host.
 *
 * <p>Thread-safe. Typical use by the domain builder:
 * <pre>{@code
 * KernelImage image = loader.load("hello");
 * GuestKernel kernel = image.newKernel(domid);
 * }</pre>
 */
public final class ImageLoader {
    private final ImageRepository repository;
    private final ConcurrentMap<String, KernelImage> loaded = new ConcurrentHashMap<>();

    /**
     * A loader over {@code repository}, giving guests the hypervisor's own hypercall-api and the
     * JDK their privilege allows ({@link GuestParentLoader#forImage}).
     */
    public ImageLoader(ImageRepository repository) {
        this.repository = repository;
    }

    /** The repository images are found in. */
    public ImageRepository repository() {
        return repository;
    }

    /**
     * The image called {@code name}, loading and verifying it on first use.
     *
     * @throws ImageRefusedException if its bytecode breaks a {@link GuestApiRule}
     * @throws ImageException        if it is unknown, malformed or its kernel class unusable
     */
    public KernelImage load(String name) {
        KernelImage image = loaded.get(name);
        if (image != null) {
            return image;
        }
        return loaded.computeIfAbsent(name, n -> open(repository.find(n)));
    }

    /** Loads an image from a descriptor outside the repository, without caching it. */
    public KernelImage load(ImageDescriptor descriptor) {
        return open(descriptor);
    }

    private static KernelImage open(ImageDescriptor descriptor) {
        return KernelImage.open(descriptor, GuestParentLoader.forImage(descriptor.privileged()));
    }
}
