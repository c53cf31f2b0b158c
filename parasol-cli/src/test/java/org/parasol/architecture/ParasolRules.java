package org.parasol.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.lang.ArchRule;

/**
 * The module boundaries of ARCHITECTURE.md as ArchUnit rules, by package, for main and test
 * code alike.
 *
 * <pre>
 *   hypercall-api      org.parasol.hypercall..   the ABI: the JDK only
 *   pv-hypervisor      org.parasol.hypervisor..  -> hypercall-api
 *   pv-guest-kernel    org.parasol.guest..       -> hypercall-api
 *   split-drivers      org.parasol.drivers..     -> guest kernel
 *   control-api        org.parasol.control..     -> Protocol Buffers (the command line's protocol with dom0)
 *   pv-toolstack       org.parasol.toolstack..   -> drivers (dom0's image: xenstored, later the builder and back ends)
 *   examples           org.parasol.examples..    -> guest kernel, drivers
 *   parasol-cli        org.parasol.cli..         -> hypervisor (loads images by name)
 *   benchmarks         org.parasol.bench..       -> all
 * </pre>
 *
 * <p>Every rule fails when the classes it is about are missing (ArchUnit's default
 * {@code failOnEmptyShould});
 * {@code ArchitectureTest} also checks that every module was imported and is non-empty.
 */
final class ParasolRules {

    private static final String HYPERCALL = "org.parasol.hypercall..";
    private static final String HYPERVISOR = "org.parasol.hypervisor..";
    private static final String GUEST = "org.parasol.guest..";
    private static final String DRIVERS = "org.parasol.drivers..";
    private static final String CONTROL = "org.parasol.control..";
    private static final String TOOLSTACK = "org.parasol.toolstack..";
    private static final String EXAMPLES = "org.parasol.examples..";
    private static final String CLI = "org.parasol.cli..";
    private static final String BENCH = "org.parasol.bench..";

    private ParasolRules() {
    }

    /** hypercall-api is what a guest compiles against: it depends on the JDK and nothing else. */
    static final ArchRule ABI_DEPENDS_ONLY_ON_THE_JDK = classes()
            .that().resideInAPackage(HYPERCALL).and(ParasolModules.MAIN_CODE)
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", HYPERCALL)
            .because("hypercall-api is the ABI a guest kernel compiles against and has no dependencies");

    /** hypercall-api's tests add only the test libraries every module tests with. */
    static final ArchRule ABI_TESTS_DEPEND_ONLY_ON_THE_JDK_AND_TEST_LIBRARIES = classes()
            .that().resideInAPackage(HYPERCALL).and(ParasolModules.TEST_CODE)
            .should().onlyDependOnClassesThat()
            .resideInAnyPackage("java..", HYPERCALL, "org.junit..", "org.assertj..", "net.jqwik..")
            .because("hypercall-api's tests see the ABI, the JDK and JUnit, AssertJ and jqwik only");

    /** The hypervisor is mechanism only and never names guest, driver, dom0 or host-side code. */
    static final ArchRule HYPERVISOR_NEVER_REACHES_OUT = noClasses()
            .that().resideInAPackage(HYPERVISOR)
            .should().dependOnClassesThat().resideInAnyPackage(GUEST, DRIVERS, CONTROL, TOOLSTACK, EXAMPLES, CLI, BENCH)
            .because("the only contract between the hypervisor and what runs on it is hypercall-api");

    /** Guests, drivers, dom0 and example images reach the hypervisor only through hypercalls. */
    static final ArchRule GUESTS_NEVER_REACH_INTO_THE_HYPERVISOR = noClasses()
            .that().resideInAnyPackage(GUEST, DRIVERS, TOOLSTACK, EXAMPLES)
            .should().dependOnClassesThat().resideInAPackage(HYPERVISOR)
            .because("guest code's only contract with the hypervisor is hypercall-api");

    /** The guest kernel is the bottom layer of guest code. */
    static final ArchRule GUEST_KERNEL_SITS_BELOW_DRIVERS = noClasses()
            .that().resideInAPackage(GUEST)
            .should().dependOnClassesThat().resideInAnyPackage(DRIVERS, TOOLSTACK, EXAMPLES)
            .because("drivers, dom0 and images are built on the guest kernel, not the other way round");

    /** Split drivers know nothing of the toolstack that hosts their back ends, nor of images. */
    static final ArchRule DRIVERS_SIT_BELOW_THE_TOOLSTACK = noClasses()
            .that().resideInAPackage(DRIVERS)
            .should().dependOnClassesThat().resideInAnyPackage(TOOLSTACK, EXAMPLES)
            .because("front and back ends are used by dom0 and by images, not the other way round");

    /** dom0 does not build in example images: it loads them by name. */
    static final ArchRule TOOLSTACK_DOES_NOT_NAME_EXAMPLES = noClasses()
            .that().resideInAPackage(TOOLSTACK)
            .should().dependOnClassesThat().resideInAPackage(EXAMPLES)
            .because("the toolstack builds domains from images loaded by name");

    /** The command line wires a hypervisor to images it loads by name, never to guest code (dom0's included). */
    static final ArchRule CLI_DOES_NOT_NAME_GUEST_CODE = noClasses()
            .that().resideInAPackage(CLI)
            .should().dependOnClassesThat().resideInAnyPackage(GUEST, DRIVERS, TOOLSTACK, EXAMPLES)
            .because("images (dom0 included) are loaded by name, not put on the host's class path");

    /**
     * The control API is the protocol between the command line and dom0, so both may use it:
     * it names no Parasol module, only Protocol Buffers.
     */
    static final ArchRule CONTROL_API_DEPENDS_ONLY_ON_PROTOBUF = classes()
            .that().resideInAPackage(CONTROL).and(ParasolModules.MAIN_CODE)
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", CONTROL, "com.google.protobuf..")
            .because("the host and dom0 both use the control API, so it may carry no code of either");
}
