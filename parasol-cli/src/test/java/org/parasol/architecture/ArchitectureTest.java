package org.parasol.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ARCHITECTURE.md's module boundaries, checked on every module's main and test classes. */
class ArchitectureTest {

    private static final JavaClasses CLASSES = ParasolModules.real();

    @Test
    @DisplayName("The module list is the reactor's: a new module must be classified before the rules can cover it")
    void shouldKnowEveryReactorModule() {
        List<String> known = new ArrayList<>(ParasolModules.MODULES.stream().map(ParasolModules.Module::name).toList());
        known.addAll(ParasolModules.WITHOUT_CODE);

        assertThat(ParasolModules.reactorModules()).containsExactlyInAnyOrderElementsOf(known);
        for (String empty : ParasolModules.WITHOUT_CODE) {
            assertThat(ParasolModules.packaging(empty))
                    .as("%s has no code yet; once it is a jar, move it to ParasolModules.MODULES", empty)
                    .isEqualTo("pom");
        }
    }

    @Test
    @DisplayName("Every module was imported, main and test code, and its main code lives in its own package")
    void shouldImportEveryModuleNonEmpty() {
        for (ParasolModules.Module m : ParasolModules.MODULES) {
            List<JavaClass> main = ParasolModules.compiledInto(CLASSES, m.classes());
            List<JavaClass> tests = ParasolModules.compiledInto(ParasolModules.withFixtures(), m.testClasses());

            assertThat(main).as("main classes imported from %s", m.classes()).isNotEmpty()
                    .allSatisfy(c -> assertThat(c).matches(ParasolModules.MAIN_CODE, "is main code"))
                    .allSatisfy(c -> assertThat(c.getPackageName()).as("package of %s", c.getName())
                            .matches(Pattern.quote(m.mainPackage()) + "(\\..*)?"));
            assertThat(tests).as("test classes imported from %s", m.testClasses()).isNotEmpty()
                    .allSatisfy(c -> assertThat(c).matches(ParasolModules.TEST_CODE, "is test code"));
        }
    }

    @Test
    @DisplayName("The fixtures that break the rules are left out of what the rules are checked on")
    void shouldLeaveTheFixturesOut() {
        assertThat(ParasolModules.withFixtures().stream().map(JavaClass::getPackageName))
                .anyMatch(p -> p.startsWith(ParasolModules.FIXTURE_PACKAGE));
        assertThat(CLASSES.stream().map(JavaClass::getPackageName))
                .noneMatch(p -> p.startsWith(ParasolModules.FIXTURE_PACKAGE));
    }

    @Test
    @DisplayName("hypercall-api depends on the JDK only")
    void shouldKeepTheAbiFreeOfDependencies() {
        ParasolRules.ABI_DEPENDS_ONLY_ON_THE_JDK.check(CLASSES);
    }

    @Test
    @DisplayName("hypercall-api's tests use the JDK, the ABI and the test libraries only")
    void shouldKeepTheAbiTestsFreeOfOtherModules() {
        ParasolRules.ABI_TESTS_DEPEND_ONLY_ON_THE_JDK_AND_TEST_LIBRARIES.check(CLASSES);
    }

    @Test
    @DisplayName("pv-hypervisor never imports guest, driver, toolstack, example, CLI or benchmark code")
    void shouldKeepTheHypervisorToMechanism() {
        ParasolRules.HYPERVISOR_NEVER_REACHES_OUT.check(CLASSES);
    }

    @Test
    @DisplayName("Guests, drivers and dom0 never import hypervisor internals: hypercall-api is the only contract")
    void shouldKeepGuestCodeOutOfTheHypervisor() {
        ParasolRules.GUESTS_NEVER_REACH_INTO_THE_HYPERVISOR.check(CLASSES);
    }

    @Test
    @DisplayName("The guest kernel does not depend on drivers, the toolstack or examples")
    void shouldKeepTheGuestKernelAtTheBottom() {
        ParasolRules.GUEST_KERNEL_SITS_BELOW_DRIVERS.check(CLASSES);
    }

    @Test
    @DisplayName("Split drivers do not depend on the toolstack or examples")
    void shouldKeepDriversBelowTheToolstack() {
        ParasolRules.DRIVERS_SIT_BELOW_THE_TOOLSTACK.check(CLASSES);
    }

    @Test
    @DisplayName("The toolstack does not depend on examples")
    void shouldKeepExamplesOutOfTheToolstack() {
        ParasolRules.TOOLSTACK_DOES_NOT_NAME_EXAMPLES.check(CLASSES);
    }

    @Test
    @DisplayName("The control API names no Parasol module: the command line and dom0 both use it")
    void shouldKeepTheControlApiFreeOfParasolCode() {
        ParasolRules.CONTROL_API_DEPENDS_ONLY_ON_PROTOBUF.check(CLASSES);
    }

    @Test
    @DisplayName("The CLI does not depend on the guest kernel, drivers, dom0 or examples: it loads images by name")
    void shouldKeepGuestCodeOffTheCliClassPath() {
        ParasolRules.CLI_DOES_NOT_NAME_GUEST_CODE.check(CLASSES);
    }

    @Test
    @DisplayName("Hypercall handlers decode arguments only through the ABI's flyweights: no literal offsets")
    void shouldKeepHandlersOnTheFlyweights() {
        ParasolRules.HANDLERS_DECODE_WITH_FLYWEIGHTS.check(CLASSES);
    }

    @Test
    @DisplayName("The guest's event, clock and grant code reads shared pages only through the ABI's flyweights")
    void shouldKeepGuestEventAndClockCodeOnTheFlyweights() {
        ParasolRules.GUEST_EVENTS_AND_CLOCK_DECODE_WITH_FLYWEIGHTS.check(CLASSES);
    }
}
