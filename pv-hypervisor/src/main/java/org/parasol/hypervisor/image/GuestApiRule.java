package org.parasol.hypervisor.image;

/**
 * The rules guest bytecode is checked against at load. Each rule keeps the guest inside the
 * hypercall ABI: Xen's guests reach the world only through hypercalls and shared memory, and
 * a Parasol guest must not reach it through the JDK instead.
 *
 * <p>Rules marked {@link #hostAccess()} guard host resources (files, sockets, threads and what
 * runs on them, the host's monitors and standard streams, the environment, the JDK beyond the
 * reviewed list). A privileged image (dom0, a driver domain: {@code privileged=true}) is trusted
 * with those, as Xen trusts dom0 with the hardware; the other rules hold for every image because
 * breaking them breaks the hypervisor itself (reflection into it, {@code Unsafe}, exiting the
 * JVM, defining unverified classes, writing the JDK's fields) or the verifier's own footing
 * (well-formed, bounded, no host packages, nests inside the image).
 */
public enum GuestApiRule {
    /** The bytes must parse as a class file named as the image stores it, every descriptor well formed. */
    WELL_FORMED("well-formed class file", false),
    /** The image stays within {@link ImageLimits}: class count, bytes, constant-pool size, nesting. */
    WITHIN_LIMITS("within the verifier's limits", false),
    /** An image may not bundle classes in the host's packages ({@code HostPackages}): JDK, hypercall-api, hypervisor. */
    NO_RESERVED_PACKAGE("no image classes in host packages", false),
    /** {@code NestHost}, {@code NestMembers} and {@code PermittedSubclasses} name classes of the image only. */
    NO_FOREIGN_NEST("nests and sealed hierarchies inside the image", false),
    /** {@code org.parasol.hypervisor} (and the host's other code) is not visible to guests. */
    NO_HYPERVISOR_INTERNALS("no hypervisor internals", false),
    /**
     * No core reflection, method-handle lookups or constants, constant resolution, bootstraps
     * other than javac's, serialization or service loading.
     */
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
    /** No {@code putfield}/{@code putstatic} (or setter method handle) on a field the image does not declare. */
    NO_HOST_FIELD_WRITES("no writes to fields of host classes", false),
    /** No thread creation or start, thread groups, timers or cleaners (each owns a thread), no {@code Thread} objects. */
    NO_THREADS("no threads", true),
    /** No executors, fork/join, completion stages or parallel streams: nothing that runs guest code on a host thread. */
    NO_EXECUTORS("no executors", true),
    /** No sleeping, parking, locks, latches, blocking queues or futures' {@code get}. */
    NO_BLOCKING("no blocking", true),
    /** No {@code monitorenter}, {@code synchronized} methods, {@code wait} or {@code notify}: a host thread could wait on the guest's monitor. */
    NO_MONITORS("no monitors", true),
    /** No class declaring {@code finalize()}: the JVM's finalizer thread would run guest code. */
    NO_FINALIZERS("no finalizers", true),
    /** No {@code System.out}, {@code System.err} or {@code printStackTrace}: their locks and buffers are the host's. */
    NO_STANDARD_STREAMS("no standard streams", true),
    /** No host files, file descriptors or standard input. */
    NO_HOST_FILES("no host files", true),
    /** No sockets or other network access. */
    NO_SOCKETS("no sockets", true),
    /** No environment variables, system properties, default locale or charset, or loggers of the host. */
    NO_HOST_ENVIRONMENT("no host environment", true),
    /** No state the JDK shares across the JVM: {@code String.intern}, {@code Math.random}, {@code System.gc}. */
    NO_SHARED_JDK_STATE("no JVM-wide shared state", true),
    /** Guest classes and lambdas extend or implement only image, hypercall-api and extendable listed JDK types. */
    EXTENDABLE_SUPERTYPES_ONLY("only extendable JDK supertypes", true),
    /** Only JDK classes and members on the reviewed list ({@link GuestJdkApi}); privileged images use any JDK package. */
    JDK_ALLOW_LIST("only listed JDK classes and members", true);

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
