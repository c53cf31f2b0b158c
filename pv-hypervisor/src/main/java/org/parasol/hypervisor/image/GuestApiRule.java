package org.parasol.hypervisor.image;

/**
 * The rules guest bytecode is checked against at load. Each rule keeps the guest inside the
 * hypercall ABI: Xen's guests reach the world only through hypercalls and shared memory, and
 * a Parasol guest must not reach it through the JDK instead.
 *
 * <p>Rules marked {@link #hostAccess()} guard host resources (files, sockets, threads,
 * executors, the environment, JDK packages outside the allow-list). A privileged image (dom0,
 * a driver domain: {@code privileged=true}) is trusted with those, as Xen trusts dom0 with the
 * hardware; the other rules hold for every image because breaking them breaks the hypervisor
 * itself (reflection into it, {@code Unsafe}, exiting the JVM, defining unverified classes).
 */
public enum GuestApiRule {
    /** The bytes must parse as a class file named as the image stores it. */
    WELL_FORMED("well-formed class file", false),
    /** An image may not bundle classes of the JDK or hypercall-api (delegation would shadow them). */
    NO_RESERVED_PACKAGE("no classes in JDK or hypercall-api packages", false),
    /** {@code org.parasol.hypervisor} is not visible to guests. */
    NO_HYPERVISOR_INTERNALS("no hypervisor internals", false),
    /** No core reflection, method-handle lookups, reflective bootstraps, serialization or service loading. */
    NO_REFLECTION("no reflection", false),
    /** No {@code sun.misc.Unsafe}, {@code jdk.internal}, {@code sun.*} or {@code com.sun.*}. */
    NO_JDK_INTERNALS("no Unsafe or JDK internals", false),
    /** No restricted FFM methods: {@code Linker}, {@code SymbolLookup}, {@code reinterpret}, {@code withTargetLayout}. */
    NO_RESTRICTED_FOREIGN("no restricted foreign memory", false),
    /** No arena whose memory only an explicit close frees ({@code global}, {@code ofConfined}, {@code ofShared}). */
    NO_UNRECLAIMABLE_NATIVE_MEMORY("no native memory that outlives the domain", false),
    /** No {@code System.exit}, {@code Runtime}, processes or process handles. */
    NO_EXIT("no JVM exit, Runtime or processes", false),
    /** No class loaders, {@code defineClass} or hidden classes. */
    NO_CLASS_LOADERS("no class loaders", false),
    /** No {@code System.load}/{@code loadLibrary}. */
    NO_NATIVE_LIBRARIES("no native libraries", false),
    /** No JVM-wide settings: system properties, standard streams, default locale/time zone, security. */
    NO_GLOBAL_SETTINGS("no JVM-wide settings", false),
    /** No {@code Module}, {@code ModuleLayer} or {@code java.lang.instrument}. */
    NO_MODULE_LAYERS("no module layers or instrumentation", false),
    /** No thread creation or start, thread groups, timers or cleaners (each owns a thread). */
    NO_THREADS("no threads", true),
    /** No executors, fork/join, async completion stages or parallel streams. */
    NO_EXECUTORS("no executors", true),
    /** No host files, file descriptors or standard input. */
    NO_HOST_FILES("no host files", true),
    /** No sockets or other network access. */
    NO_SOCKETS("no sockets", true),
    /** No environment variables, system properties or loggers of the host. */
    NO_HOST_ENVIRONMENT("no host environment", true),
    /** JDK classes outside the allow-listed packages (see {@code docs/threat-model.md}). */
    JDK_ALLOW_LIST("only allow-listed JDK packages", true);

    private final String phrase;
    private final boolean hostAccess;

    GuestApiRule(String phrase, boolean hostAccess) {
        this.phrase = phrase;
        this.hostAccess = hostAccess;
    }

    /** The rule as quoted in violations: {@code no host files}. */
    public String phrase() {
        return phrase;
    }

    /** Whether the rule guards host resources and is therefore waived for privileged images. */
    public boolean hostAccess() {
        return hostAccess;
    }

    /** Whether the rule applies to an image with the given privilege. */
    boolean appliesTo(boolean privileged) {
        return !privileged || !hostAccess;
    }
}
