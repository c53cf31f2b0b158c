package org.parasol.hypervisor.image;

import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which class names belong to the host rather than to an image. All names are JVM internal
 * names ({@code java/lang/String}).
 *
 * <p>The host owns:
 * <ul>
 *   <li>the JDK: every package of the runtime image's system modules, and anything under
 *       {@code java/}, {@code javax/}, {@code jdk/}, {@code sun/} and {@code com/sun/};</li>
 *   <li>{@code org/parasol/hypercall/}: hypercall-api, which the hypervisor provides;</li>
 *   <li>{@code org/parasol/hypervisor/}, {@code org/parasol/cli/} and {@code org/parasol/bench/}:
 *       code that runs only in the host.</li>
 * </ul>
 * An image class in one of these packages is refused ({@link GuestApiRule#NO_RESERVED_PACKAGE})
 * and never defined: the verifier would otherwise judge the image's copy while the JVM might
 * link the host's (the guest parent serves JDK and hypercall-api names first), and a stub of a
 * hypervisor class is a lie about what a reference means even where no loader would confuse it.
 *
 * <p>Not host-owned, although the host's class path has copies: {@code org/parasol/guest/},
 * {@code org/parasol/drivers/}, {@code org/parasol/toolstack/} and third-party libraries
 * (Netty, protobuf, SLF4J, picocli). Images are built from them — dom0 is the toolstack, and
 * every example bundles the guest kernel and drivers — and the guest parent never serves them,
 * so an image's copy is the only one its loader can see.
 */
final class HostPackages {
    private HostPackages() {
    }

    private static final String HYPERCALL = "org/parasol/hypercall/";

    private static final List<String> HOST_ONLY = List.of(
            "org/parasol/hypervisor/", "org/parasol/cli/", "org/parasol/bench/");

    private static final List<String> JDK_PREFIXES = List.of("java/", "javax/", "jdk/", "sun/", "com/sun/");

    /** Packages of the JDK's system modules, in internal form. */
    private static final Set<String> JDK_PACKAGES = jdkPackages();

    private static Set<String> jdkPackages() {
        Set<String> packages = new HashSet<>();
        for (ModuleReference ref : ModuleFinder.ofSystem().findAll()) {
            for (String p : ref.descriptor().packages()) {
                packages.add(p.replace('.', '/'));
            }
        }
        return Set.copyOf(packages);
    }

    /** The package of an internal class name ({@code java/lang} for {@code java/lang/String}), {@code ""} for none. */
    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    /** Whether a class of this internal name belongs to the JDK. */
    static boolean isJdk(String internalName) {
        for (String prefix : JDK_PREFIXES) {
            if (internalName.startsWith(prefix)) {
                return true;
            }
        }
        return JDK_PACKAGES.contains(packageOf(internalName));
    }

    /** Whether a class of this internal name is provided by {@code hypercall-api}. */
    static boolean isHypercallApi(String internalName) {
        return internalName.startsWith(HYPERCALL);
    }

    /** Whether this internal name is host-only code: the hypervisor, the command line, the benchmarks. */
    static boolean isHostOnly(String internalName) {
        for (String prefix : HOST_ONLY) {
            if (internalName.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an image may not define a class of this internal name (see the class comment). */
    static boolean isHostOwned(String internalName) {
        return isJdk(internalName) || isHypercallApi(internalName) || isHostOnly(internalName);
    }
}
