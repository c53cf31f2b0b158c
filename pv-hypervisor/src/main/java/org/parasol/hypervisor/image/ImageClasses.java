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
 * <p>Immutable after construction; the byte arrays are never handed to guest code.
 */
public final class ImageClasses {
    private static final String CLASS_SUFFIX = ".class";

    private final Map<String, byte[]> classes;
    private final Map<String, byte[]> resources;

    private ImageClasses(Map<String, byte[]> classes, Map<String, byte[]> resources) {
        this.classes = Map.copyOf(classes);
        this.resources = Map.copyOf(resources);
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
        Map<String, byte[]> classes = new HashMap<>();
        Map<String, byte[]> resources = new HashMap<>();
        for (Path entry : classpath) {
            try {
                if (Files.isDirectory(entry)) {
                    readFolder(entry, classes, resources);
                } else if (Files.isRegularFile(entry)) {
                    readJar(entry, classes, resources);
                } else {
                    throw new ImageException("image class path entry does not exist: " + entry);
                }
            } catch (IOException e) {
                throw new ImageException("cannot read image class path entry " + entry + ": " + e.getMessage(), e);
            }
        }
        return new ImageClasses(classes, resources);
    }

    private static void readFolder(Path root, Map<String, byte[]> classes, Map<String, byte[]> resources)
            throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                String rel = root.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
                add(rel, Files.readAllBytes(f), classes, resources);
            }
        }
    }

    private static void readJar(Path jar, Map<String, byte[]> classes, Map<String, byte[]> resources)
            throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    add(e.getName(), in.readAllBytes(), classes, resources);
                }
            }
        }
    }

    private static void add(String path, byte[] bytes, Map<String, byte[]> classes, Map<String, byte[]> resources) {
        if (path.startsWith("META-INF/versions/")) {
            return;
        }
        if (path.endsWith(CLASS_SUFFIX)) {
            if (path.equals("module-info.class")) {
                return;
            }
            String binary = path.substring(0, path.length() - CLASS_SUFFIX.length()).replace('/', '.');
            classes.putIfAbsent(binary, bytes);
        } else {
            resources.putIfAbsent(path, bytes);
        }
    }

    /** Binary names ({@code a.b.C$D}) of every class in the image. */
    public Set<String> classNames() {
        return classes.keySet();
    }

    /** Whether the image holds a class of this binary name. */
    public boolean contains(String binaryName) {
        return classes.containsKey(binaryName);
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
