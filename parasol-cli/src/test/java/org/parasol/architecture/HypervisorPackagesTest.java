package org.parasol.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.archfixture.cycle.ping.Ping;
import org.parasol.guest.archfixture.cycle.pong.Pong;

/**
 * pv-hypervisor's packages depend on each other in one direction only: the root package (the
 * host API: Hypervisor) on everything below it, {@code hypercall} (the handlers) on
 * {@code domain}, {@code domain} on {@code event}, {@code grant}, {@code mm}, {@code sched} and
 * {@code time}, and so on down; a cycle between two packages is refused, so that each layer
 * can be read, tested and replaced without the ones above it.
 */
class HypervisorPackagesTest {

    /** Each package under {@code root}, the root itself included, is a slice of its own. */
    static ArchRule packagesFreeOfCycles(String root) {
        SliceAssignment byPackage = new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                String p = c.getPackageName();
                return p.equals(root) || p.startsWith(root + ".") ? SliceIdentifier.of(p) : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "the packages of " + root;
            }
        };
        return SlicesRuleDefinition.slices().assignedFrom(byPackage).should().beFreeOfCycles();
    }

    /** pv-hypervisor's own (main) classes. */
    private static JavaClasses hypervisorMainClasses() {
        return ParasolModules.real().that(ParasolModules.MAIN_CODE);
    }

    @Test
    @DisplayName("pv-hypervisor's packages are free of cycles")
    void shouldKeepTheHypervisorsPackagesFreeOfCycles() {
        packagesFreeOfCycles("org.parasol.hypervisor").check(hypervisorMainClasses());
    }

    @Test
    @DisplayName("Nothing below the root package names it: the host API (Hypervisor, HostConfig) is the top layer")
    void shouldKeepTheHostApiAtTheTop() {
        noClasses().that().resideInAPackage("org.parasol.hypervisor.(*)..")
                .should().dependOnClassesThat().resideInAPackage("org.parasol.hypervisor")
                .check(hypervisorMainClasses());
    }

    @Test
    @DisplayName("The cycle rule is not vacuous: two packages that name each other break it")
    void shouldCatchAPackageCycle() {
        JavaClasses cycle = new ClassFileImporter().importClasses(Ping.class, Pong.class);
        assertThat(Ping.serve(3) + Pong.answer(2)).isPositive();

        assertThatThrownBy(() -> packagesFreeOfCycles("org.parasol.guest.archfixture.cycle").check(cycle))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected")
                .hasMessageContaining("org.parasol.guest.archfixture.cycle.ping")
                .hasMessageContaining("org.parasol.guest.archfixture.cycle.pong");
    }
}
