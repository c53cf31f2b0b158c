package org.parasol.hypervisor.image;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * A kernel image descriptor: the {@code <name>.image} properties file that says what a domain
 * boots, as a Xen domain config's {@code kernel =} line names the kernel file.
 *
 * <pre>
 * kernel=org.parasol.examples.hello.HelloKernel   # a public GuestKernel with a public no-arg constructor
 * classpath=lib/*                                 # ':'-separated, relative to the descriptor's folder
 * privileged=false                                # true for dom0 and driver domains: may use the host
 * description=Prints hello through the console ring and shuts down
 * </pre>
 *
 * <p>A {@code classpath} entry is a jar, a classes folder, or {@code dir/*} for every jar in
 * {@code dir} (in name order). {@code hypercall-api} is never part of an image: the hypervisor
 * provides it. Invariants: the name is the file name without {@code .image}; the class path
 * is non-empty and every entry existed when the descriptor was read.
 *
 * @param name        short image name ({@code hello})
 * @param kernelClass binary name of the kernel class
 * @param classpath   absolute jar and folder paths, in search order
 * @param privileged  whether the image skips the host-access rules
 * @param description one line for listings, possibly empty
 * @param source      the descriptor file
 */
public record ImageDescriptor(String name, String kernelClass, List<Path> classpath, boolean privileged,
                              String description, Path source) {

    /** The file name suffix of a descriptor. */
    public static final String SUFFIX = ".image";

    private static final Set<String> KEYS = Set.of("kernel", "classpath", "privileged", "description");

    /** Checks the invariants and copies the class path. */
    public ImageDescriptor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kernelClass, "kernelClass");
        classpath = List.copyOf(classpath);
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(source, "source");
        if (classpath.isEmpty()) {
            throw new IllegalArgumentException("image " + name + " has an empty class path");
        }
    }

    /**
     * Reads a descriptor file and resolves its class path against the file's folder.
     *
     * @throws ImageException if the file cannot be read, a key is missing, unknown or malformed,
     *                        or a class-path entry does not exist
     */
    public static ImageDescriptor read(Path file) {
        String fileName = file.getFileName().toString();
        if (!fileName.endsWith(SUFFIX)) {
            throw new ImageException("not an image descriptor (name must end in " + SUFFIX + "): " + file);
        }
        String name = fileName.substring(0, fileName.length() - SUFFIX.length());
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ImageException("image '" + name + "': cannot read descriptor " + file + ": " + e.getMessage(), e);
        }
        for (String key : p.stringPropertyNames()) {
            if (!KEYS.contains(key)) {
                throw new ImageException("image '" + name + "': unknown key '" + key + "' in " + file
                        + " (known keys: " + new TreeSet<>(KEYS) + ")");
            }
        }
        String kernel = required(p, "kernel", name, file);
        if (!isBinaryName(kernel)) {
            throw new ImageException("image '" + name + "': kernel=" + kernel + " is not a fully qualified class name");
        }
        List<Path> classpath = resolveClasspath(required(p, "classpath", name, file), file, name);
        String privileged = p.getProperty("privileged", "false").strip();
        if (!privileged.equals("true") && !privileged.equals("false")) {
            throw new ImageException("image '" + name + "': privileged=" + privileged + " must be true or false");
        }
        return new ImageDescriptor(name, kernel, classpath, privileged.equals("true"),
                p.getProperty("description", "").strip(), file.toAbsolutePath().normalize());
    }

    private static String required(Properties p, String key, String name, Path file) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new ImageException("image '" + name + "': missing key '" + key + "' in " + file);
        }
        return v.strip();
    }

    private static List<Path> resolveClasspath(String value, Path file, String name) {
        Path base = file.toAbsolutePath().normalize().getParent();
        List<Path> out = new ArrayList<>();
        for (String raw : value.split(":")) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*") || entry.endsWith("/*")) {
                Path dir = base.resolve(entry.substring(0, entry.length() - 1)).normalize();
                List<Path> jars = jarsIn(dir, name, entry);
                if (jars.isEmpty()) {
                    throw new ImageException("image '" + name + "': classpath entry " + entry + " (" + dir
                            + ") matches no jar");
                }
                out.addAll(jars);
            } else {
                Path p = base.resolve(entry).normalize();
                if (!Files.exists(p)) {
                    throw new ImageException("image '" + name + "': classpath entry " + entry + " (" + p
                            + ") does not exist; was the image packaged (mvn package)?");
                }
                out.add(p);
            }
        }
        if (out.isEmpty()) {
            throw new ImageException("image '" + name + "': classpath is empty in " + file);
        }
        return out;
    }

    private static List<Path> jarsIn(Path dir, String name, String entry) {
        if (!Files.isDirectory(dir)) {
            throw new ImageException("image '" + name + "': classpath entry " + entry + ": folder " + dir
                    + " does not exist; was the image packaged (mvn package)?");
        }
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            ds.forEach(jars::add);
        } catch (IOException e) {
            throw new ImageException("image '" + name + "': cannot list " + dir + ": " + e.getMessage(), e);
        }
        jars.sort(null);
        return jars;
    }

    private static boolean isBinaryName(String s) {
        for (String part : s.split("\\.", -1)) {
            if (part.isEmpty() || !Character.isJavaIdentifierStart(part.charAt(0))) {
                return false;
            }
            for (int i = 1; i < part.length(); i++) {
                if (!Character.isJavaIdentifierPart(part.charAt(i))) {
                    return false;
                }
            }
        }
        return s.indexOf('.') > 0;
    }
}
