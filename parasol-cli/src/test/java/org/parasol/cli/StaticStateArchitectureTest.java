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

    private static ImageClasses classesOf(String module) {
        Path classes = repositoryRoot().resolve(module).resolve("target/classes");
        return Files.isDirectory(classes) ? ImageClasses.read(List.of(classes)) : ImageClasses.of(java.util.Map.of());
    }

    @Test
    @DisplayName("hypercall-api has no mutable static state")
    void shouldFindOnlyImmutableStaticsInHypercallApi() {
        ImageClasses api = classesOf("hypercall-api");

        assertThat(api.size()).as("hypercall-api classes (is hypercall-api/target/classes built?)").isPositive();
        assertThat(StaticStateCheck.forImage(api).checkAll()).isEmpty();
    }

    @Test
    @DisplayName("the guest kernel has no mutable static state")
    void shouldFindOnlyImmutableStaticsInTheGuestKernel() {
        assertThat(StaticStateCheck.forImage(classesOf("pv-guest-kernel")).checkAll()).isEmpty();
    }
}
