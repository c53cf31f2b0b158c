package org.parasol.hypervisor.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The folder of image descriptors a host boots domains from: the toolstack's view of
 * "which kernels exist here".
 *
 * <p>The default folder is, in order: the system property {@value #IMAGES_PROPERTY}; else
 * {@code <parasol.home>/examples/target/images} when the launcher set {@value #HOME_PROPERTY};
 * else the first {@code examples/target/images} found walking up from the working directory
 * (tests run from a module's folder). Images are never on the host's class path.
 */
public final class ImageRepository {
    /** System property naming the images folder directly. */
    public static final String IMAGES_PROPERTY = "parasol.images";
    /** System property the launcher sets to the repository root. */
    public static final String HOME_PROPERTY = "parasol.home";
    /** Where {@code examples} packages its images, relative to the repository root. */
    public static final String DEFAULT_RELATIVE = "examples/target/images";

    private final Path directory;

    /** A repository over {@code directory}; the folder need not exist yet. */
    public ImageRepository(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    /** The repository the system properties and working directory point to (see the class comment). */
    public static ImageRepository standard() {
        return new ImageRepository(defaultDirectory());
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

    /** The images folder. */
    public Path directory() {
        return directory;
    }

    /** Names of every descriptor in the folder, sorted; empty if the folder does not exist. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return names;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "*" + ImageDescriptor.SUFFIX)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                names.add(f.substring(0, f.length() - ImageDescriptor.SUFFIX.length()));
            }
        } catch (IOException e) {
            throw new ImageException("cannot list images in " + directory + ": " + e.getMessage(), e);
        }
        names.sort(null);
        return names;
    }

    /**
     * Reads the descriptor of image {@code name}.
     *
     * @throws ImageException if there is no such image (the message lists the known ones) or its
     *                        descriptor is malformed
     */
    public ImageDescriptor find(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
            throw new ImageException("'" + name + "' is not an image name");
        }
        Path file = directory.resolve(name + ImageDescriptor.SUFFIX);
        if (!Files.isRegularFile(file)) {
            List<String> known = names();
            throw new ImageException("unknown image '" + name + "' in " + directory + "; known images: "
                    + (known.isEmpty() ? "none (build them with: ./mvnw -pl examples -am package)" : String.join(", ", known)));
        }
        return ImageDescriptor.read(file);
    }
}
