package org.parasol.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The compiled classes of every Parasol module with code, main and test, as ArchUnit sees them.
 *
 * <p>parasol-cli's tests run after every other module is built (its pom names them all, test
 * scope or for build order only), so their {@code target/classes} and {@code target/test-classes}
 * are on disk; they are imported by path, not from the class path, so test code is checked too.
 * A folder that is missing is an error, not a module skipped: the rules must never pass because
 * there was nothing to check. {@code ArchitectureTest} checks that the list below is the
 * reactor's and that each module's import is non-empty.
 *
 * <p>The fixture package {@value #FIXTURE_PACKAGE} holds deliberately wrong code that proves
 * the rules can fail; {@link #real()} leaves it out, {@link #withFixtures()} keeps it.
 */
public final class ParasolModules {

    /**
     * A reactor module with code.
     *
     * @param name        its folder and artifact id
     * @param mainPackage the package all of its main code lives in (the rules classify by package)
     */
    record Module(String name, String mainPackage) {
        Path classes() {
            return root().resolve(name).resolve("target/classes");
        }

        Path testClasses() {
            return root().resolve(name).resolve("target/test-classes");
        }
    }

    /** The reactor's modules with code, in build order. */
    static final List<Module> MODULES = List.of(
            new Module("hypercall-api", "org.parasol.hypercall"),
            new Module("pv-hypervisor", "org.parasol.hypervisor"),
            new Module("pv-guest-kernel", "org.parasol.guest"),
            new Module("split-drivers", "org.parasol.drivers"),
            new Module("control-api", "org.parasol.control"),
            new Module("pv-toolstack", "org.parasol.toolstack"),
            new Module("examples", "org.parasol.examples"),
            new Module("benchmarks", "org.parasol.bench"),
            new Module("parasol-cli", "org.parasol.cli"));

    /**
     * Reactor modules that have no code yet ({@code pom} packaging), each to be moved to
     * {@link #MODULES} once it has code. None today.
     */
    static final List<String> WITHOUT_CODE = List.of();

    /** Where the deliberately broken fixtures live (in parasol-cli's test code). */
    static final String FIXTURE_PACKAGE = "org.parasol.guest.archfixture";

    /** Classes compiled from a module's {@code src/test}. */
    static final DescribedPredicate<JavaClass> TEST_CODE = DescribedPredicate.describe(
            "test code",
            c -> c.getSource().map(s -> s.getUri().toString().contains("/target/test-classes/")).orElse(false));

    /** Classes compiled from a module's {@code src/main}. */
    static final DescribedPredicate<JavaClass> MAIN_CODE = not(TEST_CODE).as("main code");

    private ParasolModules() {
    }

    /** Every imported class except the fixtures: what the architecture rules are checked on. */
    static JavaClasses real() {
        return Imported.REAL;
    }

    /** Every imported class including the fixtures, as if they lived in a real module. */
    static JavaClasses withFixtures() {
        return Imported.ALL;
    }

    /** The imported classes compiled into {@code folder} (one module's main or test output). */
    static List<JavaClass> compiledInto(JavaClasses classes, Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        return classes.stream()
                .filter(c -> c.getSource()
                        .map(s -> "file".equals(s.getUri().getScheme()) && Path.of(s.getUri()).startsWith(dir))
                        .orElse(false))
                .toList();
    }

    /**
     * The project root: the nearest folder at or above the working directory (surefire runs in
     * {@code parasol-cli/}) holding the parent pom and the {@code hypercall-api} module.
     */
    public static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("hypercall-api"))) {
                return p;
            }
        }
        throw new IllegalStateException("no Parasol project root at or above " + dir);
    }

    /** The {@code <module>} entries of the root pom, in order. */
    static List<String> reactorModules() {
        return elementTexts(root().resolve("pom.xml"), "module");
    }

    /** The {@code <packaging>} of a module's pom ({@code jar} when it has none). */
    static String packaging(String module) {
        List<String> p = elementTexts(root().resolve(module).resolve("pom.xml"), "packaging");
        return p.isEmpty() ? "jar" : p.getFirst();
    }

    private static List<String> elementTexts(Path pom, String tag) {
        try (InputStream in = Files.newInputStream(pom)) {
            NodeList nodes = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in)
                    .getDocumentElement().getElementsByTagName(tag);
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < nodes.getLength(); i++) {
                texts.add(((Element) nodes.item(i)).getTextContent().strip());
            }
            return texts;
        } catch (IOException | ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("cannot read " + pom + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every module's target/classes and target/test-classes.
     *
     * @throws IllegalStateException if one is missing: the module was not built, or has lost
     *                               its code or its tests, and the rules would check less than
     *                               they claim
     */
    static List<Path> classFolders() {
        List<Path> folders = new ArrayList<>();
        for (Module m : MODULES) {
            for (Path folder : List.of(m.classes(), m.testClasses())) {
                if (!Files.isDirectory(folder)) {
                    throw new IllegalStateException(folder + " does not exist: build every module before"
                            + " parasol-cli's tests (./parasol test, or -pl parasol-cli -am)");
                }
                folders.add(folder);
            }
        }
        return List.copyOf(folders);
    }

    /** Imported once per test JVM; the import takes most of the architecture tests' time. */
    private static final class Imported {
        static final JavaClasses ALL = new ClassFileImporter()
                .withImportOption(location -> !location.contains("module-info.class"))
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPaths(classFolders());

        static final JavaClasses REAL = ALL.that(not(resideInAPackage(FIXTURE_PACKAGE + "..")));
    }
}
