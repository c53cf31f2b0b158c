package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The out-of-tree image template in {@code examples/template} (docs/writing-an-image.md), built
 * the way its pom builds it: compiled against hypercall-api, pv-guest-kernel and split-drivers;
 * packaged as {@code images/greeter.image} with {@code lib/} holding its jar, pv-guest-kernel and
 * split-drivers and never hypercall-api; run with {@code parasol run --images}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ImageTemplateTest {

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("examples/template"))) {
                return p;
            }
        }
        throw new IllegalStateException("no Parasol checkout with examples/template above " + Path.of("").toAbsolutePath());
    }

    private static Path template() {
        return root().resolve("examples/template");
    }

    /** What the template compiles against, as Maven resolved it for this build (written before the tests). */
    private static List<Path> compileClassPath() throws IOException {
        Path file = root().resolve("parasol-cli/target/image-compile-class-path.txt");
        assertThat(file).as("written by the dependency plugin's build-classpath goal").isRegularFile();
        List<Path> entries = Stream.of(Files.readString(file).strip().split(File.pathSeparator))
                .map(Path::of).toList();
        assertThat(entries).extracting(p -> p.getFileName().toString())
                .anyMatch(n -> n.startsWith("hypercall-api")).anyMatch(n -> n.startsWith("pv-guest-kernel"))
                .anyMatch(n -> n.startsWith("split-drivers"));
        return entries;
    }

    private static boolean isHypercallApi(Path entry) {
        return entry.toString().contains("hypercall-api");
    }

    private static Document pom() throws Exception {
        try (InputStream in = Files.newInputStream(template().resolve("pom.xml"))) {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
        }
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent().strip();
    }

    @Test
    @DisplayName("the template's pom builds for this Parasol version and keeps hypercall-api out of the image (provided)")
    void shouldDeclareTheDependenciesTheDocumentationDescribes() throws Exception {
        Document template = pom();
        Document parasol;
        try (InputStream in = Files.newInputStream(root().resolve("pom.xml"))) {
            parasol = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in);
        }
        String version = text(parasol.getDocumentElement(), "version");

        assertThat(text(template.getDocumentElement(), "parasol.version")).isEqualTo(version);
        NodeList deps = template.getElementsByTagName("dependency");
        List<String> declared = new ArrayList<>();
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            String scope = text(d, "scope");
            declared.add(text(d, "artifactId") + ":" + (scope.isEmpty() ? "compile" : scope));
            assertThat(text(d, "version")).isEqualTo("${parasol.version}");
        }
        assertThat(declared).containsExactlyInAnyOrder("hypercall-api:provided", "pv-guest-kernel:compile",
                "split-drivers:compile");
    }

    @Test
    @DisplayName("the template compiles against the three jars, packages into an images folder, and runs with --images beside the default images")
    void shouldBuildAndRunTheTemplate(@TempDir Path dir) throws Exception {
        List<Path> classPath = compileClassPath();
        Path classes = Files.createDirectories(dir.resolve("classes"));
        compile(template().resolve("src/main/java"), classPath, classes);

        Path images = Files.createDirectories(dir.resolve("images"));
        Path lib = Files.createDirectories(images.resolve("lib"));
        jar(classes, lib.resolve("greeter-image-1.0-SNAPSHOT.jar"));
        for (Path entry : classPath) {
            if (!isHypercallApi(entry)) { // the hypervisor provides it: never in an image
                if (Files.isDirectory(entry)) { // a reactor build not yet packaged hands out <module>/target/classes
                    jar(entry, lib.resolve(entry.getParent().getParent().getFileName() + ".jar"));
                } else {
                    Files.copy(entry, lib.resolve(entry.getFileName()));
                }
            }
        }
        try (Stream<Path> descriptors = Files.list(template().resolve("src/main/images"))) {
            for (Path d : descriptors.toList()) {
                Files.copy(d, images.resolve(d.getFileName()));
            }
        }
        try (Stream<Path> bundled = Files.list(lib)) {
            assertThat(bundled.map(p -> p.getFileName().toString()).toList())
                    .hasSize(3).noneMatch(n -> n.startsWith("hypercall-api"));
        }

        RunOutcome o = RunOutcome.of("greeter", "hello", "--images", images.toString(), "--cmdline", "name=Parasol");

        assertThat(o.status()).as(o.out() + o.err()).isZero();
        assertThat(o.out()).contains("[greeter] greeter: hello, Parasol")
                .containsPattern("\\[greeter\\] greeter: done after \\d+\\.\\d ms")
                .containsPattern("(?m)^greeter +\\d+ poweroff")
                .contains("[hello] Hello from Parasol!");
    }

    /** javac through java.base's tool SPI, as {@code javac --release 25 -cp ... -d out sources}. */
    private static void compile(Path sources, List<Path> classPath, Path out) throws IOException {
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("tests run on a JDK"));
        List<String> args = new ArrayList<>(List.of("--release", "25", "-Xlint:all", "-Werror", "-d", out.toString(),
                "-classpath", String.join(File.pathSeparator, classPath.stream().map(Path::toString).toList())));
        try (Stream<Path> walk = Files.walk(sources)) {
            walk.filter(p -> p.toString().endsWith(".java")).map(Path::toString).forEach(args::add);
        }
        assertThat(args).anyMatch(a -> a.endsWith(".java"));
        StringWriter log = new StringWriter();
        try (PrintWriter w = new PrintWriter(log)) {
            int status = javac.run(w, w, args.toArray(String[]::new));
            w.flush();
            assertThat(status).as("javac: %s", log).isZero();
        }
    }

    /** Writes every file under {@code folder} into a new jar. */
    private static void jar(Path folder, Path jar) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            for (Path f : files) {
                out.putNextEntry(new JarEntry(folder.relativize(f).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
    }
}
