package org.parasol.hypercall.abi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.AccessFlag;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Hypercall;

/**
 * Writes {@code docs/abi.md} from the compiled hypercall-api classes: hypercall numbers,
 * errno values, domain ids, every constant class of {@code org.parasol.hypercall.abi} (found
 * by scanning the classes directory, constants in declaration order as read from the class
 * files), and every structure in {@code .struct} and {@code .io} that has a
 * {@code public static final MemoryLayout LAYOUT}, walked field by field.
 *
 * <p>Output is deterministic: classes sorted by name, constants in class-file order.
 */
final class AbiDocGenerator {
    static final String WRITE_PROPERTY = "abi.doc.write";
    static final String REGENERATE_COMMAND =
            "./mvnw -q -B -pl hypercall-api -am verify -Dtest=AbiDocTest -Dsurefire.failIfNoSpecifiedTests=false -D"
                    + WRITE_PROPERTY + "=true";

    private static final String ABI_PACKAGE = "org/parasol/hypercall/abi";
    private static final List<String> STRUCT_PACKAGES =
            List.of("org/parasol/hypercall/struct", "org/parasol/hypercall/io");

    private final Path classesDir;
    private final Path sourceDir;
    private final StringBuilder out = new StringBuilder();

    AbiDocGenerator(Path classesDir, Path sourceDir) {
        this.classesDir = classesDir;
        this.sourceDir = sourceDir;
    }

    /** The generator for this build: classes where {@link Hypercall} was loaded from. */
    static AbiDocGenerator forThisBuild() {
        try {
            Path classes = Path.of(Hypercall.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path module = classes.getParent().getParent();
            return new AbiDocGenerator(classes, module.resolve("src/main/java"));
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code docs/abi.md} in the repository holding the working directory. */
    static Path docPath() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("mvnw")) && Files.isDirectory(d.resolve("hypercall-api"))) {
                return d.resolve("docs/abi.md");
            }
        }
        throw new IllegalStateException("no repository root (with mvnw and hypercall-api/) above " + dir);
    }

    String generate() {
        out.setLength(0);
        header();
        hypercalls();
        errnos();
        constantSection("Domain ids", DomId.class, "DomId");
        for (String name : classNames(ABI_PACKAGE, false)) {
            Class<?> type = load(name);
            if (type.isEnum()) {
                enumSection(type);
            } else if (hasConstants(type)) {
                constantSection(type.getSimpleName(), type, type.getSimpleName());
            }
        }
        structures();
        return out.toString();
    }

    private void header() {
        line("# Parasol ABI reference");
        line("");
        line("This is the binary interface a Parasol guest kernel is written against: hypercall numbers,");
        line("errno values, the sub-operation numbers, flags and limits of every Xen header family, and the");
        line("byte layout of every shared structure. It follows Xen's public x86-64 ABI; every name here is");
        line("Xen's, and every value is the one in `hypercall-api` (`org.parasol.hypercall`,");
        line("`org.parasol.hypercall.abi`, `.struct`, `.io`). All multi-byte fields are little-endian;");
        line("the page size is 4096 bytes.");
        line("");
        line("This file is generated from the compiled classes; `AbiDocTest` fails when it is stale.");
        line("Regenerate it from the repository root with:");
        line("");
        line("```");
        line(REGENERATE_COMMAND);
        line("```");
        line("");
    }

    private void hypercalls() {
        line("## Hypercall numbers");
        line("");
        line(firstParagraph(Hypercall.class));
        line("");
        line("| # | hypercall |");
        line("|---:|---|");
        for (int nr = 0; nr < Hypercall.TABLE_SIZE; nr++) {
            String name = Hypercall.name(nr);
            if (name != null) {
                line("| " + nr + " | `" + name + "` |");
            }
        }
        line("");
    }

    private void errnos() {
        line("## Error codes");
        line("");
        line(firstParagraph(Errno.class));
        line("");
        line("| errno | value |");
        line("|---|---:|");
        for (Constant c : constantsOf(Errno.class)) {
            line("| `" + c.name + "` | " + c.value + " |");
        }
        line("");
    }

    private void constantSection(String title, Class<?> type, String prefix) {
        List<Constant> constants = constantsOf(type);
        boolean virq = type == Virq.class;
        line("## " + title);
        line("");
        String summary = firstParagraph(type);
        if (!summary.isEmpty()) {
            line(summary);
            line("");
        }
        line(virq ? "| constant | value | hex | class |" : "| constant | value | hex |");
        line(virq ? "|---|---:|---:|---|" : "|---|---:|---:|");
        for (Constant c : constants) {
            String row = "| `" + prefix + "." + c.name + "` | " + c.decimal() + " | " + c.hex() + " |";
            if (virq) {
                Virq.VirqClass k = c.name.equals("NR_VIRQS") ? null : Virq.classOf(((Integer) c.value));
                row += " " + (k == null ? "" : k.name()) + " |";
            }
            line(row);
        }
        line("");
    }

    private void enumSection(Class<?> type) {
        line("## " + type.getSimpleName());
        line("");
        String summary = firstParagraph(type);
        if (!summary.isEmpty()) {
            line(summary);
            line("");
        }
        java.lang.reflect.Method wire = wireMethod(type);
        line(wire == null ? "| constant |" : "| constant | wire |");
        line(wire == null ? "|---|" : "|---|---:|");
        for (Object e : type.getEnumConstants()) {
            String name = ((Enum<?>) e).name();
            if (wire == null) {
                line("| `" + type.getSimpleName() + "." + name + "` |");
            } else {
                line("| `" + type.getSimpleName() + "." + name + "` | " + invoke(wire, e) + " |");
            }
        }
        line("");
    }

    private void structures() {
        List<Class<?>> structs = new ArrayList<>();
        for (String pkg : STRUCT_PACKAGES) {
            for (String name : classNames(pkg, true)) {
                Class<?> type = load(name);
                if (layoutOf(type).isPresent()) {
                    structs.add(type);
                }
            }
        }
        line("## Structures");
        line("");
        if (structs.isEmpty()) {
            line("No structure class with a `LAYOUT` is compiled into this build yet.");
            line("");
            return;
        }
        line("Each structure class in `org.parasol.hypercall.struct` and `org.parasol.hypercall.io` with a");
        line("`LAYOUT`, walked field by field. Offsets are from the start of the structure, sizes in bytes;");
        line("members of a nested structure or union are listed as `outer.inner`.");
        line("");
        for (Class<?> type : structs) {
            MemoryLayout layout = layoutOf(type).orElseThrow();
            line("### " + type.getName().substring(type.getPackageName().length() + 1).replace('$', '.')
                    + " (`" + type.getPackageName().substring("org.parasol.hypercall.".length()) + "`)");
            line("");
            String summary = firstParagraph(type);
            if (!summary.isEmpty()) {
                line(summary);
                line("");
            }
            line("Size " + layout.byteSize() + " bytes, alignment " + layout.byteAlignment()
                    + layout.name().map(n -> "; layout name `" + n + "`").orElse("") + ".");
            line("");
            out.append(fieldTable(layout));
            line("");
        }
    }

    /** The Markdown table of {@code layout}'s named fields: name, offset, size. */
    static String fieldTable(MemoryLayout layout) {
        AbiDocGenerator g = new AbiDocGenerator(Path.of(""), Path.of(""));
        g.line("| field | offset | size |");
        g.line("|---|---:|---:|");
        g.walk(layout, 0, "");
        return g.out.toString();
    }

    private void walk(MemoryLayout layout, long base, String prefix) {
        if (!(layout instanceof GroupLayout group)) {
            return;
        }
        long offset = base;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = group instanceof StructLayout ? offset : base;
            if (!(member instanceof PaddingLayout)) {
                Optional<String> name = member.name();
                if (name.isPresent()) {
                    String label = prefix + name.get();
                    if (member instanceof SequenceLayout seq) {
                        label += "[" + seq.elementCount() + "]";
                    }
                    line("| `" + label + "` | " + at + " | " + member.byteSize() + " |");
                    if (member instanceof GroupLayout) {
                        walk(member, at, label + ".");
                    }
                } else if (member instanceof GroupLayout) {
                    walk(member, at, prefix);
                }
            }
            offset += member.byteSize();
        }
    }

    // ---- reading the classes ----

    private List<String> classNames(String packagePath, boolean recursive) {
        Path dir = classesDir.resolve(packagePath);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = recursive ? Files.walk(dir) : Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classesDir.relativize(p).toString())
                    .map(s -> s.substring(0, s.length() - ".class".length()).replace(java.io.File.separatorChar, '.'))
                    .filter(s -> !s.endsWith("package-info") && !s.endsWith("module-info"))
                    .filter(s -> recursive || !s.contains("$"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, true, AbiDocGenerator.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("compiled class not loadable: " + name, e);
        }
    }

    private static Optional<MemoryLayout> layoutOf(Class<?> type) {
        try {
            Field f = type.getDeclaredField("LAYOUT");
            int m = f.getModifiers();
            if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m)
                    && MemoryLayout.class.isAssignableFrom(f.getType()) && Modifier.isPublic(type.getModifiers())) {
                return Optional.ofNullable((MemoryLayout) f.get(null));
            }
            return Optional.empty();
        } catch (NoSuchFieldException e) {
            return Optional.empty();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean hasConstants(Class<?> type) {
        return !constantsOf(type).isEmpty();
    }

    /** Public static final compile-time constants, in the order the class file declares them. */
    private List<Constant> constantsOf(Class<?> type) {
        Path file = classesDir.resolve(type.getName().replace('.', '/') + ".class");
        ClassModel model;
        try {
            model = ClassFile.of().parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Constant> constants = new ArrayList<>();
        for (FieldModel f : model.fields()) {
            var flags = f.flags();
            if (!flags.has(AccessFlag.PUBLIC) || !flags.has(AccessFlag.STATIC) || !flags.has(AccessFlag.FINAL)) {
                continue;
            }
            f.findAttribute(Attributes.constantValue()).ifPresent(a -> constants.add(
                    new Constant(f.fieldName().stringValue(), f.fieldType().stringValue(),
                            a.constant().constantValue())));
        }
        return constants;
    }

    private static java.lang.reflect.Method wireMethod(Class<?> type) {
        try {
            java.lang.reflect.Method m = type.getMethod("wire");
            return m.getReturnType() == int.class ? m : null;
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    private static Object invoke(java.lang.reflect.Method m, Object target) {
        try {
            return m.invoke(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first paragraph of the type's javadoc in its source file, as Markdown; "" if none. */
    private String firstParagraph(Class<?> type) {
        Class<?> top = type;
        while (top.getEnclosingClass() != null) {
            top = top.getEnclosingClass();
        }
        Path source = sourceDir.resolve(top.getName().replace('.', '/') + ".java");
        if (!Files.isRegularFile(source) || top != type) {
            return "";
        }
        String text;
        try {
            text = Files.readString(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int decl = declarationIndex(text, type.getSimpleName());
        if (decl < 0) {
            return "";
        }
        int start = text.lastIndexOf("/**", decl);
        int end = start < 0 ? -1 : text.indexOf("*/", start);
        if (start < 0 || end < 0 || end > decl) {
            return "";
        }
        StringBuilder doc = new StringBuilder();
        for (String raw : text.substring(start + 3, end).split("\n")) {
            String l = raw.strip();
            if (l.startsWith("*")) {
                l = l.substring(1).strip();
            }
            if (l.startsWith("<p>") || l.startsWith("<pre>") || l.startsWith("@")) {
                break;
            }
            if (!l.isEmpty()) {
                doc.append(doc.isEmpty() ? "" : " ").append(l);
            }
        }
        return doc.toString()
                .replaceAll("\\{@(?:code|literal) ([^}]*)}", "`$1`")
                .replaceAll("\\{@link(?:plain)? #?([^} ]*)[^}]*}", "`$1`")
                .replace("`#", "`")
                .replaceAll("<[^>]+>", "");
    }

    private static int declarationIndex(String text, String simpleName) {
        for (String kind : List.of("class ", "enum ", "record ", "interface ")) {
            int i = text.indexOf("public final " + kind + simpleName);
            if (i < 0) {
                i = text.indexOf("public " + kind + simpleName);
            }
            if (i >= 0) {
                return i;
            }
        }
        return -1;
    }

    private void line(String s) {
        out.append(s).append('\n');
    }

    private record Constant(String name, String descriptor, Object value) {
        String decimal() {
            return value instanceof String s ? "`\"" + s + "\"`" : String.valueOf(value);
        }

        String hex() {
            return switch (value) {
                case Integer i -> "0x" + Integer.toHexString(i).toUpperCase(java.util.Locale.ROOT);
                case Long l -> "0x" + Long.toHexString(l).toUpperCase(java.util.Locale.ROOT);
                default -> "";
            };
        }
    }
}
