package org.parasol.hypervisor.image;

import java.util.Set;

/**
 * The name-based deny-list behind {@link GuestApiRule} for privileged images (dom0, driver
 * domains), which may use any JDK package, and the rule names the verifier gives to JDK classes
 * an unprivileged image may not name. Unprivileged images are judged against {@link GuestJdkApi}
 * instead, member by member. All names are JVM internal names ({@code java/lang/System}).
 *
 * <p>The order of the checks: whole classes first ({@link #classRule}), then members
 * ({@link #memberRule}), asked about the class that declares the member (the verifier resolves
 * a reference through the image's and the JDK's hierarchy first, as the JVM does). A guest class
 * never appears here.
 *
 * <p>Besides the host-access rules a privileged image is trusted with, the list holds the doors
 * that are not host access but a way around the verifier or into the hypervisor, for every image:
 * method-handle lookups ({@code MethodHandles.lookup()} and every {@code Lookup} member, even
 * {@code findVarHandle}), constant resolution ({@code resolveConstantDesc} on any class,
 * {@code MethodType.from*}, {@code ConstantBootstraps} called directly), reflection, class
 * loaders, {@code Unsafe}, restricted FFM, exiting the JVM.
 */
final class GuestApiPolicy {
    private GuestApiPolicy() {
    }

    /** Bootstrap methods of the invokedynamic call sites javac emits for lambdas, string concatenation, records and switches. */
    private static final Set<String> ALLOWED_INDY_BOOTSTRAPS = Set.of(
            "java/lang/invoke/LambdaMetafactory.metafactory",
            "java/lang/invoke/LambdaMetafactory.altMetafactory",
            "java/lang/invoke/StringConcatFactory.makeConcat",
            "java/lang/invoke/StringConcatFactory.makeConcatWithConstants",
            "java/lang/runtime/ObjectMethods.bootstrap",
            "java/lang/runtime/SwitchBootstraps.typeSwitch",
            "java/lang/runtime/SwitchBootstraps.enumSwitch");

    /** Owner of the dynamic-constant bootstraps; their arguments are checked separately. */
    static final String CONSTANT_BOOTSTRAPS = "java/lang/invoke/ConstantBootstraps";

    private static final Set<String> CLASS_ALLOWED = Set.of(
            "getName", "getSimpleName", "getTypeName", "getCanonicalName", "getPackageName", "isInstance", "cast",
            "isAssignableFrom", "isArray", "isPrimitive", "isInterface", "isEnum", "isRecord", "isSealed", "isHidden",
            "isAnnotation", "isSynthetic", "isAnonymousClass", "isLocalClass", "isMemberClass", "getComponentType",
            "componentType", "arrayType", "describeConstable", "descriptorString", "getEnumConstants",
            "desiredAssertionStatus", "getSuperclass", "getInterfaces", "getModifiers", "getNestHost", "isNestmateOf",
            "toString", "toGenericString", "hashCode", "equals");

    private static final Set<String> THREAD_ALLOWED = Set.of(
            "currentThread", "onSpinWait", "sleep", "yield", "isInterrupted", "getName", "threadId", "getId",
            "isVirtual", "holdsLock", "isAlive", "isDaemon", "getPriority", "getState", "getStackTrace", "toString",
            "hashCode", "equals");

    private static final Set<String> SYSTEM_ALLOWED = Set.of(
            "arraycopy", "currentTimeMillis", "nanoTime", "identityHashCode", "lineSeparator", "out", "err");

    /** The rule that forbids naming class {@code owner} at all, or {@code null} if it may be named. */
    static GuestApiRule classRule(String owner) {
        if (HostPackages.isHostOnly(owner)) {
            return GuestApiRule.NO_HYPERVISOR_INTERNALS;
        }
        String pkg = HostPackages.packageOf(owner);
        if (pkg.startsWith("jdk/internal") || pkg.startsWith("sun/") || pkg.equals("sun")
                || pkg.startsWith("com/sun/")) {
            return GuestApiRule.NO_JDK_INTERNALS;
        }
        if (pkg.equals("java/lang/reflect")) {
            return GuestApiRule.NO_REFLECTION;
        }
        if (pkg.startsWith("java/lang/instrument")) {
            return GuestApiRule.NO_MODULE_LAYERS;
        }
        if (owner.equals("java/net/URLClassLoader")) {
            return GuestApiRule.NO_CLASS_LOADERS;
        }
        if (pkg.equals("java/net") || pkg.startsWith("java/net/") || pkg.startsWith("javax/net")) {
            return GuestApiRule.NO_SOCKETS;
        }
        if (pkg.equals("java/nio/file") || pkg.startsWith("java/nio/file/")) {
            return GuestApiRule.NO_HOST_FILES;
        }
        if (pkg.equals("java/nio/channels") || pkg.startsWith("java/nio/channels/")) {
            String simple = owner.substring(pkg.length() + 1);
            return simple.contains("Socket") || simple.contains("Datagram") || simple.contains("Selector")
                    ? GuestApiRule.NO_SOCKETS : GuestApiRule.NO_HOST_FILES;
        }
        GuestApiRule named = switch (owner) {
            case "java/lang/Runtime", "java/lang/Process", "java/lang/ProcessBuilder",
                 "java/lang/ProcessBuilder$Redirect", "java/lang/ProcessHandle", "java/lang/ProcessHandle$Info" ->
                    GuestApiRule.NO_EXIT;
            case "java/lang/ClassLoader", "java/security/SecureClassLoader" -> GuestApiRule.NO_CLASS_LOADERS;
            case "java/lang/ModuleLayer", "java/lang/ModuleLayer$Controller", "java/lang/Module" ->
                    GuestApiRule.NO_MODULE_LAYERS;
            case "java/lang/StackWalker", "java/lang/invoke/MethodHandleProxies", "java/util/ServiceLoader",
                 "java/util/ResourceBundle", "java/io/ObjectInputStream", "java/io/ObjectOutputStream",
                 "java/io/ObjectStreamClass" -> GuestApiRule.NO_REFLECTION;
            case "java/lang/ThreadGroup", "java/lang/Thread$Builder", "java/lang/Thread$Builder$OfPlatform",
                 "java/lang/Thread$Builder$OfVirtual", "java/util/Timer", "java/util/TimerTask",
                 "java/util/concurrent/ThreadFactory" -> GuestApiRule.NO_THREADS;
            case "java/util/concurrent/Executors", "java/util/concurrent/ThreadPoolExecutor",
                 "java/util/concurrent/ScheduledThreadPoolExecutor", "java/util/concurrent/ForkJoinPool",
                 "java/util/concurrent/ForkJoinTask", "java/util/concurrent/RecursiveTask",
                 "java/util/concurrent/RecursiveAction", "java/util/concurrent/CountedCompleter",
                 "java/util/concurrent/ForkJoinWorkerThread", "java/util/concurrent/SubmissionPublisher",
                 "java/util/concurrent/StructuredTaskScope" -> GuestApiRule.NO_EXECUTORS;
            case "java/io/File", "java/io/FileInputStream", "java/io/FileOutputStream", "java/io/FileReader",
                 "java/io/FileWriter", "java/io/FileDescriptor", "java/io/RandomAccessFile", "java/io/Console",
                 "java/io/FilePermission", "java/util/zip/ZipFile", "java/util/jar/JarFile" ->
                    GuestApiRule.NO_HOST_FILES;
            case "java/lang/foreign/Linker", "java/lang/foreign/Linker$Option", "java/lang/foreign/SymbolLookup" ->
                    GuestApiRule.NO_RESTRICTED_FOREIGN;
            case "java/lang/SecurityManager", "java/security/Security" -> GuestApiRule.NO_GLOBAL_SETTINGS;
            default -> null;
        };
        return named;
    }

    /**
     * The rule that forbids member {@code name} (descriptor {@code desc}) of JDK or hypercall-api
     * class {@code owner}, or {@code null} if it is allowed.
     */
    static GuestApiRule memberRule(String owner, String name, String desc, boolean field) {
        GuestApiRule whole = classRule(owner);
        if (whole != null) {
            return whole;
        }
        switch (owner) {
            case "java/lang/System" -> {
                if (SYSTEM_ALLOWED.contains(name)) {
                    return null;
                }
                return switch (name) {
                    case "exit" -> GuestApiRule.NO_EXIT;
                    case "load", "loadLibrary", "mapLibraryName" -> GuestApiRule.NO_NATIVE_LIBRARIES;
                    case "setProperty", "setProperties", "clearProperty", "setIn", "setOut", "setErr",
                         "setSecurityManager", "getSecurityManager" -> GuestApiRule.NO_GLOBAL_SETTINGS;
                    case "in", "console" -> GuestApiRule.NO_HOST_FILES;
                    case "inheritedChannel" -> GuestApiRule.NO_SOCKETS;
                    default -> GuestApiRule.NO_HOST_ENVIRONMENT;
                };
            }
            case "java/lang/Thread" -> {
                if (THREAD_ALLOWED.contains(name)) {
                    return null;
                }
                return switch (name) {
                    case "setDefaultUncaughtExceptionHandler" -> GuestApiRule.NO_GLOBAL_SETTINGS;
                    case "getContextClassLoader", "setContextClassLoader" -> GuestApiRule.NO_CLASS_LOADERS;
                    default -> GuestApiRule.NO_THREADS;
                };
            }
            case "java/lang/Class" -> {
                if (CLASS_ALLOWED.contains(name)) {
                    return null;
                }
                return switch (name) {
                    case "getClassLoader" -> GuestApiRule.NO_CLASS_LOADERS;
                    case "getModule" -> GuestApiRule.NO_MODULE_LAYERS;
                    case "getResource", "getResourceAsStream" -> GuestApiRule.NO_HOST_FILES;
                    default -> GuestApiRule.NO_REFLECTION;
                };
            }
            case "java/lang/invoke/MethodHandles" -> {
                return switch (name) {
                    case "lookup", "privateLookupIn", "publicLookup", "reflectAs", "classData", "classDataAt" ->
                            GuestApiRule.NO_REFLECTION;
                    default -> null;
                };
            }
            case "java/lang/invoke/MethodHandles$Lookup" -> {
                return name.startsWith("define") ? GuestApiRule.NO_CLASS_LOADERS : GuestApiRule.NO_REFLECTION;
            }
            case "java/lang/invoke/MethodType" -> {
                return name.startsWith("from") ? GuestApiRule.NO_REFLECTION : null;
            }
            case CONSTANT_BOOTSTRAPS -> {
                return GuestApiRule.NO_REFLECTION;
            }
            case "java/lang/foreign/MemorySegment" -> {
                return name.equals("reinterpret") ? GuestApiRule.NO_RESTRICTED_FOREIGN : null;
            }
            case "java/lang/foreign/AddressLayout" -> {
                return name.equals("withTargetLayout") ? GuestApiRule.NO_RESTRICTED_FOREIGN : null;
            }
            case "java/lang/foreign/Arena" -> {
                return switch (name) {
                    case "global", "ofConfined", "ofShared" -> GuestApiRule.NO_UNRECLAIMABLE_NATIVE_MEMORY;
                    default -> null;
                };
            }
            case "java/lang/ref/Cleaner" -> {
                return name.equals("create") ? GuestApiRule.NO_THREADS : null;
            }
            case "java/util/concurrent/CompletableFuture" -> {
                return name.endsWith("Async") || name.equals("delayedExecutor") || name.equals("orTimeout")
                        || name.equals("completeOnTimeout") || name.equals("defaultExecutor")
                        ? GuestApiRule.NO_EXECUTORS : null;
            }
            case "java/util/Arrays" -> {
                return name.startsWith("parallel") ? GuestApiRule.NO_EXECUTORS : null;
            }
            case "java/lang/Integer", "java/lang/Long", "java/lang/Boolean" -> {
                return name.equals("getInteger") || name.equals("getLong") || name.equals("getBoolean")
                        ? GuestApiRule.NO_HOST_ENVIRONMENT : null;
            }
            case "java/util/Locale", "java/util/TimeZone" -> {
                return name.equals("setDefault") ? GuestApiRule.NO_GLOBAL_SETTINGS : null;
            }
            case "java/io/PrintStream", "java/io/PrintWriter", "java/util/Formatter", "java/util/Scanner" -> {
                return name.equals("<init>") && (desc.startsWith("(Ljava/lang/String;")
                        && !owner.equals("java/util/Scanner") || desc.startsWith("(Ljava/io/File;")
                        || desc.startsWith("(Ljava/nio/file/Path;")) ? GuestApiRule.NO_HOST_FILES : null;
            }
            default -> {
                // fall through to the name-based rules below
            }
        }
        if (!field && name.equals("resolveConstantDesc")) {
            return GuestApiRule.NO_REFLECTION; // a ClassDesc, MethodHandleDesc or DynamicConstantDesc resolved by the guest
        }
        if (!field && (name.equals("parallelStream") && owner.startsWith("java/util/")
                || name.equals("parallel") && owner.startsWith("java/util/stream/"))) {
            return GuestApiRule.NO_EXECUTORS;
        }
        return null;
    }

    /** Whether {@code owner.name} is one of the invokedynamic bootstraps javac emits (judged by name: privileged images). */
    static boolean isJavacBootstrap(String owner, String name) {
        return ALLOWED_INDY_BOOTSTRAPS.contains(owner + "." + name);
    }
}
