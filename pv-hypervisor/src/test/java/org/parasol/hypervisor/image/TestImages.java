package org.parasol.hypervisor.image;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import org.parasol.imagefixtures.GoodKernel;

/** Packages the fixture guests into image jars and descriptors under a test's temporary folder. */
final class TestImages {
    private TestImages() {
    }

    static final String FIXTURES = "org/parasol/imagefixtures/";

    /** The test-classes folder the fixtures were compiled into. */
    static Path testClasses() {
        try {
            return Path.of(GoodKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every fixture class file, by jar entry name. */
    static Map<String, byte[]> fixtureClassFiles() throws IOException {
        Path root = testClasses();
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root.resolve(FIXTURES))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                out.put(root.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
            }
        }
        return out;
    }

    /** Writes {@code dir/lib/fixtures.jar} holding every fixture class. */
    static Path writeFixtureJar(Path dir) throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path jar = lib.resolve("fixtures.jar");
        writeJar(jar, fixtureClassFiles());
        return jar;
    }

    static void writeJar(Path jar, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
    }

    /** Writes {@code dir/<name>.image} with the given lines and returns it. */
    static Path writeDescriptor(Path dir, String name, String... lines) throws IOException {
        return Files.write(dir.resolve(name + ImageDescriptor.SUFFIX), List.of(lines));
    }

    /** Writes a fixture jar and one descriptor per kernel ({@code kernel simple name -> image name}), privileged as given. */
    static ImageRepository repository(Path dir, boolean privileged, String... kernelSimpleNames) throws IOException {
        writeFixtureJar(dir);
        for (String k : kernelSimpleNames) {
            writeDescriptor(dir, imageName(k), "kernel=org.parasol.imagefixtures." + k,
                    "classpath=lib/*", "privileged=" + privileged, "description=fixture " + k);
        }
        return new ImageRepository(dir);
    }

    static String imageName(String kernelSimpleName) {
        return kernelSimpleName.replace("Kernel", "").toLowerCase(java.util.Locale.ROOT);
    }

    /** The fixture classes as an in-memory image. */
    static ImageClasses fixtureImage() throws IOException {
        Map<String, byte[]> byBinary = new TreeMap<>();
        fixtureClassFiles().forEach((path, bytes) ->
                byBinary.put(path.substring(0, path.length() - ".class".length()).replace('/', '.'), bytes));
        return ImageClasses.of(byBinary);
    }
}
