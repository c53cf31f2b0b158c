package org.parasol.hypervisor.image;

import java.lang.classfile.AccessFlags;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.FieldModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.Signature;
import java.lang.classfile.attribute.SignatureAttribute;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.reflect.AccessFlag;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides whether the domains of one image may share a class loader: every static field of
 * every class must be final and of a type known to be immutable. In Xen every domain gets
 * its own copy of its kernel's data; in one JVM, domains sharing a loader share its statics,
 * so mutable static state would be a channel (or a plain bug) between domains of the same image.
 *
 * <p>Accepted static field types:
 * <ul>
 *   <li>primitives, {@code String}, boxed primitives, {@code BigInteger}/{@code BigDecimal},
 *       {@code Class}, {@code VarHandle}, {@code MethodHandle}, {@code MethodType},
 *       {@code java.lang.foreign} layouts, {@code Pattern}, {@code ByteOrder}, {@code Charset},
 *       {@code UUID}, {@code HexFormat}, a few {@code java.time} values;</li>
 *   <li>JDK and {@code hypercall-api} enums, and records whose components are accepted types;</li>
 *   <li>enums, records and final classes of the image whose instance fields are all final and of
 *       accepted types (checked recursively; enum constant bodies too);</li>
 *   <li>a field declared {@code List}, {@code Set} or {@code Map} whose every assignment in the
 *       static initializer stores the result of {@code List/Set/Map.of}, {@code copyOf} or
 *       {@code Map.ofEntries}, and whose generic signature's type arguments are all accepted
 *       types ({@code List<String>}, {@code Map<String, Integer>}, {@code List<? extends Point>}
 *       for an image record {@code Point}): {@code static final List<long[]> X = List.of(new long[1])}
 *       is a finding, since every domain would share the one array. The check reads the
 *       declared element types, not the initializer: a field without a signature, with a
 *       wildcard, type variable, array or generic type argument ({@code List<List<String>>},
 *       whose inner lists it cannot see) is a finding, and a class file whose signature lies
 *       about its elements (javac never writes one) is believed;</li>
 *   <li>javac's synthetic arrays: an enum's {@code $VALUES} and the {@code $SwitchMap$...} tables
 *       (trusted by name and shape: javac only reads them after the static initializer).</li>
 * </ul>
 * Everything else (arrays, interfaces such as {@code Comparator}, mutable collections,
 * {@code ThreadLocal}, atomics) is a finding. A finding is not a refusal: the image then gets one
 * loader per domain. Because the check trusts javac's names, it guards against mistakes and
 * cross-domain leaks through the image's own statics, not against an image author (who writes
 * the code of every domain that runs the image anyway).
 */
public final class StaticStateCheck {
    private static final Set<String> KNOWN_IMMUTABLE = Set.of(
            "java/lang/String", "java/lang/Integer", "java/lang/Long", "java/lang/Short", "java/lang/Byte",
            "java/lang/Character", "java/lang/Boolean", "java/lang/Float", "java/lang/Double", "java/lang/Class",
            "java/math/BigInteger", "java/math/BigDecimal",
            "java/lang/invoke/VarHandle", "java/lang/invoke/MethodHandle", "java/lang/invoke/MethodType",
            "java/lang/constant/ClassDesc", "java/lang/constant/MethodTypeDesc",
            "java/lang/foreign/MemoryLayout", "java/lang/foreign/ValueLayout", "java/lang/foreign/AddressLayout",
            "java/lang/foreign/StructLayout", "java/lang/foreign/UnionLayout", "java/lang/foreign/SequenceLayout",
            "java/lang/foreign/GroupLayout", "java/lang/foreign/PaddingLayout",
            "java/lang/foreign/ValueLayout$OfBoolean", "java/lang/foreign/ValueLayout$OfByte",
            "java/lang/foreign/ValueLayout$OfChar", "java/lang/foreign/ValueLayout$OfShort",
            "java/lang/foreign/ValueLayout$OfInt", "java/lang/foreign/ValueLayout$OfLong",
            "java/lang/foreign/ValueLayout$OfFloat", "java/lang/foreign/ValueLayout$OfDouble",
            "java/util/regex/Pattern", "java/nio/ByteOrder", "java/nio/charset/Charset", "java/util/UUID",
            "java/util/HexFormat", "java/time/Duration", "java/time/Instant", "java/time/LocalDate",
            "java/time/LocalTime", "java/time/LocalDateTime", "java/time/ZoneOffset");

    private static final Set<String> IMMUTABLE_COLLECTIONS = Set.of(
            "Ljava/util/List;", "Ljava/util/Set;", "Ljava/util/Map;");

    private static final int LISTED = 5;

    /** How many image types deep the check follows fields of fields before calling a type unknown. */
    private static final int MAX_NESTING = 64;

    private final ImageClasses image;
    private final ClassLoader externalTypes;
    private final Map<String, Optional<ClassModel>> models = new HashMap<>();

    /**
     * A check over {@code image}; types outside the image are looked up, without being
     * initialized, through {@code externalTypes} (a guest parent loader: hypercall-api and the JDK).
     */
    public StaticStateCheck(ImageClasses image, ClassLoader externalTypes) {
        this.image = image;
        this.externalTypes = externalTypes;
    }

    /** A check over {@code image} whose outside types are the hypervisor's hypercall-api and the whole JDK. */
    public static StaticStateCheck forImage(ImageClasses image) {
        return new StaticStateCheck(image, GuestParentLoader.privileged());
    }

    /** Checks every class of the image. */
    public List<StaticFieldFinding> checkAll() {
        return check(new TreeSet<>(image.classNames()));
    }

    /** Checks the named classes of the image (binary names), in iteration order. */
    public List<StaticFieldFinding> check(Collection<String> binaryNames) {
        List<StaticFieldFinding> findings = new ArrayList<>();
        for (String binary : binaryNames) {
            Optional<ClassModel> model = model(binary.replace('.', '/'));
            if (model.isEmpty()) {
                findings.add(new StaticFieldFinding(binary, "-", "-", "class file is missing or cannot be parsed"));
                continue;
            }
            try {
                checkClass(binary, model.get(), findings);
            } catch (RuntimeException e) {
                findings.add(new StaticFieldFinding(binary, "-", "-", "class file cannot be parsed: " + e.getMessage()));
            }
        }
        return findings;
    }

    /** A one-line summary of the first few findings, for logs and exception messages. */
    public static String summarize(List<StaticFieldFinding> findings) {
        StringBuilder sb = new StringBuilder();
        findings.stream().limit(LISTED).forEach(f -> sb.append(sb.isEmpty() ? "" : "; ").append(f));
        if (findings.size() > LISTED) {
            sb.append("; and ").append(findings.size() - LISTED).append(" more");
        }
        return sb.toString();
    }

    private void checkClass(String binary, ClassModel m, List<StaticFieldFinding> findings) {
        for (FieldModel f : m.fields()) {
            AccessFlags flags = f.flags();
            if (!flags.has(AccessFlag.STATIC)) {
                continue;
            }
            String name = f.fieldName().stringValue();
            String desc = f.fieldType().stringValue();
            boolean isFinal = flags.has(AccessFlag.FINAL);
            if (isFinal && flags.has(AccessFlag.SYNTHETIC) && isCompilerTable(m, name, desc)) {
                continue;
            }
            if (!isFinal) {
                findings.add(new StaticFieldFinding(binary, name, desc, "is not final"));
            } else if (IMMUTABLE_COLLECTIONS.contains(desc)) {
                if (!initializedImmutably(m, name)) {
                    findings.add(new StaticFieldFinding(binary, name, desc,
                            "is a collection not set from List/Set/Map.of, copyOf or Map.ofEntries"));
                } else {
                    String elements = elementTypesProblem(f);
                    if (elements != null) {
                        findings.add(new StaticFieldFinding(binary, name, desc, elements));
                    }
                }
            } else if (!immutableDescriptor(desc, new HashSet<>())) {
                findings.add(new StaticFieldFinding(binary, name, desc,
                        desc.startsWith("[") ? "is an array" : "its type is mutable or not known to be immutable"));
            }
        }
    }

    /** javac's {@code $VALUES} of an enum, or a {@code $SwitchMap$} table. */
    private static boolean isCompilerTable(ClassModel m, String name, String desc) {
        if (name.equals("$VALUES")) {
            return isEnum(m) && desc.equals("[L" + m.thisClass().asInternalName() + ";");
        }
        return name.startsWith("$SwitchMap$") && desc.equals("[I");
    }

    private static boolean isEnum(ClassModel m) {
        return m.flags().has(AccessFlag.ENUM)
                && m.superclass().map(s -> s.asInternalName().equals("java/lang/Enum")).orElse(false);
    }

    /** Whether every {@code putstatic} of {@code field} in {@code <clinit>} stores an immutable collection factory's result. */
    private static boolean initializedImmutably(ClassModel m, String field) {
        String self = m.thisClass().asInternalName();
        for (MethodModel method : m.methods()) {
            if (!method.methodName().equalsString("<clinit>") || method.code().isEmpty()) {
                continue;
            }
            Instruction previous = null;
            for (CodeElement e : method.code().get()) {
                if (!(e instanceof Instruction insn)) {
                    continue;
                }
                if (insn instanceof FieldInstruction fi && fi.opcode() == Opcode.PUTSTATIC
                        && fi.owner().asInternalName().equals(self) && fi.name().equalsString(field)) {
                    if (!(previous instanceof InvokeInstruction call) || call.opcode() != Opcode.INVOKESTATIC
                            || !isImmutableFactory(call)) {
                        return false;
                    }
                }
                previous = insn;
            }
        }
        return true;
    }

    /**
     * Why the elements of an immutable collection field may be mutable, or {@code null} if every
     * type argument of its generic signature is an accepted immutable type. No signature, a
     * wildcard other than {@code ? extends} an accepted type, a type variable, an array or a
     * generic type argument (a collection inside the collection) is not accepted.
     */
    private String elementTypesProblem(FieldModel f) {
        Optional<SignatureAttribute> attribute = f.findAttribute(Attributes.signature());
        if (attribute.isEmpty()) {
            return "is a collection without a generic signature: its element types are unknown";
        }
        Signature signature;
        try {
            signature = attribute.get().asTypeSignature();
        } catch (RuntimeException e) {
            return "is a collection whose generic signature cannot be parsed";
        }
        if (!(signature instanceof Signature.ClassTypeSig type) || type.outerType().isPresent()) {
            return "is a collection whose generic signature is not a plain class type";
        }
        for (Signature.TypeArg arg : type.typeArgs()) {
            if (!(arg instanceof Signature.TypeArg.Bounded bounded)
                    || bounded.wildcardIndicator() == Signature.TypeArg.Bounded.WildcardIndicator.SUPER
                    || !(bounded.boundType() instanceof Signature.ClassTypeSig element)
                    || !element.typeArgs().isEmpty() || element.outerType().isPresent()
                    || !immutableClass(element.className(), new HashSet<>())) {
                return "is a collection whose elements (" + typeArgument(arg) + ") are not known to be immutable";
            }
        }
        return null;
    }

    private static String typeArgument(Signature.TypeArg arg) {
        return switch (arg) {
            case Signature.TypeArg.Bounded b -> switch (b.wildcardIndicator()) {
                case NONE -> b.boundType().signatureString();
                case EXTENDS -> "? extends " + b.boundType().signatureString();
                case SUPER -> "? super " + b.boundType().signatureString();
            };
            case Signature.TypeArg.Unbounded u -> "?";
        };
    }

    private static boolean isImmutableFactory(InvokeInstruction call) {
        String owner = call.owner().asInternalName();
        String name = call.name().stringValue();
        return (owner.equals("java/util/List") || owner.equals("java/util/Set") || owner.equals("java/util/Map"))
                && (name.equals("of") || name.equals("copyOf") || name.equals("ofEntries"));
    }

    private boolean immutableDescriptor(String desc, Set<String> visiting) {
        if (desc.length() == 1) {
            return "BCDFIJSZ".indexOf(desc.charAt(0)) >= 0;
        }
        if (desc.startsWith("L") && desc.endsWith(";")) {
            return immutableClass(desc.substring(1, desc.length() - 1), visiting);
        }
        return false; // arrays
    }

    private boolean immutableClass(String internal, Set<String> visiting) {
        if (KNOWN_IMMUTABLE.contains(internal)) {
            return true;
        }
        if (visiting.size() > MAX_NESTING) {
            return false; // a chain of types this long is not judged (and the recursion stays shallow)
        }
        if (image.isImageClass(internal.replace('/', '.'))) {
            return immutableImageClass(internal, visiting);
        }
        try {
            return immutableExternal(Class.forName(internal.replace('/', '.'), false, externalTypes), 0);
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static boolean immutableExternal(Class<?> c, int depth) {
        if (c.isPrimitive()) {
            return true;
        }
        if (c.isArray() || depth > 8) {
            return false;
        }
        if (KNOWN_IMMUTABLE.contains(c.getName().replace('.', '/')) || c.isEnum()) {
            return true;
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                if (!immutableExternal(rc.getType(), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private boolean immutableImageClass(String internal, Set<String> visiting) {
        if (!visiting.add(internal)) {
            return true; // a cycle: the other fields on the path decide
        }
        Optional<ClassModel> model = model(internal);
        if (model.isEmpty()) {
            return false;
        }
        ClassModel m = model.get();
        boolean isEnum = isEnum(m);
        if (m.flags().has(AccessFlag.INTERFACE) || !isEnum && !m.flags().has(AccessFlag.FINAL)) {
            return false;
        }
        String superName = m.superclass().map(s -> s.asInternalName()).orElse("java/lang/Object");
        boolean plainSuper = superName.equals("java/lang/Object") || superName.equals("java/lang/Record")
                || superName.equals("java/lang/Enum");
        if (!plainSuper && !(image.isImageClass(superName.replace('/', '.')) && instanceFieldsImmutable(superName, visiting))) {
            return false;
        }
        if (!instanceFieldsImmutable(m, visiting)) {
            return false;
        }
        if (isEnum) {
            // Constant bodies (Color$1 extends Color) may add fields of their own.
            for (String name : image.classNames()) {
                String candidate = name.replace('.', '/');
                if (candidate.startsWith(internal + "$")) {
                    Optional<ClassModel> body = model(candidate);
                    if (body.isPresent() && body.get().superclass().map(s -> s.asInternalName().equals(internal))
                            .orElse(false) && !instanceFieldsImmutable(body.get(), visiting)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private boolean instanceFieldsImmutable(String internal, Set<String> visiting) {
        Optional<ClassModel> model = model(internal);
        return model.isPresent() && instanceFieldsImmutable(model.get(), visiting);
    }

    private boolean instanceFieldsImmutable(ClassModel m, Set<String> visiting) {
        for (FieldModel f : m.fields()) {
            if (f.flags().has(AccessFlag.STATIC)) {
                continue;
            }
            if (!f.flags().has(AccessFlag.FINAL) || !immutableDescriptor(f.fieldType().stringValue(), visiting)) {
                return false;
            }
        }
        return true;
    }

    private Optional<ClassModel> model(String internal) {
        return models.computeIfAbsent(internal, n -> {
            byte[] bytes = image.bytes(n.replace('/', '.'));
            if (bytes == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(ClassFile.of().parse(bytes));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        });
    }
}
