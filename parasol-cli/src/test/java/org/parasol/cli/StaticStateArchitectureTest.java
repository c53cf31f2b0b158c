package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypervisor.image.ImageClasses;
import org.parasol.hypervisor.image.StaticStateCheck;

/**
 * The project rule "every static field of hypercall-api and guest code is final and of an
 * immutable type", checked with the same static-state check the hypervisor runs on images:
 * code that passes it can share one class loader across domains.
 */
class StaticStateArchitectureTest {

    /** The repository root: the nearest folder upwards holding both the root pom and hypercall-api. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("hypercall-api"))
                    && Files.isDirectory(p.resolve("pv-guest-kernel"))) {
                return p;
            }
        }
        throw new IllegalStateException("no Parasol repository above " + Path.of("").toAbsolutePath());
    }

    /** A module's main classes; fails the test if the module is not built or has none, so no case passes vacuously. */
    private static ImageClasses classesOf(String module) {
        Path classes = repositoryRoot().resolve(module).resolve("target/classes");
        assertThat(classes).as("%s is built before parasol-cli's tests run", module).isDirectory();
        ImageClasses read = ImageClasses.read(List.of(classes));
        assertThat(read.size()).as("classes in %s", classes).isPositive();
        return read;
    }

    @Test
    @DisplayName("hypercall-api has no mutable static state")
    void shouldFindOnlyImmutableStaticsInHypercallApi() {
        assertThat(StaticStateCheck.forImage(classesOf("hypercall-api")).checkAll()).isEmpty();
    }

    @Test
    @DisplayName("the guest kernel has no mutable static state")
    void shouldFindOnlyImmutableStaticsInTheGuestKernel() {
        assertThat(StaticStateCheck.forImage(classesOf("pv-guest-kernel")).checkAll()).isEmpty();
    }

    @Test
    @DisplayName("the split drivers have no mutable static state")
    void shouldFindOnlyImmutableStaticsInTheDrivers() {
        assertThat(StaticStateCheck.forImage(classesOf("split-drivers")).checkAll()).isEmpty();
    }

    @Test
    @DisplayName("the example images have no mutable static state: their domains share one class loader each")
    void shouldFindOnlyImmutableStaticsInTheExamples() {
        assertThat(StaticStateCheck.forImage(classesOf("examples")).checkAll()).isEmpty();
    }
}
