package org.parasol.hypervisor.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The folders of image descriptors a host boots domains from: the toolstack's view of
 * "which kernels exist here". Folders are searched in order; the first that holds
 * {@code <name>.image} provides image {@code name}.
 *
 * <p>The default folder is, in order: the system property {@value #IMAGES_PROPERTY}; else
 * {@code <parasol.home>/examples/target/images} when the launcher set {@value #HOME_PROPERTY};
 * else the first {@code examples/target/images} found walking up from the working directory
 * (tests run from a module's folder). After it comes the toolstack's folder, where dom0's
 * image is packaged: {@code pv-toolstack/target/images}, found the same way (beside the
 * examples' under {@value #HOME_PROPERTY}, else walking up). Images are never on the host's
 * class path.
 */
public final class ImageRepository {
    /** System property naming the images folder directly. */
    public static final String IMAGES_PROPERTY = "parasol.images";
    /** System property the launcher sets to the repository root. */
    public static final String HOME_PROPERTY = "parasol.home";
    /** Where {@code examples} packages its images, relative to the repository root. */
    public static final String DEFAULT_RELATIVE = "examples/target/images";
    /** Where {@code pv-toolstack} packages dom0's image, relative to the repository root. */
    public static final String TOOLSTACK_RELATIVE = "pv-toolstack/target/images";

    private final List<Path> directories;

    /** A repository over {@code directory}; the folder need not exist yet. */
    public ImageRepository(Path directory) {
        this(List.of(directory));
    }

    /**
     * A repository over {@code directories}, searched in order; a folder need not exist yet.
     *
     * @throws IllegalArgumentException if {@code directories} is empty
     */
    public ImageRepository(List<Path> directories) {
        if (directories.isEmpty()) {
            throw new IllegalArgumentException("an image repository needs at least one folder");
        }
        this.directories = directories.stream().map(d -> d.toAbsolutePath().normalize()).distinct().toList();
    }

    /** The repository the system properties and working directory point to (see the class comment). */
    public static ImageRepository standard() {
        return new ImageRepository(defaultDirectory());
    }

    /**
     * {@code first}, searched in order, then the {@linkplain #standard() default folder}, then
     * the {@linkplain #toolstackDirectory() toolstack's}.
     */
    public static ImageRepository standardAfter(List<Path> first) {
        List<Path> all = new ArrayList<>(first);
        all.add(defaultDirectory());
        all.add(toolstackDirectory());
        return new ImageRepository(all);
    }

    /** The folder of dom0's image (see the class comment); may not exist. */
    public static Path toolstackDirectory() {
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            return Path.of(home).resolve(TOOLSTACK_RELATIVE);
        }
        Path cwd = Path.of("").toAbsolutePath();
        return findUpwards(cwd, TOOLSTACK_RELATIVE).orElse(cwd.resolve(TOOLSTACK_RELATIVE));
    }

    /** The default images folder (see the class comment); may not exist. */
    public static Path defaultDirectory() {
        String explicit = System.getProperty(IMAGES_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            return Path.of(home).resolve(DEFAULT_RELATIVE);
        }
        Path cwd = Path.of("").toAbsolutePath();
        return findUpwards(cwd, DEFAULT_RELATIVE).orElse(cwd.resolve(DEFAULT_RELATIVE));
    }

    /** The first {@code start/relative}, {@code start/../relative}, ... that is a folder. */
    static Optional<Path> findUpwards(Path start, String relative) {
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolve(relative);
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The images folders, in search order. */
    public List<Path> directories() {
        return directories;
    }

    /** Names of every descriptor in the folders, sorted, each once; a folder that does not exist has none. */
    public List<String> names() {
        TreeSet<String> names = new TreeSet<>();
        for (Path directory : directories) {
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "*" + ImageDescriptor.SUFFIX)) {
                for (Path p : ds) {
                    String f = p.getFileName().toString();
                    names.add(f.substring(0, f.length() - ImageDescriptor.SUFFIX.length()));
                }
            } catch (IOException e) {
                throw new ImageException("cannot list images in " + directory + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(names);
    }

    /**
     * Reads the descriptor of image {@code name} from the first folder that has one.
     *
     * @throws ImageException if there is no such image (the message lists the known ones) or its
     *                        descriptor is malformed
     */
    public ImageDescriptor find(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new ImageException("'" + name + "' is not an image name");
        }
        for (Path directory : directories) {
            Path file = directory.resolve(name + ImageDescriptor.SUFFIX);
            if (Files.isRegularFile(file)) {
                return ImageDescriptor.read(file);
            }
        }
        List<String> known = names();
        throw new ImageException("unknown image '" + name + "' in "
                + String.join(" or ", directories.stream().map(Path::toString).toList()) + "; known images: "
                + (known.isEmpty() ? "none (build them with: ./mvnw -pl examples -am package)" : String.join(", ", known)));
    }
}
