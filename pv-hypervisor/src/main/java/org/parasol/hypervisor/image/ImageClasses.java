package org.parasol.hypervisor.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Every class and resource of an image, read into memory once.
 *
 * <p>This is the image's "kernel file" after the domain builder has read it: verification,
 * the static-state check and every class loader of the image (shared, or one per domain) work
 * from these bytes, so a new domain never reopens a jar. The first class path entry holding a
 * name wins, as on a JVM class path. {@code module-info.class} and multi-release
 * {@code META-INF/versions/} entries are skipped (images run on the class path).
 *
 * <p>Reading is bounded by {@link ImageLimits}: at most {@link ImageLimits#MAX_ENTRIES} entries
 * per jar or folder, {@link ImageLimits#MAX_ENTRY_BYTES} per entry (counted while
 * decompressing, never trusted from the zip header), {@link ImageLimits#MAX_CLASSES} classes and
 * {@link ImageLimits#MAX_IMAGE_BYTES} in all; past any of them the image is refused with an
 * {@link ImageException} naming the limit.
 *
 * <p>{@link #isImageClass} is the one definition of "a class of this image" that the verifier
 * and the guest class loaders share.
 *
 * <p>Immutable after construction; the byte arrays are never handed to guest code.
 */
public final class ImageClasses {
    private static final String CLASS_SUFFIX = ".class";

    private final Map<String, byte[]> classes;
    private final Map<String, byte[]> resources;
    private final long totalBytes;

    private ImageClasses(Map<String, byte[]> classes, Map<String, byte[]> resources) {
        this.classes = Map.copyOf(classes);
        this.resources = Map.copyOf(resources);
        long total = 0;
        for (byte[] b : this.classes.values()) {
            total += b.length;
        }
        for (byte[] b : this.resources.values()) {
            total += b.length;
        }
        this.totalBytes = total;
    }

    /** An image made of the given classes (binary name to class file bytes) and no resources. */
    public static ImageClasses of(Map<String, byte[]> classes) {
        return new ImageClasses(classes, Map.of());
    }

    /**
     * Reads every jar and classes folder of {@code classpath}, in order.
     *
     * @throws ImageException if an entry is missing or unreadable
     */
    public static ImageClasses read(List<Path> classpath) {
        Reader reader = new Reader();
        for (Path entry : classpath) {
            try {
                if (Files.isDirectory(entry)) {
                    reader.readFolder(entry);
                } else if (Files.isRegularFile(entry)) {
                    reader.readJar(entry);
                } else {
                    throw new ImageException("image class path entry does not exist: " + entry);
                }
            } catch (IOException e) {
                throw new ImageException("cannot read image class path entry " + entry + ": " + e.getMessage(), e);
            }
        }
        return new ImageClasses(reader.classes, reader.resources);
    }

    /** One read of a class path, counting against {@link ImageLimits} as it goes. */
    private static final class Reader {
        private final Map<String, byte[]> classes = new HashMap<>();
        private final Map<String, byte[]> resources = new HashMap<>();
        private long totalBytes;

        void readFolder(Path root) throws IOException {
            int count = 0;
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (++count > ImageLimits.MAX_ENTRIES) {
                        throw tooMany(root);
                    }
                    if (!Files.isRegularFile(f)) {
                        continue;
                    }
                    String rel = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
                    try (InputStream in = Files.newInputStream(f)) {
                        add(root, rel, readBounded(in, root, rel));
                    }
                }
            }
        }

        void readJar(Path jar) throws IOException {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                int count = 0;
                Enumeration<? extends ZipEntry> entries = zip.entries();
                while (entries.hasMoreElements()) {
                    ZipEntry e = entries.nextElement();
                    if (++count > ImageLimits.MAX_ENTRIES) {
                        throw tooMany(jar);
                    }
                    if (e.isDirectory()) {
                        continue;
                    }
                    try (InputStream in = zip.getInputStream(e)) {
                        add(jar, e.getName(), readBounded(in, jar, e.getName()));
                    }
                }
            }
        }

        /** At most {@link ImageLimits#MAX_ENTRY_BYTES}: one byte more refuses the entry, whatever its header claims. */
        private static byte[] readBounded(InputStream in, Path where, String name) throws IOException {
            byte[] bytes = in.readNBytes(ImageLimits.MAX_ENTRY_BYTES + 1);
            if (bytes.length > ImageLimits.MAX_ENTRY_BYTES) {
                throw new ImageException("image entry " + name + " in " + where + " is larger than MAX_ENTRY_BYTES ("
                        + ImageLimits.MAX_ENTRY_BYTES + " bytes) once decompressed");
            }
            return bytes;
        }

        private static ImageException tooMany(Path where) {
            return new ImageException(where + " has more than MAX_ENTRIES (" + ImageLimits.MAX_ENTRIES + ") entries");
        }

        private void add(Path where, String path, byte[] bytes) {
            if (path.startsWith("META-INF/versions/")) {
                return;
            }
            totalBytes += bytes.length;
            if (totalBytes > ImageLimits.MAX_IMAGE_BYTES) {
                throw new ImageException("image is larger than MAX_IMAGE_BYTES (" + ImageLimits.MAX_IMAGE_BYTES
                        + " bytes) once decompressed, reading " + where);
            }
            if (path.endsWith(CLASS_SUFFIX)) {
                if (path.equals("module-info.class")) {
                    return;
                }
                String binary = path.substring(0, path.length() - CLASS_SUFFIX.length()).replace('/', '.');
                classes.putIfAbsent(binary, bytes);
                if (classes.size() > ImageLimits.MAX_CLASSES) {
                    throw new ImageException("image has more than MAX_CLASSES (" + ImageLimits.MAX_CLASSES
                            + ") classes, reading " + where);
                }
            } else {
                resources.putIfAbsent(path, bytes);
            }
        }
    }

    /** Binary names ({@code a.b.C$D}) of every class in the image. */
    public Set<String> classNames() {
        return classes.keySet();
    }

    /** Whether the image holds a class of this binary name, in any package. */
    public boolean contains(String binaryName) {
        return classes.containsKey(binaryName);
    }

    /**
     * Whether {@code binaryName} is a class of this image: the image holds it and its package
     * is not the host's ({@link HostPackages}). The verifier judges exactly these classes as the
     * image's own and the guest class loaders define exactly these (once verified); every other
     * name is the host's, judged against the guest's JDK list and served by the guest parent.
     */
    public boolean isImageClass(String binaryName) {
        return classes.containsKey(binaryName) && !HostPackages.isHostOwned(binaryName.replace('.', '/'));
    }

    /** Bytes of every class and resource, as read. */
    public long totalBytes() {
        return totalBytes;
    }

    /** How many classes the image holds. */
    public int size() {
        return classes.size();
    }

    /** The class file of {@code binaryName}, or {@code null}; shared, never to be modified. */
    byte[] bytes(String binaryName) {
        return classes.get(binaryName);
    }

    /** The resource at {@code path} ({@code a/b/c.txt}), or {@code null}; shared, never to be modified. */
    byte[] resource(String path) {
        return resources.get(path);
    }
}
