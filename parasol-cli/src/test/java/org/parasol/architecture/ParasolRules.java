package org.parasol.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;

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

    /** {@code MemorySegment}'s element accessors: a load or store at an offset the caller computes. */
    private static final Set<String> SEGMENT_ACCESSORS =
            Set.of("get", "set", "getAtIndex", "setAtIndex", "getString", "setString");

    /**
     * A call that loads or stores shared bytes at an offset its caller computed: a
     * {@code MemorySegment} element access, a {@code GuestMemory} or {@code SharedBuffer} load,
     * store or atomic, or a {@code VarHandle} access mode. Decoding code reaches the bytes
     * through the ABI's flyweights instead, which name every field's offset once.
     */
    static final DescribedPredicate<JavaMethodCall> RAW_SHARED_BYTE_ACCESS = DescribedPredicate.describe(
            "a load or store of shared bytes at a computed offset (MemorySegment.get/set, GuestMemory or "
                    + "SharedBuffer get*/put*/atomics, VarHandle access modes)",
            call -> {
                JavaClass owner = call.getTargetOwner();
                String name = call.getName();
                if (owner.isAssignableTo("java.lang.foreign.MemorySegment")) {
                    return SEGMENT_ACCESSORS.contains(name);
                }
                if (owner.isAssignableTo("org.parasol.hypercall.GuestMemory")
                        || owner.isAssignableTo("org.parasol.hypercall.SharedBuffer")) {
                    return name.matches("(get|put|compareAnd|getAnd).*");
                }
                if (owner.isAssignableTo("java.lang.invoke.VarHandle")) {
                    return name.matches("(get|set|compareAnd|weakCompareAnd|getAnd).*");
                }
                return false;
            });

    /**
     * The rule that keeps a package's main code decoding shared structures with the ABI's
     * flyweights: no class in {@code packages} loads or stores shared bytes itself, except the
     * classes named in {@code allowed} (the copy helpers that own the scratch the flyweights
     * wrap). Tests may build hostile bytes however they like.
     */
    static ArchRule decodesOnlyThroughFlyweights(String[] packages, String reason, String... allowed) {
        return decodesOnlyThroughFlyweights(ParasolModules.MAIN_CODE, packages, reason, allowed);
    }

    /** As {@link #decodesOnlyThroughFlyweights(String[], String, String...)} for the classes {@code which} selects. */
    static ArchRule decodesOnlyThroughFlyweights(DescribedPredicate<? super JavaClass> which, String[] packages,
            String reason, String... allowed) {
        return noClasses()
                .that().resideInAnyPackage(packages)
                .and().haveNameNotMatching(allowed.length == 0 ? "" : String.join("|", allowed))
                .and(which)
                .should().callMethodWhere(RAW_SHARED_BYTE_ACCESS)
                .because(reason)
                .allowEmptyShould(true);
    }

    /**
     * Hypercall handlers decode guest structures only with the ABI's flyweights, over the
     * vCPU's scratch that {@code GuestArgs} copies them into: no literal offsets, and the same
     * classes the guest's wrappers use, so the layout tests protect both sides.
     */
    static final ArchRule HANDLERS_DECODE_WITH_FLYWEIGHTS = decodesOnlyThroughFlyweights(
            new String[] {"org.parasol.hypervisor.hypercall.."},
            "one ABI, read one way on both sides: handlers read arguments through the flyweights",
            "org\\.parasol\\.hypervisor\\.hypercall\\.GuestArgs");

    /**
     * The guest's event and clock code reads shared_info only through the ABI's flyweights,
     * the classes the hypervisor writes it with.
     */
    static final ArchRule GUEST_EVENTS_AND_CLOCK_DECODE_WITH_FLYWEIGHTS = decodesOnlyThroughFlyweights(
            new String[] {"org.parasol.guest.event..", "org.parasol.guest.pvops..", "org.parasol.guest.grant.."},
            "one ABI, read one way on both sides: shared_info and grant entries go through the flyweights");
}
