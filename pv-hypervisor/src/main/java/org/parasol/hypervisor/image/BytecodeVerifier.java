package org.parasol.hypervisor.image;

import java.lang.classfile.Attributes;
import java.lang.classfile.BootstrapMethodEntry;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.attribute.NestHostAttribute;
import java.lang.classfile.attribute.NestMembersAttribute;
import java.lang.classfile.attribute.PermittedSubclassesAttribute;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantDynamicEntry;
import java.lang.classfile.constantpool.ConstantPool;
import java.lang.classfile.constantpool.DoubleEntry;
import java.lang.classfile.constantpool.FieldRefEntry;
import java.lang.classfile.constantpool.FloatEntry;
import java.lang.classfile.constantpool.IntegerEntry;
import java.lang.classfile.constantpool.InterfaceMethodRefEntry;
import java.lang.classfile.constantpool.InvokeDynamicEntry;
import java.lang.classfile.constantpool.LoadableConstantEntry;
import java.lang.classfile.constantpool.LongEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.constantpool.NameAndTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.StringEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.invoke.LambdaMetafactory;
import java.lang.reflect.AccessFlag;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The load-time check of guest bytecode: Parasol's stand-in for the isolation an MMU gives
 * Xen for free. We can't trust the guest's code, so before any of it runs we read it with the
 * JDK ClassFile API and refuse the image if it could step outside {@link GuestApiRule}.
 *
 * <p>Three principles, for every class the kernel class can reach (the guest loaders define no
 * other class):
 * <ol>
 *   <li><b>Judge what the JVM will resolve.</b> Every class name the JVM may resolve through the
 *       guest's loader — class constants (so {@code new}, casts, catch types, stack-map types,
 *       {@code ldc}), the owners and descriptors of member references, name-and-type and
 *       method-type descriptors, the class's own field and method descriptors, bootstrap
 *       arguments — must be an image class ({@link ImageClasses#isImageClass}: never one in a host
 *       package), a hypercall-api class, or for an unprivileged image a class on the
 *       {@link GuestJdkApi} list. {@code NestHost}, {@code NestMembers} and
 *       {@code PermittedSubclasses} name image classes only.</li>
 *   <li><b>Judge what a call dispatches to.</b> A member reference is resolved as the JVM resolves
 *       it (JVMS 5.4.3: the class and its superclasses, then its superinterfaces; fields through
 *       interfaces before the superclass; signature-polymorphic {@code VarHandle} methods by name)
 *       through image, hypercall-api and JDK classes alike, and judged where the member is
 *       declared. Guest classes extend or implement only image, hypercall-api and
 *       {@code extendable} JDK types, so the only JDK code an object of a guest class can
 *       dispatch to is code the list decided; a guest class that inherits a denied JDK method
 *       which an allowed declaration could dispatch to ({@code Throwable.printStackTrace()}
 *       through an interface of the guest's) is refused.</li>
 *   <li><b>Deny by default.</b> An unprivileged image may use only allowed members of listed JDK
 *       classes, only javac's invokedynamic bootstraps (lambdas, string concatenation, records,
 *       switches) with exactly the static arguments javac emits, and no method-handle,
 *       method-type or dynamic constants (except the one form javac emits for an enum constant
 *       label of a pattern switch); no monitors, {@code synchronized} methods or finalizers, and
 *       no writes to fields it does not declare. A privileged image (dom0, a driver domain) may
 *       use any JDK package and is judged by {@link GuestApiPolicy}'s deny-list, hardened with
 *       the rules that are not about host access: no lookups or constant resolution, no
 *       {@code ConstantBootstraps} field reads whose owner comes from another constant, no
 *       writes to JDK fields, nests inside the image.</li>
 * </ol>
 *
 * <p>Checking is bounded and linear in the image's size: {@link ImageLimits} caps classes,
 * bytes, constant-pool entries, members, bootstrap nesting and supertypes; each constant-pool
 * entry, descriptor, bootstrap method and dynamic constant is examined once per class; each
 * member resolution once per image. {@link Result#work()} counts the units done (pool entries,
 * descriptor characters, instructions, bootstrap arguments, types visited while resolving), so
 * tests can hold the bound without timing anything.
 *
 * <p>A refusal lists each violation as
 * {@code class X, method m(desc): rule 'no host files': calls java/io/FileInputStream.<init>(Ljava/lang/String;)V}.
 * Malformed input is a {@link GuestApiRule#WELL_FORMED} violation, never an exception out of the verifier.
 */
public final class BytecodeVerifier {
    private static final String CONSTANT_POOL = "constant pool";
    private static final int MAX_DETAIL = 400;
    private static final String CLASS_FILE = "class file";
    private static final String SUPERTYPES = "supertypes";
    private static final String OBJECT = "java/lang/Object";
    private static final String LOOKUP_DESC = "Ljava/lang/invoke/MethodHandles$Lookup;";
    private static final String CONSTANT_BOOTSTRAPS = GuestApiPolicy.CONSTANT_BOOTSTRAPS;

    /** javac's invokedynamic bootstraps, by owner, name and exact descriptor. */
    private static final Map<String, String> JAVAC_BOOTSTRAPS = Map.of(
            "java/lang/invoke/LambdaMetafactory.metafactory", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodType;"
                    + "Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/CallSite;",
            "java/lang/invoke/LambdaMetafactory.altMetafactory", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/MethodType;[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;",
            "java/lang/invoke/StringConcatFactory.makeConcat", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/MethodType;)Ljava/lang/invoke/CallSite;",
            "java/lang/invoke/StringConcatFactory.makeConcatWithConstants", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/MethodType;Ljava/lang/String;[Ljava/lang/Object;)"
                    + "Ljava/lang/invoke/CallSite;",
            "java/lang/runtime/ObjectMethods.bootstrap", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/TypeDescriptor;Ljava/lang/Class;Ljava/lang/String;"
                    + "[Ljava/lang/invoke/MethodHandle;)Ljava/lang/Object;",
            "java/lang/runtime/SwitchBootstraps.typeSwitch", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/MethodType;[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;",
            "java/lang/runtime/SwitchBootstraps.enumSwitch", "(" + LOOKUP_DESC
                    + "Ljava/lang/String;Ljava/lang/invoke/MethodType;[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;");

    /** The dynamic-constant bootstrap javac uses for an enum constant label of a pattern switch. */
    private static final String CONSTANT_INVOKE_DESC = "(" + LOOKUP_DESC
            + "Ljava/lang/String;Ljava/lang/Class;Ljava/lang/invoke/MethodHandle;[Ljava/lang/Object;)Ljava/lang/Object;";
    private static final String ENUM_DESC = "Ljava/lang/Enum$EnumDesc;";
    private static final String CLASS_DESC = "Ljava/lang/constant/ClassDesc;";

    private static final int REF_GET_FIELD = 1;
    private static final int REF_PUT_FIELD = 3;
    private static final int REF_PUT_STATIC = 4;
    private static final int REF_INVOKE_VIRTUAL = 5;
    private static final int REF_INVOKE_STATIC = 6;
    private static final int REF_INVOKE_INTERFACE = 9;

    /**
     * The outcome of verifying an image.
     *
     * @param reachable  binary names of the classes the kernel can reach: the only classes the
     *                   image's loaders will define
     * @param violations every violation, empty if the image may run
     * @param work       units of checking done (see the class comment): the measure the verifier
     *                   keeps linear in the image's size
     */
    public record Result(Set<String> reachable, List<Violation> violations, long work) {
        /** Copies both collections. */
        public Result {
            reachable = Set.copyOf(reachable);
            violations = List.copyOf(violations);
        }

        /** Whether the image passed. */
        public boolean passed() {
            return violations.isEmpty();
        }
    }

    private enum Origin { IMAGE, HYPERCALL, JDK }

    private enum Access { CALL, READ, WRITE }

    /** A class as resolution sees it, from the image's bytes or the host's reflection. */
    private record TypeInfo(String name, Origin origin, boolean isInterface, String superName, List<String> interfaces,
                            Map<String, Integer> methods, Map<String, Integer> fields, Map<String, String> polymorphic) {
    }

    /** Where a reference resolved: the declaring class and the declared member's key and flags. */
    private record Declaration(TypeInfo owner, String key, int flags) {
    }

    /** Why a reference is refused: the rule, the class that declares what it reaches, how to say it. */
    private record Denial(GuestApiRule rule, String declaringOwner, String note) {
        String describe(String symbolicOwner) {
            String inherited = declaringOwner == null || declaringOwner.equals(symbolicOwner) ? ""
                    : " (inherited from " + declaringOwner + ")";
            return inherited + (note == null ? "" : ", " + note);
        }
    }

    private static final Optional<Declaration> UNRESOLVED = Optional.empty();

    private final ImageClasses image;
    private final boolean privileged;
    private final GuestJdkApi api = GuestJdkApi.standard();
    private final Map<String, Optional<ClassModel>> models = new HashMap<>();
    private final Map<String, Optional<TypeInfo>> types = new HashMap<>();
    private final Map<String, Optional<Set<String>>> closures = new HashMap<>();
    private boolean closureTooDeep;
    private final Map<String, List<Declaration>> resolutions = new HashMap<>();
    private final Map<String, Optional<GuestApiRule>> nameRules = new HashMap<>();
    private final Map<String, List<Declaration>> deniedImplementations = new HashMap<>();
    private final LinkedHashSet<Violation> violations = new LinkedHashSet<>();
    private long work;

    private BytecodeVerifier(ImageClasses image, boolean privileged) {
        this.image = image;
        this.privileged = privileged;
    }

    /**
     * Verifies the classes of {@code image} reachable from {@code rootBinaryName}.
     *
     * @param privileged whether host-access rules are waived ({@link GuestApiRule#hostAccess()})
     */
    public static Result verify(ImageClasses image, String rootBinaryName, boolean privileged) {
        return new BytecodeVerifier(image, privileged).run(List.of(rootBinaryName));
    }

    /** Verifies every class of {@code image}, reachable or not. */
    public static Result verifyAll(ImageClasses image, boolean privileged) {
        return new BytecodeVerifier(image, privileged).run(new TreeSet<>(image.classNames()));
    }

    /**
     * Verifies one class file on its own, as a one-class image: for tools and for hostile-input
     * tests. Never throws for bad bytes; they come back as a {@link GuestApiRule#WELL_FORMED} violation.
     */
    public static List<Violation> verifyClass(byte[] bytes, boolean privileged) {
        String name;
        try {
            name = ClassFile.of().parse(bytes).thisClass().asInternalName().replace('/', '.');
        } catch (RuntimeException e) {
            return List.of(new Violation("(unnamed)", CLASS_FILE, GuestApiRule.WELL_FORMED,
                    "cannot parse: " + describe(e)));
        }
        return verify(ImageClasses.of(Map.of(name, bytes)), name, privileged).violations();
    }

    private Result run(Iterable<String> roots) {
        if (image.size() > ImageLimits.MAX_CLASSES) {
            return limitOnly(ImageLimits.exceeded(image.size(), "classes", "MAX_CLASSES", ImageLimits.MAX_CLASSES));
        }
        if (image.totalBytes() > ImageLimits.MAX_IMAGE_BYTES) {
            return limitOnly(ImageLimits.exceeded(image.totalBytes(), "bytes", "MAX_IMAGE_BYTES",
                    ImageLimits.MAX_IMAGE_BYTES));
        }
        for (String name : new TreeSet<>(image.classNames())) {
            work++;
            if (HostPackages.isHostOwned(internal(name))) {
                violations.add(new Violation(name, CLASS_FILE, GuestApiRule.NO_RESERVED_PACKAGE,
                        "the image bundles " + internal(name) + ", a class in a package of the host "
                                + "(the JDK, hypercall-api, the hypervisor): references to that name mean the host's class"));
            }
        }
        Set<String> reached = new HashSet<>();
        ArrayDeque<String> queue = new ArrayDeque<>();
        for (String root : roots) {
            if (image.isImageClass(root) && reached.add(root)) {
                queue.add(root);
            }
        }
        while (!queue.isEmpty()) {
            String name = queue.poll();
            Optional<ClassModel> model = model(internal(name));
            if (model.isEmpty()) {
                continue;
            }
            ClassCheck check = new ClassCheck(name, model.get());
            try {
                check.run();
            } catch (RuntimeException | StackOverflowError e) {
                violations.add(new Violation(name, CLASS_FILE, GuestApiRule.WELL_FORMED, "malformed: " + describe(e)));
            }
            for (String ref : check.referenced) {
                if (reached.add(ref)) {
                    queue.add(ref);
                }
            }
        }
        return new Result(reached, new ArrayList<>(violations), work);
    }

    private Result limitOnly(String detail) {
        return new Result(Set.of(), List.of(new Violation("(image)", "image", GuestApiRule.WITHIN_LIMITS, detail)), work);
    }

    /** The parsed class of an image class name, or empty (and a violation) if it does not parse. */
    private Optional<ClassModel> model(String internalName) {
        Optional<ClassModel> known = models.get(internalName);
        if (known != null) {
            return known;
        }
        String binary = internalName.replace('/', '.');
        Optional<ClassModel> result = Optional.empty();
        byte[] bytes = image.isImageClass(binary) ? image.bytes(binary) : null;
        if (bytes != null) {
            work++;
            try {
                ClassModel m = ClassFile.of().parse(bytes);
                String declared = m.thisClass().asInternalName();
                if (!declared.equals(internalName)) {
                    violations.add(new Violation(binary, CLASS_FILE, GuestApiRule.WELL_FORMED,
                            "declares class " + declared + " but is stored as " + internalName));
                } else if (m.isModuleInfo()) {
                    violations.add(new Violation(binary, CLASS_FILE, GuestApiRule.WELL_FORMED, "is a module-info"));
                } else {
                    result = Optional.of(m);
                }
            } catch (RuntimeException e) {
                violations.add(new Violation(binary, CLASS_FILE, GuestApiRule.WELL_FORMED, "cannot parse: " + describe(e)));
            }
        }
        models.put(internalName, result);
        return result;
    }

    // ---------------------------------------------------------------------------------------
    // Names: what the JVM may resolve through the guest's loader

    /**
     * The rule that forbids the JVM resolving {@code internalName} for this image, or
     * {@code null} if it may (an image class, hypercall-api, a listed JDK class; for a privileged
     * image any JDK class the deny-list does not name, and names nobody provides, which are
     * {@code NoClassDefFoundError} at worst). Host-only names are never allowed.
     */
    private GuestApiRule nameRule(String internalName) {
        Optional<GuestApiRule> known = nameRules.get(internalName);
        if (known != null) {
            return known.orElse(null);
        }
        work++;
        GuestApiRule rule;
        if (image.isImageClass(internalName.replace('/', '.')) || HostPackages.isHypercallApi(internalName)) {
            rule = null;
        } else if (HostPackages.isHostOnly(internalName)) {
            rule = GuestApiRule.NO_HYPERVISOR_INTERNALS;
        } else if (HostPackages.isJdk(internalName)) {
            GuestApiRule named = GuestApiPolicy.classRule(internalName);
            if (privileged) {
                rule = named != null && named.appliesTo(true) ? named : null;
            } else {
                rule = api.isListed(internalName) ? null : named != null ? named : GuestApiRule.JDK_ALLOW_LIST;
            }
        } else {
            rule = privileged ? null : GuestApiRule.JDK_ALLOW_LIST;
        }
        nameRules.put(internalName, Optional.ofNullable(rule));
        return rule;
    }

    private static String unlisted(String internalName) {
        return HostPackages.isJdk(internalName) ? "not on the guest JDK list"
                : "neither in the image, nor hypercall-api, nor on the guest JDK list";
    }

    // ---------------------------------------------------------------------------------------
    // Types and resolution, as the JVM does it

    /** The class of this internal name as resolution sees it, or {@code null} if nobody provides it (for this image). */
    private TypeInfo type(String internalName) {
        Optional<TypeInfo> known = types.get(internalName);
        if (known != null) {
            return known.orElse(null);
        }
        work++;
        TypeInfo t = null;
        if (image.isImageClass(internalName.replace('/', '.'))) {
            Optional<ClassModel> m = model(internalName);
            if (m.isPresent()) {
                t = imageType(m.get());
            }
        } else if (HostPackages.isHypercallApi(internalName)) {
            t = hostType(HostTypes.hypercall(internalName), Origin.HYPERCALL);
        } else if (HostPackages.isJdk(internalName) && (privileged || api.isListed(internalName))) {
            t = hostType(HostTypes.jdk(internalName), Origin.JDK);
        }
        types.put(internalName, Optional.ofNullable(t));
        return t;
    }

    private TypeInfo imageType(ClassModel m) {
        Map<String, Integer> methods = new HashMap<>();
        for (MethodModel method : m.methods()) {
            work++;
            methods.put(GuestJdkApi.methodKey(method.methodName().stringValue(), method.methodType().stringValue()),
                    method.flags().flagsMask());
        }
        Map<String, Integer> fields = new HashMap<>();
        for (FieldModel f : m.fields()) {
            work++;
            fields.put(GuestJdkApi.fieldKey(f.fieldName().stringValue(), f.fieldType().stringValue()), f.flags().flagsMask());
        }
        List<String> interfaces = new ArrayList<>();
        m.interfaces().forEach(i -> interfaces.add(i.asInternalName()));
        return new TypeInfo(m.thisClass().asInternalName(), Origin.IMAGE, m.flags().has(AccessFlag.INTERFACE),
                m.superclass().map(ClassEntry::asInternalName).orElse(null), interfaces, methods, fields, Map.of());
    }

    private static TypeInfo hostType(HostTypes.HostType h, Origin origin) {
        return h == null ? null : new TypeInfo(h.name(), origin, h.isInterface(), h.superName(), h.interfaces(),
                h.methods(), h.fields(), h.polymorphic());
    }

    /**
     * Every type in {@code internalName}'s supertype closure (itself first, then its superclass's
     * closure, then its interfaces'), types nobody provides left out (an unknown name has an
     * empty closure); no value if the closure has more than {@link ImageLimits#MAX_SUPERTYPES}
     * types or a cycle. Memoized, so each closure is built once; the recursion goes no deeper
     * than {@link ImageLimits#MAX_SUPERTYPES} (a longer chain of distinct supertypes is too many
     * anyway), so a hostile hierarchy cannot overflow the checking thread's stack.
     */
    private Optional<Set<String>> closure(String internalName) {
        Optional<Set<String>> result = closureOf(internalName, 0);
        if (closureTooDeep) {
            closureTooDeep = false;
            closures.put(internalName, Optional.empty());
            return Optional.empty();
        }
        return result;
    }

    private Optional<Set<String>> closureOf(String internalName, int depth) {
        Optional<Set<String>> known = closures.get(internalName);
        if (known != null) {
            return known; // an unfinished closure is empty: a cycle
        }
        if (depth > ImageLimits.MAX_SUPERTYPES) {
            closureTooDeep = true;
            return Optional.empty();
        }
        closures.put(internalName, Optional.empty());
        TypeInfo t = type(internalName);
        Set<String> out = new LinkedHashSet<>();
        boolean bounded = true;
        if (t != null) {
            out.add(internalName);
            List<String> supers = new ArrayList<>();
            if (t.superName() != null) {
                supers.add(t.superName());
            }
            supers.addAll(t.interfaces());
            for (String s : supers) {
                work++;
                Optional<Set<String>> sc = closureOf(s, depth + 1);
                if (sc.isEmpty() || out.size() + sc.get().size() > 2L * ImageLimits.MAX_SUPERTYPES) {
                    bounded = false;
                    break;
                }
                work += sc.get().size();
                out.addAll(sc.get());
                if (out.size() > ImageLimits.MAX_SUPERTYPES) {
                    bounded = false;
                    break;
                }
            }
        }
        if (closureTooDeep) {
            closures.remove(internalName); // cut short by the depth, not by its own size: decide it on its own later
            return Optional.empty();
        }
        Optional<Set<String>> result = bounded ? Optional.of(Collections.unmodifiableSet(out)) : Optional.empty();
        closures.put(internalName, result);
        return result;
    }

    /** The declarations a method reference resolves to (several when superinterfaces tie), empty if none. */
    private List<Declaration> resolveMethod(String owner, String name, String desc, boolean interfaceRef) {
        String memo = (interfaceRef ? "I " : "M ") + owner + "." + name + desc;
        List<Declaration> known = resolutions.get(memo);
        if (known != null) {
            return known;
        }
        String key = GuestJdkApi.methodKey(name, desc);
        List<Declaration> found = new ArrayList<>();
        TypeInfo c = type(owner);
        if (c != null) {
            if (name.equals("<init>") || name.equals("<clinit>")) {
                declared(c, key, false).ifPresent(found::add);
            } else if (!interfaceRef) {
                // the class and its superclasses, signature-polymorphic methods by name
                int steps = 0;
                for (TypeInfo t = c; t != null && found.isEmpty() && steps++ <= ImageLimits.MAX_SUPERTYPES;
                     t = t.superName() == null ? null : type(t.superName())) {
                    work++;
                    String poly = t.origin() == Origin.JDK ? t.polymorphic().get(name) : null;
                    if (poly != null) {
                        found.add(new Declaration(t, poly, t.methods().get(poly)));
                    } else {
                        declared(t, key, false).ifPresent(found::add);
                    }
                }
                if (found.isEmpty()) {
                    found.addAll(superinterfaceDeclarations(owner, key));
                }
            } else {
                declared(c, key, false).ifPresent(found::add);
                if (found.isEmpty()) {
                    TypeInfo object = type(OBJECT);
                    if (object != null) {
                        declared(object, key, false).filter(d -> (d.flags() & (HostTypes.STATIC | HostTypes.PRIVATE)) == 0
                                && (d.flags() & AccessFlag.PUBLIC.mask()) != 0).ifPresent(found::add);
                    }
                }
                if (found.isEmpty()) {
                    found.addAll(superinterfaceDeclarations(owner, key));
                }
            }
        }
        List<Declaration> result = List.copyOf(found);
        resolutions.put(memo, result);
        return result;
    }

    /** Every non-static, non-private declaration of {@code key} in an interface of {@code owner}'s closure. */
    private List<Declaration> superinterfaceDeclarations(String owner, String key) {
        List<Declaration> out = new ArrayList<>();
        for (String s : closure(owner).orElse(Set.of())) {
            work++;
            TypeInfo t = type(s);
            if (t != null && t.isInterface() && !s.equals(owner)) {
                declared(t, key, false).filter(d -> (d.flags() & (HostTypes.STATIC | HostTypes.PRIVATE)) == 0)
                        .ifPresent(out::add);
            }
        }
        return out;
    }

    /** The field a reference resolves to: the class, its superinterfaces, then its superclass (JVMS 5.4.3.2). */
    private List<Declaration> resolveField(String owner, String name, String desc) {
        String memo = "F " + owner + "." + name + ":" + desc;
        List<Declaration> known = resolutions.get(memo);
        if (known != null) {
            return known;
        }
        Optional<Declaration> d = fieldLookup(owner, GuestJdkApi.fieldKey(name, desc), new HashSet<>());
        List<Declaration> result = d.map(List::of).orElse(List.of());
        resolutions.put(memo, result);
        return result;
    }

    private Optional<Declaration> fieldLookup(String owner, String key, Set<String> visited) {
        work++;
        if (visited.size() > ImageLimits.MAX_SUPERTYPES || !visited.add(owner)) {
            return UNRESOLVED;
        }
        TypeInfo t = type(owner);
        if (t == null) {
            return UNRESOLVED;
        }
        Optional<Declaration> here = declared(t, key, true);
        if (here.isPresent()) {
            return here;
        }
        for (String i : t.interfaces()) {
            Optional<Declaration> d = fieldLookup(i, key, visited);
            if (d.isPresent()) {
                return d;
            }
        }
        return t.superName() == null ? UNRESOLVED : fieldLookup(t.superName(), key, visited);
    }

    private static Optional<Declaration> declared(TypeInfo t, String key, boolean field) {
        Integer flags = (field ? t.fields() : t.methods()).get(key);
        return flags == null ? UNRESOLVED : Optional.of(new Declaration(t, key, flags));
    }

    /** The rule a reached declaration breaks, or {@code null}. */
    private Denial judge(Declaration d, Access access, String memberName, String desc, boolean field) {
        TypeInfo owner = d.owner();
        if (owner.origin() == Origin.IMAGE) {
            return null;
        }
        if (access == Access.WRITE) {
            return new Denial(GuestApiRule.NO_HOST_FIELD_WRITES, owner.name(), null);
        }
        if (owner.origin() == Origin.HYPERCALL) {
            return null;
        }
        if (privileged) {
            GuestApiRule r = GuestApiPolicy.memberRule(owner.name(), memberName, desc, field);
            return r != null && r.appliesTo(true) ? new Denial(r, owner.name(), null) : null;
        }
        GuestJdkApi.Decision decision = api.decide(owner.name(), d.key());
        if (decision == null) {
            return new Denial(GuestApiRule.JDK_ALLOW_LIST, owner.name(), "which is not on the guest JDK list");
        }
        return decision.allowed() ? null : new Denial(decision.deniedBy(), owner.name(), null);
    }

    // ---------------------------------------------------------------------------------------
    // One class

    /** The checks of one class; examines each pool entry, descriptor and bootstrap once. */
    private final class ClassCheck {
        private final String binary;
        private final String self;
        private final ClassModel model;
        private final Set<String> referenced = new LinkedHashSet<>();
        private final BitSet checked = new BitSet();
        private final BitSet descriptorsChecked = new BitSet();
        private final Set<String> descriptorNames = new HashSet<>();
        private final BitSet bootstrapsChecked = new BitSet();
        private final BitSet condysChecked = new BitSet();

        ClassCheck(String binary, ClassModel model) {
            this.binary = binary;
            this.self = model.thisClass().asInternalName();
            this.model = model;
        }

        private void violation(String member, GuestApiRule rule, String detail) {
            if (rule.appliesTo(privileged)) {
                violations.add(new Violation(binary, clip(member, MAX_DETAIL), rule, clip(detail, MAX_DETAIL)));
            }
        }

        void run() {
            ConstantPool pool = model.constantPool();
            if (!withinLimits(pool)) {
                return;
            }
            checked.set(model.thisClass().index());
            checkSupertypes();
            checkNestAttributes();
            for (FieldModel f : model.fields()) {
                work++;
                String member = "field " + f.fieldName().stringValue();
                checkDescriptor(f.fieldType(), false, member);
            }
            for (MethodModel method : model.methods()) {
                work++;
                String name = method.methodName().stringValue();
                String desc = method.methodType().stringValue();
                String member = "method " + name + desc;
                checkDescriptor(method.methodType(), true, member);
                if (method.flags().has(AccessFlag.SYNCHRONIZED)) {
                    violation(member, GuestApiRule.NO_MONITORS, "is synchronized: it locks a monitor another thread may wait on");
                }
                if (name.equals("finalize") && desc.equals("()V") && !method.flags().has(AccessFlag.STATIC)) {
                    violation(member, GuestApiRule.NO_FINALIZERS, "declares finalize(): the JVM's finalizer thread would run it");
                }
                method.code().ifPresent(code -> {
                    for (CodeElement e : code) {
                        work++;
                        checkInstruction(member, e);
                    }
                });
            }
            if (!privileged && !model.flags().has(AccessFlag.INTERFACE)) {
                closure(self).ifPresent(c -> checkDispatch(SUPERTYPES, self, c, "class " + self, Set.of()));
            }
            // Call sites and dynamic constants first, so their bootstrap handles are judged as bootstraps, not as calls.
            for (PoolEntry e : pool) {
                work++;
                if (!checked.get(e.index()) && (e instanceof InvokeDynamicEntry || e instanceof ConstantDynamicEntry)) {
                    checkLeftover(e);
                }
            }
            for (PoolEntry e : pool) {
                work++;
                if (!checked.get(e.index())) {
                    checkLeftover(e);
                }
            }
        }

        private boolean withinLimits(ConstantPool pool) {
            String detail = null;
            if (pool.size() > ImageLimits.MAX_CONSTANT_POOL_ENTRIES) {
                detail = ImageLimits.exceeded(pool.size(), "constant-pool entries", "MAX_CONSTANT_POOL_ENTRIES",
                        ImageLimits.MAX_CONSTANT_POOL_ENTRIES);
            } else if (model.methods().size() > ImageLimits.MAX_METHODS) {
                detail = ImageLimits.exceeded(model.methods().size(), "methods", "MAX_METHODS", ImageLimits.MAX_METHODS);
            } else if (model.fields().size() > ImageLimits.MAX_FIELDS) {
                detail = ImageLimits.exceeded(model.fields().size(), "fields", "MAX_FIELDS", ImageLimits.MAX_FIELDS);
            } else if (pool.bootstrapMethodCount() > ImageLimits.MAX_BOOTSTRAP_METHODS) {
                detail = ImageLimits.exceeded(pool.bootstrapMethodCount(), "bootstrap methods", "MAX_BOOTSTRAP_METHODS",
                        ImageLimits.MAX_BOOTSTRAP_METHODS);
            }
            if (detail != null) {
                violations.add(new Violation(binary, CLASS_FILE, GuestApiRule.WITHIN_LIMITS, detail));
                return false;
            }
            work += pool.size();
            return true;
        }

        // --- supertypes, nests, dispatch

        private void checkSupertypes() {
            Optional<ClassEntry> superclass = model.superclass();
            if (superclass.isEmpty()) {
                violation(CLASS_FILE, GuestApiRule.WELL_FORMED, "has no superclass");
            }
            superclass.ifPresent(s -> checkSupertype(s, "extends"));
            boolean isInterface = model.flags().has(AccessFlag.INTERFACE);
            for (ClassEntry i : model.interfaces()) {
                checkSupertype(i, isInterface ? "extends" : "implements");
            }
            if (closure(self).isEmpty()) {
                violation(SUPERTYPES, GuestApiRule.WITHIN_LIMITS, "has more than MAX_SUPERTYPES ("
                        + ImageLimits.MAX_SUPERTYPES + ") supertypes, or a cycle of them");
            }
        }

        private void checkSupertype(ClassEntry entry, String verb) {
            checked.set(entry.index());
            String name = entry.asInternalName();
            if (!checkClassName(SUPERTYPES, name, verb)) {
                return;
            }
            if (!privileged && HostPackages.isJdk(name) && !api.isExtendable(name)) {
                violation(SUPERTYPES, GuestApiRule.EXTENDABLE_SUPERTYPES_ONLY,
                        verb + " " + name + ", which guest classes may not extend or implement");
            }
        }

        private void checkNestAttributes() {
            model.findAttribute(Attributes.nestHost()).map(NestHostAttribute::nestHost)
                    .ifPresent(h -> checkNestEntry(h, "claims nest host"));
            model.findAttribute(Attributes.nestMembers()).ifPresent(a -> {
                for (ClassEntry e : a.nestMembers()) {
                    checkNestEntry(e, "claims nest member");
                }
            });
            model.findAttribute(Attributes.permittedSubclasses()).ifPresent(a -> {
                for (ClassEntry e : a.permittedSubclasses()) {
                    checkNestEntry(e, "permits subclass");
                }
            });
        }

        private void checkNestEntry(ClassEntry e, String verb) {
            work++;
            checked.set(e.index());
            String name = e.asInternalName();
            if (image.isImageClass(name.replace('/', '.'))) {
                referenced.add(name.replace('/', '.'));
            } else {
                violation(CLASS_FILE, GuestApiRule.NO_FOREIGN_NEST, verb + " " + name + ", which is not a class of the image");
            }
        }

        /**
         * A guest class (or lambda) must not inherit a denied JDK method that a call through an
         * allowed declaration could reach: the JVM selects the inherited method at run time, while
         * the verifier judged the call at the declaration it names.
         *
         * @param chainStart   where selection starts: the class itself, or Object for a lambda
         * @param closure      every supertype of the class or lambda
         * @param declaredHere methods the lambda class declares itself (its SAM)
         */
        private void checkDispatch(String member, String chainStart, Set<String> closure, String what,
                                   Set<String> declaredHere) {
            for (String s : closure) {
                TypeInfo t = type(s);
                if (t == null || t.origin() != Origin.JDK) {
                    continue;
                }
                for (Declaration denied : deniedImplementations(t)) {
                    String key = denied.key();
                    if (declaredHere.contains(key) || !selected(chainStart, denied)) {
                        continue;
                    }
                    String through = allowedDeclaration(closure, key, t.name());
                    if (through != null) {
                        Denial d = judge(denied, Access.CALL, null, null, false);
                        violation(member, d.rule(), what + " inherits " + t.name() + "." + key
                                + ", which a call through " + through + "." + key + " would run");
                    }
                }
            }
        }

        /** Whether the JVM would select {@code impl} for objects of {@code chainStart}: no class between them declares the method. */
        private boolean selected(String chainStart, Declaration impl) {
            int steps = 0;
            for (TypeInfo t = type(chainStart); t != null && steps++ <= ImageLimits.MAX_SUPERTYPES;
                 t = t.superName() == null ? null : type(t.superName())) {
                work++;
                Integer flags = t.methods().get(impl.key());
                if (flags != null && (flags & HostTypes.STATIC) == 0) {
                    return t.name().equals(impl.owner().name());
                }
            }
            return impl.owner().isInterface();
        }

        /** A type of the closure other than {@code except} whose declaration of {@code key} a guest may call, or null. */
        private String allowedDeclaration(Set<String> closure, String key, String except) {
            for (String s : closure) {
                work++;
                TypeInfo t = type(s);
                if (t == null || s.equals(except)) {
                    continue;
                }
                Integer flags = t.methods().get(key);
                if (flags == null || (flags & HostTypes.STATIC) != 0) {
                    continue;
                }
                if (t.origin() != Origin.JDK || judge(new Declaration(t, key, flags), Access.CALL, null, null, false) == null) {
                    return s;
                }
            }
            return null;
        }

        // --- names and descriptors

        /** Checks a class name the JVM may resolve; false (and a violation) if it may not. */
        private boolean checkClassName(String member, String classConstantName, String verb) {
            String element = Descriptors.elementClass(classConstantName);
            if (element == null) {
                return true; // an array of primitives
            }
            if (element.isEmpty()) {
                violation(member, GuestApiRule.WELL_FORMED, verb + " a malformed class name " + clip(classConstantName));
                return false;
            }
            GuestApiRule rule = nameRule(element);
            if (rule == null) {
                if (image.isImageClass(element.replace('/', '.'))) {
                    referenced.add(element.replace('/', '.'));
                }
                return true;
            }
            String why = rule == GuestApiRule.JDK_ALLOW_LIST ? ", which is " + unlisted(element) : "";
            violation(member, rule, verb + " " + element + why);
            return false;
        }

        /** Checks every class a descriptor names, once per descriptor string of this class. */
        private void checkDescriptor(Utf8Entry descriptor, boolean method, String member) {
            if (descriptorsChecked.get(descriptor.index())) {
                return;
            }
            descriptorsChecked.set(descriptor.index());
            checked.set(descriptor.index());
            String s = descriptor.stringValue();
            work += s.length();
            Descriptors.ClassNames names = name -> {
                if (descriptorNames.add(name)) { // each name once per class: the first use is the one reported
                    if (privileged) {
                        checkHostOnly(member, name);
                    } else {
                        checkClassName(member, name, "uses type");
                    }
                }
            };
            boolean ok = method ? Descriptors.methodDescriptor(s, names) : Descriptors.fieldDescriptor(s, names);
            if (!ok) {
                violation(member, GuestApiRule.WELL_FORMED, "has a malformed " + (method ? "method" : "field")
                        + " descriptor " + clip(s));
            }
        }

        /** For a privileged image, descriptors may name any class but the host's own code. */
        private void checkHostOnly(String member, String name) {
            if (HostPackages.isHostOnly(name)) {
                violation(member, GuestApiRule.NO_HYPERVISOR_INTERNALS, "uses type " + name);
            } else if (image.isImageClass(name.replace('/', '.'))) {
                referenced.add(name.replace('/', '.'));
            }
        }

        private void checkNameAndType(NameAndTypeEntry nat, String member) {
            checked.set(nat.index());
            checked.set(nat.name().index());
            checkDescriptor(nat.type(), nat.type().stringValue().startsWith("("), member);
        }

        // --- code

        private void checkInstruction(String member, CodeElement e) {
            switch (e) {
                case InvokeInstruction i -> checkMemberRef(member, i.method(), Access.CALL, "calls");
                case FieldInstruction f -> {
                    boolean write = f.opcode() == Opcode.PUTFIELD || f.opcode() == Opcode.PUTSTATIC;
                    checkMemberRef(member, f.field(), write ? Access.WRITE : Access.READ, write ? "writes field" : "reads field");
                }
                case InvokeDynamicInstruction d -> checkIndy(member, d.invokedynamic());
                case ConstantInstruction.LoadConstantInstruction l -> checkLdc(member, l.constantEntry());
                case NewObjectInstruction n -> {
                    checked.set(n.className().index());
                    checkClassName(member, n.className().asInternalName(), "instantiates");
                }
                case TypeCheckInstruction t -> {
                    checked.set(t.type().index());
                    checkClassName(member, t.type().asInternalName(), "checks the type");
                }
                case NewReferenceArrayInstruction a -> {
                    checked.set(a.componentType().index());
                    checkClassName(member, a.componentType().asInternalName(), "creates an array of");
                }
                case NewMultiArrayInstruction a -> {
                    checked.set(a.arrayType().index());
                    checkClassName(member, a.arrayType().asInternalName(), "creates an array of");
                }
                case MonitorInstruction m -> violation(member, GuestApiRule.NO_MONITORS,
                        m.opcode() == Opcode.MONITORENTER ? "enters a monitor (monitorenter)" : "exits a monitor (monitorexit)");
                case ExceptionCatch c -> c.catchType().ifPresent(t -> {
                    checked.set(t.index());
                    checkClassName(member, t.asInternalName(), "catches");
                });
                default -> {
                    // arithmetic, locals, branches, stack and pseudo-instructions name nothing
                }
            }
        }

        private void checkLdc(String member, LoadableConstantEntry c) {
            switch (c) {
                case ClassEntry ce -> {
                    checked.set(ce.index());
                    checkClassName(member, ce.asInternalName(), "loads class constant");
                }
                case MethodHandleEntry mh -> {
                    if (privileged) {
                        checkMethodHandle(member, mh, "takes a method handle to");
                    } else {
                        markMethodHandle(mh);
                        violation(member, GuestApiRule.NO_REFLECTION, "loads a method handle constant "
                                + mh.reference().owner().asInternalName() + "." + mh.reference().name().stringValue());
                    }
                }
                case MethodTypeEntry mt -> {
                    checked.set(mt.index());
                    checkDescriptor(mt.descriptor(), true, member);
                    if (!privileged) {
                        violation(member, GuestApiRule.NO_REFLECTION, "loads a method type constant " + clip(mt.descriptor().stringValue())
                                + " (its classes resolve through the guest's loader)");
                    }
                }
                case ConstantDynamicEntry condy -> {
                    if (privileged) {
                        checkCondy(member, condy);
                    } else {
                        checked.set(condy.index());
                        violation(member, GuestApiRule.NO_REFLECTION, "loads a dynamic constant bootstrapped by "
                                + bootstrapName(condy.bootstrap()));
                    }
                }
                default -> {
                    // strings and numbers
                }
            }
        }

        // --- member references

        private void checkMemberRef(String member, MemberRefEntry ref, Access access, String verb) {
            checked.set(ref.index());
            checked.set(ref.owner().index());
            checkNameAndType(ref.nameAndType(), member);
            boolean field = ref instanceof FieldRefEntry;
            String owner = ref.owner().asInternalName();
            String name = ref.name().stringValue();
            String desc = ref.type().stringValue();
            String what = verb + " " + owner + "." + name + (field ? "" : desc);
            if (owner.startsWith("[")) {
                if (!checkClassName(member, owner, verb + " a member of")) {
                    return;
                }
                if (field || name.equals("clone") && desc.equals("()Ljava/lang/Object;")) {
                    if (field) {
                        violation(member, GuestApiRule.WELL_FORMED, what + ": arrays have no fields");
                    }
                    return;
                }
                owner = OBJECT; // every other array method is Object's
            } else {
                if (Descriptors.elementClass(owner).isEmpty()) {
                    violation(member, GuestApiRule.WELL_FORMED, what + ": malformed class name");
                    return;
                }
                GuestApiRule rule = nameRule(owner);
                if (rule != null) {
                    violation(member, rule, what + (rule == GuestApiRule.JDK_ALLOW_LIST ? ", whose class is " + unlisted(owner) : ""));
                    return;
                }
                if (image.isImageClass(owner.replace('/', '.'))) {
                    referenced.add(owner.replace('/', '.'));
                }
            }
            List<Declaration> found = field ? resolveField(owner, name, desc)
                    : resolveMethod(owner, name, desc, ref instanceof InterfaceMethodRefEntry);
            if (found.isEmpty()) {
                unresolved(member, owner, name, desc, field, access, what);
                return;
            }
            for (Declaration d : found) {
                Denial denial = judge(d, access, name, desc, field);
                if (denial != null) {
                    violation(member, denial.rule(), what + denial.describe(ref.owner().asInternalName()));
                    return;
                }
            }
        }

        /** A reference no declaration answers: for unprivileged images a refusal; for privileged ones judged by name. */
        private void unresolved(String member, String owner, String name, String desc, boolean field, Access access,
                                String what) {
            if (access == Access.WRITE && !image.isImageClass(owner.replace('/', '.'))) {
                violation(member, GuestApiRule.NO_HOST_FIELD_WRITES, what);
                return;
            }
            if (!privileged) {
                String hidden = unavailableSupertype(owner);
                GuestApiRule rule = hidden == null ? null : nameRule(hidden);
                if (rule != null) {
                    violation(member, rule, what + ", which resolves through " + hidden
                            + (rule == GuestApiRule.JDK_ALLOW_LIST ? ", " + unlisted(hidden) : ""));
                } else {
                    violation(member, GuestApiRule.WELL_FORMED, what + ", which no class it can reach declares");
                }
                return;
            }
            if (HostPackages.isJdk(owner)) {
                GuestApiRule r = GuestApiPolicy.memberRule(owner, name, desc, field);
                if (r != null) {
                    violation(member, r, what);
                }
            }
        }

        /** The first supertype of {@code owner} (breadth first) that nobody provides this image, or null. */
        private String unavailableSupertype(String owner) {
            ArrayDeque<String> todo = new ArrayDeque<>(List.of(owner));
            Set<String> seen = new HashSet<>();
            while (!todo.isEmpty() && seen.size() <= ImageLimits.MAX_SUPERTYPES) {
                String name = todo.poll();
                work++;
                if (!seen.add(name)) {
                    continue;
                }
                TypeInfo t = type(name);
                if (t == null) {
                    return name;
                }
                if (t.superName() != null) {
                    todo.add(t.superName());
                }
                todo.addAll(t.interfaces());
            }
            return null;
        }

        private void markMethodHandle(MethodHandleEntry mh) {
            checked.set(mh.index());
            checked.set(mh.reference().index());
            checked.set(mh.reference().owner().index());
            checked.set(mh.reference().nameAndType().index());
        }

        /** Judges a method-handle constant as the access its kind performs. */
        private void checkMethodHandle(String member, MethodHandleEntry mh, String verb) {
            checked.set(mh.index());
            int kind = mh.kind();
            boolean fieldKind = kind >= REF_GET_FIELD && kind <= REF_PUT_STATIC;
            if (fieldKind != mh.reference() instanceof FieldRefEntry) {
                markMethodHandle(mh);
                violation(member, GuestApiRule.WELL_FORMED, "has a method handle of kind " + kind + " to a "
                        + (fieldKind ? "method" : "field"));
                return;
            }
            Access access = kind == REF_PUT_FIELD || kind == REF_PUT_STATIC ? Access.WRITE
                    : fieldKind ? Access.READ : Access.CALL;
            checkMemberRef(member, mh.reference(), access, verb);
        }

        // --- invokedynamic and dynamic constants

        private String bootstrapName(BootstrapMethodEntry b) {
            MemberRefEntry r = b.bootstrapMethod().reference();
            return r.owner().asInternalName() + "." + r.name().stringValue();
        }

        /** Checks a bootstrap method handle is exactly one of javac's; marks it. */
        private boolean isJavacBootstrap(MethodHandleEntry bsm, String javacName) {
            markMethodHandle(bsm);
            MemberRefEntry r = bsm.reference();
            String desc = JAVAC_BOOTSTRAPS.get(javacName);
            return bsm.kind() == REF_INVOKE_STATIC && !(r instanceof InterfaceMethodRefEntry) && desc != null
                    && r.type().equalsString(desc);
        }

        private void checkIndy(String member, InvokeDynamicEntry indy) {
            if (checked.get(indy.index())) {
                return;
            }
            checked.set(indy.index());
            checkNameAndType(indy.nameAndType(), member);
            BootstrapMethodEntry b = indy.bootstrap();
            MethodHandleEntry bsm = b.bootstrapMethod();
            String name = bootstrapName(b);
            checkNameAndType(bsm.reference().nameAndType(), member);
            boolean javac = privileged ? GuestApiPolicy.isJavacBootstrap(bsm.reference().owner().asInternalName(),
                    bsm.reference().name().stringValue()) : isJavacBootstrap(bsm, name);
            markMethodHandle(bsm);
            if (!javac) {
                violation(member, GuestApiRule.NO_REFLECTION, "bootstraps invokedynamic with " + name);
                markArguments(b);
                return;
            }
            if (privileged) {
                if (!bootstrapsChecked.get(b.bsmIndex())) {
                    bootstrapsChecked.set(b.bsmIndex());
                    for (LoadableConstantEntry arg : b.arguments()) {
                        work++;
                        checkPrivilegedArgument(member, arg);
                    }
                }
                return;
            }
            boolean argsOk = bootstrapsChecked.get(b.bsmIndex()) || checkJavacArguments(member, name, b);
            bootstrapsChecked.set(b.bsmIndex());
            if (argsOk && name.startsWith("java/lang/invoke/LambdaMetafactory.")) {
                checkLambdaType(member, indy);
            }
        }

        private void markArguments(BootstrapMethodEntry b) {
            for (LoadableConstantEntry arg : b.arguments()) {
                work++;
                if (arg instanceof MethodHandleEntry mh) {
                    markMethodHandle(mh);
                } else {
                    checked.set(arg.index());
                }
            }
        }

        /** Checks the static arguments of one of javac's bootstraps against exactly what javac emits. */
        private boolean checkJavacArguments(String member, String bootstrap, BootstrapMethodEntry b) {
            List<LoadableConstantEntry> args = b.arguments();
            work += args.size();
            String problem = switch (bootstrap) {
                case "java/lang/invoke/LambdaMetafactory.metafactory" -> args.size() == 3 ? lambdaArguments(member, args) : "wrong count";
                case "java/lang/invoke/LambdaMetafactory.altMetafactory" -> altLambdaArguments(member, args);
                case "java/lang/invoke/StringConcatFactory.makeConcat" -> args.isEmpty() ? null : "wrong count";
                case "java/lang/invoke/StringConcatFactory.makeConcatWithConstants" -> concatArguments(args);
                case "java/lang/runtime/ObjectMethods.bootstrap" -> recordArguments(args);
                case "java/lang/runtime/SwitchBootstraps.typeSwitch" -> switchArguments(member, args, true);
                case "java/lang/runtime/SwitchBootstraps.enumSwitch" -> switchArguments(member, args, false);
                default -> "unknown bootstrap";
            };
            if (problem != null) {
                markArguments(b);
                violation(member, GuestApiRule.NO_REFLECTION, "bootstraps invokedynamic with " + bootstrap
                        + " and static arguments javac does not emit (" + problem + ")");
                return false;
            }
            return true;
        }

        /** metafactory's (samType, implementation, instantiatedType); null if they are javac's shape. */
        private String lambdaArguments(String member, List<LoadableConstantEntry> args) {
            if (!(args.get(0) instanceof MethodTypeEntry sam) || !(args.get(1) instanceof MethodHandleEntry impl)
                    || !(args.get(2) instanceof MethodTypeEntry instantiated)) {
                return "expected a method type, a method handle and a method type";
            }
            int kind = impl.kind();
            if (kind < REF_INVOKE_VIRTUAL || kind > REF_INVOKE_INTERFACE) {
                markMethodHandle(impl);
                return "the implementation is a field handle";
            }
            checked.set(sam.index());
            checked.set(instantiated.index());
            checkDescriptor(sam.descriptor(), true, member);
            checkDescriptor(instantiated.descriptor(), true, member);
            checkMethodHandle(member, impl, "takes a method handle to");
            return null;
        }

        /** altMetafactory's (samType, implementation, instantiatedType, flags, [markers], [bridges]). */
        private String altLambdaArguments(String member, List<LoadableConstantEntry> args) {
            if (args.size() < 4 || !(args.get(3) instanceof IntegerEntry flagsEntry)) {
                return "expected flags after the three metafactory arguments";
            }
            String basic = lambdaArguments(member, args.subList(0, 3));
            if (basic != null) {
                return basic;
            }
            checked.set(flagsEntry.index());
            int flags = flagsEntry.intValue();
            if ((flags & LambdaMetafactory.FLAG_SERIALIZABLE) != 0) {
                return "a serializable lambda (FLAG_SERIALIZABLE): its deserialization runs through reflection";
            }
            if ((flags & ~(LambdaMetafactory.FLAG_MARKERS | LambdaMetafactory.FLAG_BRIDGES)) != 0) {
                return "unknown flags " + flags;
            }
            int i = 4;
            if ((flags & LambdaMetafactory.FLAG_MARKERS) != 0) {
                if (i >= args.size() || !(args.get(i) instanceof IntegerEntry count) || count.intValue() < 0
                        || i + 1 + count.intValue() > args.size()) {
                    return "a malformed marker count";
                }
                checked.set(args.get(i).index());
                i++;
                for (int m = 0; m < count.intValue(); m++, i++) {
                    if (!(args.get(i) instanceof ClassEntry marker)) {
                        return "a marker that is not a class";
                    }
                    checked.set(marker.index());
                    if (checkClassName(member, marker.asInternalName(), "marks a lambda with")) {
                        checkLambdaInterface(member, marker.asInternalName(), "marks a lambda with");
                    }
                }
            }
            if ((flags & LambdaMetafactory.FLAG_BRIDGES) != 0) {
                if (i >= args.size() || !(args.get(i) instanceof IntegerEntry count) || count.intValue() < 0
                        || i + 1 + count.intValue() > args.size()) {
                    return "a malformed bridge count";
                }
                checked.set(args.get(i).index());
                i++;
                for (int m = 0; m < count.intValue(); m++, i++) {
                    if (!(args.get(i) instanceof MethodTypeEntry bridge)) {
                        return "a bridge that is not a method type";
                    }
                    checked.set(bridge.index());
                    checkDescriptor(bridge.descriptor(), true, member);
                }
            }
            return i == args.size() ? null : "arguments after the bridges";
        }

        /**
         * The lambda's functional interface (the call site's return type) and marker interfaces:
         * the JVM defines a class implementing them in the guest's loader, so they are judged as
         * a guest class's interfaces would be, dispatch included.
         */
        private void checkLambdaType(String member, InvokeDynamicEntry indy) {
            String indyType = indy.type().stringValue();
            String[] ret = new String[1];
            int close = indyType.lastIndexOf(')');
            String returnType = close < 0 ? "" : indyType.substring(close + 1);
            if (!Descriptors.fieldDescriptor(returnType, n -> ret[0] = n) || ret[0] == null || returnType.startsWith("[")) {
                violation(member, GuestApiRule.WELL_FORMED, "bootstraps a lambda whose call site does not return an interface");
                return;
            }
            if (!checkLambdaInterface(member, ret[0], "creates a lambda implementing")) {
                return;
            }
            BootstrapMethodEntry b = indy.bootstrap();
            Set<String> closure = new LinkedHashSet<>(closure(OBJECT).orElse(Set.of()));
            closure.addAll(closure(ret[0]).orElse(Set.of()));
            List<LoadableConstantEntry> args = b.arguments();
            for (LoadableConstantEntry a : args.subList(Math.min(4, args.size()), args.size())) {
                if (a instanceof ClassEntry marker) {
                    closure.addAll(closure(marker.asInternalName()).orElse(Set.of()));
                }
            }
            Set<String> sam = new HashSet<>();
            if (args.getFirst() instanceof MethodTypeEntry samType) {
                sam.add(GuestJdkApi.methodKey(indy.name().stringValue(), samType.descriptor().stringValue()));
            }
            checkDispatch(member, OBJECT, closure, "a lambda implementing " + ret[0], sam);
        }

        /** A lambda's interface must be an image or hypercall-api interface, or a listed extendable one. */
        private boolean checkLambdaInterface(String member, String name, String verb) {
            TypeInfo t = type(name);
            if (t == null || !t.isInterface()) {
                violation(member, GuestApiRule.WELL_FORMED, verb + " " + name + ", which is not an interface");
                return false;
            }
            if (t.origin() == Origin.JDK && !privileged && !api.isExtendable(name)) {
                violation(member, GuestApiRule.EXTENDABLE_SUPERTYPES_ONLY, verb + " " + name
                        + ", which guest classes and lambdas may not implement");
                return false;
            }
            return true;
        }

        private String concatArguments(List<LoadableConstantEntry> args) {
            if (args.isEmpty() || !(args.getFirst() instanceof StringEntry)) {
                return "expected a recipe string";
            }
            for (LoadableConstantEntry a : args) {
                if (!(a instanceof StringEntry || a instanceof IntegerEntry || a instanceof LongEntry
                        || a instanceof FloatEntry || a instanceof DoubleEntry)) {
                    return "a constant that is not a string or a number";
                }
                checked.set(a.index());
            }
            return null;
        }

        /** ObjectMethods: this record class, the component names, getters of this class's own fields. */
        private String recordArguments(List<LoadableConstantEntry> args) {
            if (args.size() < 2 || !(args.get(0) instanceof ClassEntry record) || !record.asInternalName().equals(self)
                    || !(args.get(1) instanceof StringEntry names)) {
                return "expected this class and the component names";
            }
            checked.set(record.index());
            checked.set(names.index());
            for (LoadableConstantEntry a : args.subList(2, args.size())) {
                if (!(a instanceof MethodHandleEntry getter) || getter.kind() != REF_GET_FIELD
                        || !getter.reference().owner().asInternalName().equals(self)
                        || !declaresField(getter.reference())) {
                    return "a component that is not a getter of this class's own field";
                }
                markMethodHandle(getter);
                checked.set(getter.reference().nameAndType().index());
            }
            return null;
        }

        private boolean declaresField(MemberRefEntry ref) {
            TypeInfo t = type(self);
            return ref instanceof FieldRefEntry && t != null
                    && t.fields().containsKey(GuestJdkApi.fieldKey(ref.name().stringValue(), ref.type().stringValue()));
        }

        /** Switch labels: classes, strings, integers, and (typeSwitch) javac's enum-constant form. */
        private String switchArguments(String member, List<LoadableConstantEntry> args, boolean typeSwitch) {
            for (LoadableConstantEntry a : args) {
                switch (a) {
                    case ClassEntry c -> {
                        checked.set(c.index());
                        checkClassName(member, c.asInternalName(), "switches on");
                    }
                    case StringEntry s -> checked.set(s.index());
                    case IntegerEntry i -> checked.set(i.index());
                    case ConstantDynamicEntry condy when typeSwitch -> {
                        String problem = enumLabel(member, condy);
                        if (problem != null) {
                            return problem;
                        }
                    }
                    default -> {
                        return "a label that is not a class, string, integer or javac's enum constant";
                    }
                }
            }
            return null;
        }

        /**
         * javac's label for an enum constant in a pattern switch, and nothing else:
         * {@code ConstantBootstraps.invoke(EnumDesc.of, ConstantBootstraps.invoke(ClassDesc.of, "a.B"), "NAME")}.
         * SwitchBootstraps resolves the class name through the guest's lookup, so it must be visible.
         */
        private String enumLabel(String member, ConstantDynamicEntry condy) {
            if (!isConstantInvoke(member, condy, ENUM_DESC) || condy.bootstrap().arguments().size() != 3
                    || !isStaticFactory(condy.bootstrap().arguments().get(0), "java/lang/Enum$EnumDesc", "of",
                    "(Ljava/lang/constant/ClassDesc;Ljava/lang/String;)Ljava/lang/Enum$EnumDesc;", false)
                    || !(condy.bootstrap().arguments().get(1) instanceof ConstantDynamicEntry classDesc)
                    || !(condy.bootstrap().arguments().get(2) instanceof StringEntry constantName)) {
                return "a dynamic constant that is not javac's enum label";
            }
            if (!isConstantInvoke(member, classDesc, CLASS_DESC) || classDesc.bootstrap().arguments().size() != 2
                    || !isStaticFactory(classDesc.bootstrap().arguments().get(0), "java/lang/constant/ClassDesc", "of",
                    "(Ljava/lang/String;)Ljava/lang/constant/ClassDesc;", true)
                    || !(classDesc.bootstrap().arguments().get(1) instanceof StringEntry className)) {
                return "a dynamic constant that is not javac's enum label";
            }
            checked.set(constantName.index());
            checked.set(className.index());
            String name = className.stringValue();
            if (name.indexOf('/') >= 0) {
                return "an enum label whose class name is not a binary name";
            }
            checkClassName(member, name.replace('.', '/'), "switches on enum constants of");
            return null;
        }

        private boolean isConstantInvoke(String member, ConstantDynamicEntry condy, String type) {
            work++;
            checked.set(condy.index());
            checkNameAndType(condy.nameAndType(), member);
            MethodHandleEntry bsm = condy.bootstrap().bootstrapMethod();
            markMethodHandle(bsm);
            checkNameAndType(bsm.reference().nameAndType(), member);
            bootstrapsChecked.set(condy.bootstrap().bsmIndex());
            return condy.type().equalsString(type) && bsm.kind() == REF_INVOKE_STATIC
                    && bsm.reference().owner().asInternalName().equals(CONSTANT_BOOTSTRAPS)
                    && bsm.reference().name().equalsString("invoke") && bsm.reference().type().equalsString(CONSTANT_INVOKE_DESC)
                    && !(bsm.reference() instanceof InterfaceMethodRefEntry);
        }

        private boolean isStaticFactory(LoadableConstantEntry e, String owner, String name, String desc, boolean onInterface) {
            if (!(e instanceof MethodHandleEntry mh)) {
                return false;
            }
            markMethodHandle(mh);
            MemberRefEntry r = mh.reference();
            checkNameAndType(r.nameAndType(), CONSTANT_POOL);
            return mh.kind() == REF_INVOKE_STATIC && r.owner().asInternalName().equals(owner) && r.name().equalsString(name)
                    && r.type().equalsString(desc) && (r instanceof InterfaceMethodRefEntry) == onInterface;
        }

        /** A privileged image's bootstrap argument, judged for what resolving it does. */
        private void checkPrivilegedArgument(String member, LoadableConstantEntry arg) {
            switch (arg) {
                case ClassEntry ce -> {
                    checked.set(ce.index());
                    checkClassName(member, ce.asInternalName(), "loads class constant");
                }
                case MethodHandleEntry mh -> checkMethodHandle(member, mh, "takes a method handle to");
                case MethodTypeEntry mt -> {
                    checked.set(mt.index());
                    checkDescriptor(mt.descriptor(), true, member);
                }
                case ConstantDynamicEntry condy -> checkCondy(member, condy);
                default -> checked.set(arg.index());
            }
        }

        /**
         * A privileged image's dynamic constant: {@code ConstantBootstraps} or javac's bootstraps
         * only; a field read or field VarHandle only of a field whose class is a plain class
         * constant (never one computed by another constant); nested at most
         * {@link ImageLimits#MAX_BOOTSTRAP_NESTING} deep (the recursion stops there). Each constant
         * is examined once however many constants share it, so a lattice costs its size, not its
         * number of paths.
         */
        private void checkCondy(String member, ConstantDynamicEntry condy) {
            checkCondy(member, condy, 1);
        }

        private void checkCondy(String member, ConstantDynamicEntry condy, int depth) {
            if (condysChecked.get(condy.index())) {
                return;
            }
            work++;
            if (depth > ImageLimits.MAX_BOOTSTRAP_NESTING) {
                violation(member, GuestApiRule.WITHIN_LIMITS, "nests dynamic constants deeper than MAX_BOOTSTRAP_NESTING ("
                        + ImageLimits.MAX_BOOTSTRAP_NESTING + ")");
                return;
            }
            condysChecked.set(condy.index());
            checked.set(condy.index());
            checkNameAndType(condy.nameAndType(), member);
            BootstrapMethodEntry b = condy.bootstrap();
            MethodHandleEntry bsm = b.bootstrapMethod();
            markMethodHandle(bsm);
            checkNameAndType(bsm.reference().nameAndType(), member);
            String owner = bsm.reference().owner().asInternalName();
            String method = bsm.reference().name().stringValue();
            if (!owner.equals(CONSTANT_BOOTSTRAPS) && !GuestApiPolicy.isJavacBootstrap(owner, method)) {
                violation(member, GuestApiRule.NO_REFLECTION, "bootstraps a dynamic constant with " + owner + "." + method);
            }
            List<LoadableConstantEntry> args = b.arguments();
            if (owner.equals(CONSTANT_BOOTSTRAPS)) {
                checkFieldBootstrap(member, condy, method, args);
            }
            for (LoadableConstantEntry arg : args) {
                work++;
                if (arg instanceof ConstantDynamicEntry inner) {
                    checkCondy(member, inner, depth + 1);
                } else {
                    checkPrivilegedArgument(member, arg);
                }
            }
        }

        /** getStaticFinal, fieldVarHandle, staticFieldVarHandle, enumConstant: judged as the field they reach. */
        private void checkFieldBootstrap(String member, ConstantDynamicEntry condy, String method,
                                         List<LoadableConstantEntry> args) {
            String fieldOwner;
            String fieldType;
            switch (method) {
                case "getStaticFinal" -> {
                    if (args.isEmpty()) {
                        fieldOwner = wrapperOrClass(condy.type().stringValue());
                    } else if (args.size() == 1 && args.getFirst() instanceof ClassEntry ce) {
                        fieldOwner = ce.asInternalName();
                    } else {
                        violation(member, GuestApiRule.NO_REFLECTION, "reads a static field through "
                                + CONSTANT_BOOTSTRAPS + ".getStaticFinal whose class is not a plain class constant");
                        return;
                    }
                    fieldType = condy.type().stringValue();
                }
                case "enumConstant" -> {
                    fieldOwner = wrapperOrClass(condy.type().stringValue());
                    fieldType = condy.type().stringValue();
                }
                case "fieldVarHandle", "staticFieldVarHandle" -> {
                    if (args.size() != 2 || !(args.get(0) instanceof ClassEntry ownerEntry)
                            || !(args.get(1) instanceof ClassEntry typeEntry)) {
                        violation(member, GuestApiRule.NO_REFLECTION, "makes a field VarHandle through "
                                + CONSTANT_BOOTSTRAPS + "." + method + " whose classes are not plain class constants");
                        return;
                    }
                    fieldOwner = ownerEntry.asInternalName();
                    String t = typeEntry.asInternalName();
                    fieldType = t.startsWith("[") ? t : primitiveOrObject(t);
                }
                default -> {
                    return;
                }
            }
            if (fieldOwner == null) {
                return;
            }
            String name = condy.name().stringValue();
            String what = "reads field " + fieldOwner + "." + name + " through " + CONSTANT_BOOTSTRAPS + "." + method;
            if (checkClassName(member, fieldOwner, "reads a field of")) {
                List<Declaration> found = resolveField(fieldOwner, name, fieldType);
                if (found.isEmpty()) {
                    unresolved(member, fieldOwner, name, fieldType, true, Access.READ, what);
                }
                for (Declaration d : found) {
                    Denial denial = judge(d, Access.READ, name, fieldType, true);
                    if (denial != null) {
                        violation(member, denial.rule(), what + denial.describe(fieldOwner));
                    }
                }
            }
        }

        /** The class whose static field a constant of this type is read from: the class itself, a primitive's wrapper. */
        private static String wrapperOrClass(String descriptor) {
            return switch (descriptor) {
                case "I" -> "java/lang/Integer";
                case "J" -> "java/lang/Long";
                case "Z" -> "java/lang/Boolean";
                case "B" -> "java/lang/Byte";
                case "C" -> "java/lang/Character";
                case "S" -> "java/lang/Short";
                case "F" -> "java/lang/Float";
                case "D" -> "java/lang/Double";
                default -> descriptor.startsWith("L") && descriptor.endsWith(";")
                        ? descriptor.substring(1, descriptor.length() - 1) : null;
            };
        }

        private static String primitiveOrObject(String internalName) {
            return switch (internalName) {
                case "int" -> "I";
                case "long" -> "J";
                case "boolean" -> "Z";
                case "byte" -> "B";
                case "char" -> "C";
                case "short" -> "S";
                case "float" -> "F";
                case "double" -> "D";
                default -> "L" + internalName + ";";
            };
        }

        private void checkPrivilegedOrRefuse(String member, ConstantDynamicEntry condy) {
            if (privileged) {
                checkCondy(member, condy);
            } else {
                checked.set(condy.index());
                violation(member, GuestApiRule.NO_REFLECTION, "has a dynamic constant bootstrapped by "
                        + bootstrapName(condy.bootstrap()));
            }
        }

        // --- what no instruction reached

        private void checkLeftover(PoolEntry e) {
            switch (e) {
                case ClassEntry ce -> {
                    checked.set(ce.index());
                    checkClassName(CONSTANT_POOL, ce.asInternalName(), "references class");
                }
                case MemberRefEntry ref -> checkMemberRef(CONSTANT_POOL, ref,
                        ref instanceof FieldRefEntry ? Access.READ : Access.CALL, "refers to");
                case MethodHandleEntry mh -> checkMethodHandle(CONSTANT_POOL, mh, "refers to a method handle to");
                case MethodTypeEntry mt -> {
                    checked.set(mt.index());
                    checkDescriptor(mt.descriptor(), true, CONSTANT_POOL);
                }
                case NameAndTypeEntry nat -> checkNameAndType(nat, CONSTANT_POOL);
                case InvokeDynamicEntry indy -> checkIndy(CONSTANT_POOL, indy);
                case ConstantDynamicEntry condy -> checkPrivilegedOrRefuse(CONSTANT_POOL, condy);
                default -> {
                    // strings, numbers and names carry no authority
                }
            }
        }
    }

    /**
     * The denied concrete instance methods a JDK type declares (methods a subclass or
     * implementer inherits as its implementation), cached per type.
     */
    private List<Declaration> deniedImplementations(TypeInfo t) {
        List<Declaration> known = deniedImplementations.get(t.name());
        if (known != null) {
            return known;
        }
        List<Declaration> out = new ArrayList<>();
        for (Map.Entry<String, Integer> m : t.methods().entrySet()) {
            work++;
            int flags = m.getValue();
            String key = m.getKey();
            if ((flags & (HostTypes.STATIC | HostTypes.PRIVATE | HostTypes.ABSTRACT)) != 0 || key.startsWith("<")) {
                continue;
            }
            Declaration d = new Declaration(t, key, flags);
            if (judge(d, Access.CALL, key.substring(0, key.indexOf('(')), key.substring(key.indexOf('(')), false) != null) {
                out.add(d);
            }
        }
        List<Declaration> result = List.copyOf(out);
        deniedImplementations.put(t.name(), result);
        return result;
    }

    private static String clip(String s) {
        return clip(s, 120);
    }

    /** {@code s}, or its first {@code max} characters and its length: a hostile name must not make a refusal megabytes long. */
    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "... (" + s.length() + " chars)";
    }

    private static String internal(String binaryName) {
        return binaryName.replace('.', '/');
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + clip(msg));
    }
}
