package org.parasol.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ARCHITECTURE.md's module boundaries, checked on every module's main and test classes. */
class ArchitectureTest {

    private static final JavaClasses CLASSES = ParasolModules.real();

    @Test
    @DisplayName("The import sees the built modules, main and test code, and no fixtures")
    void shouldImportEveryBuiltModuleWithItsTests() {
        assertThat(ParasolModules.classFolders())
                .anyMatch(p -> p.endsWith("hypercall-api/target/classes"))
                .anyMatch(p -> p.endsWith("pv-hypervisor/target/classes"))
                .anyMatch(p -> p.endsWith("pv-toolstack/target/classes"))
                .anyMatch(p -> p.endsWith("parasol-cli/target/classes"))
                .anyMatch(p -> p.endsWith("parasol-cli/target/test-classes"));
        assertThat(CLASSES.contain("org.parasol.hypercall.Cpu")).isTrue();
        assertThat(CLASSES.contain("org.parasol.hypervisor.XenCompat")).isTrue();
        assertThat(CLASSES.contain("org.parasol.toolstack.control.v1.DomainConfig")).isTrue();
        assertThat(CLASSES.contain("org.parasol.cli.ParasolCommand")).isTrue();
        assertThat(CLASSES.contain(ArchitectureTest.class.getName())).isTrue();
        assertThat(CLASSES.get(ArchitectureTest.class.getName()))
                .matches(ParasolModules.TEST_CODE, "is test code");
        assertThat(CLASSES.get("org.parasol.hypercall.Cpu"))
                .matches(ParasolModules.MAIN_CODE, "is main code");
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
    @DisplayName("The CLI does not depend on the guest kernel, drivers or examples: it loads images by name")
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
