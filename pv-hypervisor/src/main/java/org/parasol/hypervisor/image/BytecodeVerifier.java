package org.parasol.hypervisor.image;

import java.lang.classfile.BootstrapMethodEntry;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantDynamicEntry;
import java.lang.classfile.constantpool.FieldRefEntry;
import java.lang.classfile.constantpool.InvokeDynamicEntry;
import java.lang.classfile.constantpool.LoadableConstantEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
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
 * JDK ClassFile API and refuse the image if it names a JDK member outside {@link GuestApiRule}.
 *
 * <p>What is checked, for every class the kernel class can reach (through class constants or
 * type descriptors; the guest loader defines no other class):
 * <ul>
 *   <li>each method's invoke, field, {@code new}, {@code checkcast}/{@code instanceof},
 *       array-creation and {@code ldc} instructions;</li>
 *   <li>each invokedynamic and dynamic-constant bootstrap method (only javac's own: lambdas,
 *       string concatenation, records, switches, {@code ConstantBootstraps}) and each of its
 *       static arguments, so a method reference to {@code System::exit} is caught;</li>
 *   <li>every other class, member and method-handle constant in the constant pool (superclass,
 *       interfaces, catch types), so nothing escapes by sitting outside a method body.</li>
 * </ul>
 * A reference to a member of a guest class is resolved through the image's own class
 * hierarchy first: {@code MyThread.start()} on a class extending {@code Thread} is judged as
 * {@code Thread.start()}.
 *
 * <p>Malformed input (random bytes, truncated files, cyclic dynamic constants) is a
 * {@link GuestApiRule#WELL_FORMED} violation, never an exception out of the verifier.
 */
public final class BytecodeVerifier {
    private static final int MAX_DYNAMIC_DEPTH = 16;
    private static final String CONSTANT_POOL = "constant pool";
    private static final String CLASS_FILE = "class file";

    /**
     * The outcome of verifying an image.
     *
     * @param reachable  binary names of the classes the kernel can reach: the only classes the
     *                   image's loaders will define
     * @param violations every violation, empty if the image may run
     */
    public record Result(Set<String> reachable, List<Violation> violations) {
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

    private final ImageClasses image;
    private final boolean privileged;
    private final Map<String, Optional<ClassModel>> models = new HashMap<>();
    private final LinkedHashSet<Violation> violations = new LinkedHashSet<>();

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
        for (String name : new TreeSet<>(image.classNames())) {
            if (GuestApiPolicy.isReservedPackage(internal(name))) {
                violations.add(new Violation(name, CLASS_FILE, GuestApiRule.NO_RESERVED_PACKAGE,
                        "the image bundles " + internal(name)
                                + "; the JDK and org.parasol.hypercall come from the hypervisor"));
            }
        }
        Set<String> reached = new HashSet<>();
        ArrayDeque<String> queue = new ArrayDeque<>();
        for (String root : roots) {
            if (isImageClass(internal(root)) && reached.add(root)) {
                queue.add(root);
            }
        }
        while (!queue.isEmpty()) {
            String name = queue.poll();
            Optional<ClassModel> model = model(internal(name));
            if (model.isEmpty()) {
                continue;
            }
            try {
                checkClass(name, model.get());
                for (String ref : referencedImageClasses(model.get())) {
                    if (reached.add(ref)) {
                        queue.add(ref);
                    }
                }
            } catch (RuntimeException | StackOverflowError e) {
                violations.add(new Violation(name, CLASS_FILE, GuestApiRule.WELL_FORMED, "malformed: " + describe(e)));
            }
        }
        return new Result(reached, new ArrayList<>(violations));
    }

    /** The parsed class of an image class name, or empty (and a violation) if it does not parse. */
    private Optional<ClassModel> model(String internalName) {
        Optional<ClassModel> known = models.get(internalName);
        if (known != null) {
            return known;
        }
        String binary = internalName.replace('/', '.');
        Optional<ClassModel> result = Optional.empty();
        byte[] bytes = image.bytes(binary);
        if (bytes != null) {
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

    private boolean isImageClass(String internalName) {
        return !GuestApiPolicy.isReservedPackage(internalName) && image.contains(internalName.replace('/', '.'));
    }

    private void checkClass(String name, ClassModel m) {
        BitSet checked = new BitSet();
        checked.set(m.thisClass().index());
        for (PoolEntry e : m.constantPool()) {
            if (e instanceof MemberRefEntry ref) {
                checked.set(ref.owner().index());
            } else if (e instanceof MethodHandleEntry mh) {
                checked.set(mh.reference().index());
                checked.set(mh.reference().owner().index());
            }
        }
        for (MethodModel method : m.methods()) {
            String member = "method " + method.methodName().stringValue() + method.methodType().stringValue();
            method.code().ifPresent(code -> {
                for (CodeElement e : code) {
                    checkInstruction(name, member, e, checked);
                }
            });
        }
        for (PoolEntry e : m.constantPool()) {
            if (checked.get(e.index())) {
                continue;
            }
            switch (e) {
                case ClassEntry ce -> checkClassRef(name, CONSTANT_POOL, ce, "references class");
                case MemberRefEntry ref -> checkMember(name, CONSTANT_POOL, ref, "refers to", ref instanceof FieldRefEntry);
                case MethodHandleEntry mh -> checkLoadable(name, CONSTANT_POOL, mh, checked, 0);
                case InvokeDynamicEntry indy -> checkBootstrap(name, CONSTANT_POOL, indy.bootstrap(), true,
                        indy.name().stringValue(), indy.type().stringValue(), checked, 0);
                case ConstantDynamicEntry condy -> checkLoadable(name, CONSTANT_POOL, condy, checked, 0);
                default -> {
                    // numbers, strings, names, descriptors and method types carry no authority
                }
            }
        }
    }

    private void checkInstruction(String name, String member, CodeElement e, BitSet checked) {
        switch (e) {
            case InvokeInstruction i -> {
                checked.set(i.method().index());
                checkMember(name, member, i.method(), "calls", false);
            }
            case FieldInstruction f -> {
                checked.set(f.field().index());
                boolean read = f.opcode() == Opcode.GETFIELD || f.opcode() == Opcode.GETSTATIC;
                checkMember(name, member, f.field(), read ? "reads field" : "writes field", true);
            }
            case InvokeDynamicInstruction d -> {
                InvokeDynamicEntry indy = d.invokedynamic();
                checked.set(indy.index());
                checkBootstrap(name, member, indy.bootstrap(), true, indy.name().stringValue(),
                        indy.type().stringValue(), checked, 0);
            }
            case ConstantInstruction.LoadConstantInstruction l -> checkLoadable(name, member, l.constantEntry(), checked, 0);
            case NewObjectInstruction n -> {
                checked.set(n.className().index());
                checkClassRef(name, member, n.className(), "instantiates");
            }
            case TypeCheckInstruction t -> {
                checked.set(t.type().index());
                checkClassRef(name, member, t.type(), "checks the type");
            }
            case NewReferenceArrayInstruction a -> {
                checked.set(a.componentType().index());
                checkClassRef(name, member, a.componentType(), "creates an array of");
            }
            case NewMultiArrayInstruction a -> {
                checked.set(a.arrayType().index());
                checkClassRef(name, member, a.arrayType(), "creates an array of");
            }
            default -> {
                // arithmetic, locals, branches, stack and pseudo-instructions name nothing
            }
        }
    }

    private void checkLoadable(String name, String member, LoadableConstantEntry c, BitSet checked, int depth) {
        checked.set(c.index());
        switch (c) {
            case ClassEntry ce -> checkClassRef(name, member, ce, "loads class constant");
            case MethodHandleEntry mh -> {
                checked.set(mh.reference().index());
                int kind = mh.kind();
                boolean field = kind >= 1 && kind <= 4;
                checkMember(name, member, mh.reference(), "takes a method handle to", field);
            }
            case ConstantDynamicEntry condy -> checkBootstrap(name, member, condy.bootstrap(), false,
                    condy.name().stringValue(), condy.type().stringValue(), checked, depth + 1);
            default -> {
                // strings, numbers and method types
            }
        }
    }

    private void checkBootstrap(String name, String member, BootstrapMethodEntry bootstrap, boolean indy,
                                String dynName, String dynType, BitSet checked, int depth) {
        if (depth > MAX_DYNAMIC_DEPTH) {
            violations.add(new Violation(name, member, GuestApiRule.WELL_FORMED,
                    "dynamic constants nested deeper than " + MAX_DYNAMIC_DEPTH));
            return;
        }
        MethodHandleEntry bsm = bootstrap.bootstrapMethod();
        checked.set(bsm.index());
        checked.set(bsm.reference().index());
        String owner = bsm.reference().owner().asInternalName();
        String method = bsm.reference().name().stringValue();
        GuestApiRule rule = indy ? GuestApiPolicy.indyBootstrapRule(owner, method)
                : GuestApiPolicy.condyBootstrapRule(owner, method);
        if (rule != null && rule.appliesTo(privileged)) {
            violations.add(new Violation(name, member, rule, (indy ? "bootstraps invokedynamic with "
                    : "bootstraps a dynamic constant with ") + owner + "." + method));
        }
        List<LoadableConstantEntry> args = bootstrap.arguments();
        if (!indy && (method.equals("getStaticFinal") || method.equals("fieldVarHandle")
                || method.equals("staticFieldVarHandle"))) {
            // ConstantBootstraps reads or wraps a field named by the constant itself: judge it as a field access.
            String fieldOwner = !args.isEmpty() && args.getFirst() instanceof ClassEntry ce ? ce.asInternalName()
                    : descriptorClass(dynType);
            if (fieldOwner != null) {
                Denial d = resolve(fieldOwner, dynName, "", true, new HashSet<>());
                if (d != null) {
                    violations.add(new Violation(name, member, d.rule(), "reads field " + fieldOwner + "." + dynName
                            + " through " + owner + "." + method + d.inherited(fieldOwner)));
                }
            }
        }
        for (LoadableConstantEntry arg : args) {
            checkLoadable(name, member, arg, checked, depth);
        }
    }

    private void checkClassRef(String name, String member, ClassEntry ce, String verb) {
        String element = elementClass(ce.asInternalName());
        if (element == null || isImageClass(element) || element.equals(internal(name))) {
            return;
        }
        GuestApiRule rule = GuestApiPolicy.classRule(element);
        if (rule != null && rule.appliesTo(privileged)) {
            violations.add(new Violation(name, member, rule, verb + " " + element));
        }
    }

    private void checkMember(String name, String member, MemberRefEntry ref, String verb, boolean field) {
        String owner = ref.owner().asInternalName();
        String memberName = ref.name().stringValue();
        String desc = ref.type().stringValue();
        Denial d = resolve(owner, memberName, desc, field, new HashSet<>());
        if (d != null) {
            violations.add(new Violation(name, member, d.rule(),
                    verb + " " + owner + "." + memberName + (field ? "" : desc) + d.inherited(owner)));
        }
    }

    private record Denial(GuestApiRule rule, String declaringOwner) {
        String inherited(String symbolicOwner) {
            return declaringOwner.equals(symbolicOwner) ? "" : " (inherited from " + declaringOwner + ")";
        }
    }

    /** Finds the class a member reference lands on (image hierarchy first) and the rule it breaks, if any. */
    private Denial resolve(String owner, String memberName, String desc, boolean field, Set<String> visited) {
        if (owner.startsWith("[")) {
            return null; // members of arrays are Object's: clone, getClass, ...
        }
        String element = owner;
        if (isImageClass(element)) {
            if (!visited.add(element)) {
                return null;
            }
            Optional<ClassModel> model = model(element);
            if (model.isEmpty()) {
                return null;
            }
            ClassModel m = model.get();
            if (declares(m, memberName, desc, field)) {
                return null;
            }
            List<String> supers = new ArrayList<>();
            m.superclass().ifPresent(s -> supers.add(s.asInternalName()));
            m.interfaces().forEach(i -> supers.add(i.asInternalName()));
            for (String s : supers) {
                Denial d = resolve(s, memberName, desc, field, visited);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (GuestApiPolicy.isHypercallApi(element)) {
            return null;
        }
        GuestApiRule rule = GuestApiPolicy.memberRule(element, memberName, desc, field);
        return rule != null && rule.appliesTo(privileged) ? new Denial(rule, element) : null;
    }

    private static boolean declares(ClassModel m, String memberName, String desc, boolean field) {
        if (field) {
            for (FieldModel f : m.fields()) {
                if (f.fieldName().equalsString(memberName)) {
                    return true;
                }
            }
            return false;
        }
        for (MethodModel method : m.methods()) {
            if (method.methodName().equalsString(memberName) && method.methodType().equalsString(desc)) {
                return true;
            }
        }
        return false;
    }

    /** Image classes named by a class constant or inside any descriptor or signature of {@code m}. */
    private Set<String> referencedImageClasses(ClassModel m) {
        Set<String> out = new HashSet<>();
        for (PoolEntry e : m.constantPool()) {
            if (e instanceof ClassEntry ce) {
                String element = elementClass(ce.asInternalName());
                if (element != null && isImageClass(element)) {
                    out.add(element.replace('/', '.'));
                }
            } else if (e instanceof Utf8Entry u) {
                String s = u.stringValue();
                if (s.indexOf(';') >= 0) {
                    collectDescriptorClasses(s, out);
                }
            }
        }
        return out;
    }

    private void collectDescriptorClasses(String s, Set<String> out) {
        int i = 0;
        while ((i = s.indexOf('L', i)) >= 0) {
            int end = i + 1;
            while (end < s.length() && s.charAt(end) != ';' && s.charAt(end) != '<') {
                end++;
            }
            if (end < s.length() && end > i + 1) {
                String candidate = s.substring(i + 1, end);
                if (isImageClass(candidate)) {
                    out.add(candidate.replace('/', '.'));
                }
            }
            i++;
        }
    }

    /** The class an internal name or array descriptor is about, or {@code null} for primitive arrays. */
    private static String elementClass(String internalOrArray) {
        int dims = 0;
        while (dims < internalOrArray.length() && internalOrArray.charAt(dims) == '[') {
            dims++;
        }
        if (dims == 0) {
            return internalOrArray;
        }
        String rest = internalOrArray.substring(dims);
        return rest.startsWith("L") && rest.endsWith(";") ? rest.substring(1, rest.length() - 1) : null;
    }

    /** The class of a field descriptor ({@code Ljava/lang/System;}), or {@code null} for primitives and arrays. */
    private static String descriptorClass(String descriptor) {
        return descriptor.startsWith("L") && descriptor.endsWith(";") ? descriptor.substring(1, descriptor.length() - 1)
                : null;
    }

    private static String internal(String binaryName) {
        return binaryName.replace('.', '/');
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}
