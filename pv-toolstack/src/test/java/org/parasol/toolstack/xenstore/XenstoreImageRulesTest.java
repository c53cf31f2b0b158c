package org.parasol.toolstack.xenstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The store's ring server runs inside dom0's image and the xenbus client inside every guest's:
 * both may use only the JDK an unprivileged guest may use. This reads their bytecode and checks
 * each JDK class they name, and each JDK member they call or read (judged where it is declared,
 * as the image verifier judges it), against pv-hypervisor's {@code guest-jdk-api.txt}.
 */
class XenstoreImageRulesTest {
    private static final Path LIST = Path.of("..", "pv-hypervisor", "src", "main", "resources", "org", "parasol",
            "hypervisor", "image", "guest-jdk-api.txt");
    private static final List<String> PACKAGES = List.of("org/parasol/toolstack/xenstore", "org/parasol/guest/xenbus");

    private final Set<String> listed = new HashSet<>();
    private final Set<String> allowed = new HashSet<>();

    @Test
    @DisplayName("xenstored's classes and the xenbus client use only the JDK classes and members on the guest list")
    void shouldUseOnlyTheGuestJdkList() throws Exception {
        readList();
        List<String> violations = new ArrayList<>();
        int classes = 0;
        for (String pkg : PACKAGES) {
            for (byte[] bytes : classFiles(pkg)) {
                classes++;
                check(ClassFile.of().parse(bytes), violations);
            }
        }

        assertThat(classes).as("classes found").isGreaterThan(15);
        assertThat(violations).isEmpty();
    }

    private void readList() throws IOException {
        assertThat(LIST).as("the guest JDK list, next to this module").exists();
        String current = null;
        for (String raw : Files.readAllLines(LIST)) {
            String line = raw.strip();
            if (line.startsWith("class ")) {
                current = line.split("\\s+")[1];
                listed.add(current);
            } else if (line.startsWith("+ ") && current != null) {
                allowed.add(current + "." + line.substring(2).strip());
            }
        }
    }

    private void check(ClassModel model, List<String> violations) {
        String self = model.thisClass().asInternalName();
        for (PoolEntry e : model.constantPool()) {
            if (e instanceof ClassEntry c) {
                String name = c.asInternalName();
                while (name.startsWith("[")) {
                    name = name.substring(1);
                }
                if (name.startsWith("L") && name.endsWith(";")) {
                    name = name.substring(1, name.length() - 1);
                }
                if (isJdk(name) && !listed.contains(name)) {
                    violations.add(self + " names " + name);
                }
            }
        }
        for (MethodModel m : model.methods()) {
            CodeModel code = m.code().orElse(null);
            if (code == null) {
                continue;
            }
            code.forEach(element -> {
                if (element instanceof InvokeInstruction i) {
                    String owner = i.owner().asInternalName();
                    if (isJdk(owner)) {
                        checkMember(self, owner, i.name().stringValue(), i.typeSymbol().descriptorString(), false, violations);
                    }
                } else if (element instanceof FieldInstruction f) {
                    String owner = f.owner().asInternalName();
                    if (isJdk(owner)) {
                        checkMember(self, owner, f.name().stringValue(), f.typeSymbol().descriptorString(), true, violations);
                    }
                }
            });
        }
    }

    private void checkMember(String self, String owner, String name, String descriptor, boolean field, List<String> violations) {
        String member = field ? name + ":" + descriptor : name + descriptor;
        Class<?> declaring;
        try {
            declaring = declaring(Class.forName(owner.replace('/', '.'), false, getClass().getClassLoader()), name,
                    descriptor, field);
        } catch (ClassNotFoundException e) {
            violations.add(self + " uses " + owner + "." + member + ": no such class");
            return;
        }
        if (declaring == null) {
            violations.add(self + " uses " + owner + "." + member + ": not found");
            return;
        }
        String at = declaring.getName().replace('.', '/');
        if (!allowed.contains(at + "." + member)) {
            violations.add(self + " uses " + at + "." + member);
        }
    }

    /** Where the JVM finds the member: the class and its superclasses, then the superinterfaces. */
    private static Class<?> declaring(Class<?> start, String name, String descriptor, boolean field) {
        for (Class<?> k = start; k != null; k = k.getSuperclass()) {
            if (declares(k, name, descriptor, field)) {
                return k;
            }
        }
        Deque<Class<?>> todo = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        for (Class<?> k = start; k != null; k = k.getSuperclass()) {
            Collections.addAll(todo, k.getInterfaces());
        }
        while (!todo.isEmpty()) {
            Class<?> i = todo.poll();
            if (!seen.add(i)) {
                continue;
            }
            if (declares(i, name, descriptor, field)) {
                return i;
            }
            Collections.addAll(todo, i.getInterfaces());
        }
        return null;
    }

    private static boolean declares(Class<?> k, String name, String descriptor, boolean field) {
        if (field) {
            for (Field f : k.getDeclaredFields()) {
                if (f.getName().equals(name) && f.getType().descriptorString().equals(descriptor)) {
                    return true;
                }
            }
            return false;
        }
        if (name.equals("<init>")) {
            for (Constructor<?> c : k.getDeclaredConstructors()) {
                if (MethodType.methodType(void.class, c.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
                    return true;
                }
            }
            return false;
        }
        for (Method m : k.getDeclaredMethods()) {
            if (m.getName().equals(name)
                    && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isJdk(String internalName) {
        return internalName.startsWith("java/") || internalName.startsWith("javax/") || internalName.startsWith("jdk/")
                || internalName.startsWith("sun/") || internalName.startsWith("com/sun/");
    }

    /** The class files of main code in {@code pkg}, from a classes folder or a jar. */
    private List<byte[]> classFiles(String pkg) throws Exception {
        List<byte[]> out = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        for (URL url : Collections.list(getClass().getClassLoader().getResources(pkg))) {
            if (url.getPath().contains("test-classes") || url.getPath().contains("-tests.jar")) {
                continue; // tests may use anything
            }
            URI uri = url.toURI();
            if (uri.getScheme().equals("jar")) {
                try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                    collect(fs.getPath(pkg), out, seen);
                }
            } else {
                collect(Path.of(uri), out, seen);
            }
        }
        return out;
    }

    private static void collect(Path dir, List<byte[]> out, Set<String> seen) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                if (seen.add(p.getFileName().toString())) {
                    try (InputStream in = Files.newInputStream(p)) {
                        out.add(in.readAllBytes());
                    }
                }
            }
        }
    }
}
