package org.parasol.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiled classes of all eight Parasol modules, main and test, as ArchUnit sees them.
 *
 * <p>parasol-cli builds after every module it depends on, so by the time its tests run the
 * other modules' {@code target/classes} and {@code target/test-classes} are on disk; they are
 * imported by path, not from the class path, so test code is checked too. A module that has
 * no classes yet has no such folders and is skipped.
 *
 * <p>The fixture package {@value #FIXTURE_PACKAGE} holds deliberately wrong code that proves
 * the rules can fail; {@link #real()} leaves it out, {@link #withFixtures()} keeps it.
 */
final class ParasolModules {

    /** The reactor's modules, in build order. */
    static final List<String> MODULES = List.of(
            "hypercall-api",
            "pv-hypervisor",
            "pv-guest-kernel",
            "split-drivers",
            "pv-toolstack",
            "examples",
            "parasol-cli",
            "benchmarks");

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

    /**
     * The project root: the nearest folder at or above the working directory (surefire runs in
     * {@code parasol-cli/}) holding the parent pom and the {@code hypercall-api} module.
     */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("hypercall-api"))) {
                return p;
            }
        }
        throw new IllegalStateException("no Parasol project root at or above " + dir);
    }

    /** The class folders that exist now: each module's target/classes and target/test-classes. */
    static List<Path> classFolders() {
        Path root = root();
        List<Path> folders = new ArrayList<>();
        for (String module : MODULES) {
            for (String output : List.of("target/classes", "target/test-classes")) {
                Path folder = root.resolve(module).resolve(output);
                if (Files.isDirectory(folder)) {
                    folders.add(folder);
                }
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
