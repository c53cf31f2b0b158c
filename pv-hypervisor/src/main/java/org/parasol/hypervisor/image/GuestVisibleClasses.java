package org.parasol.hypervisor.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.attribute.InnerClassInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.parasol.hypercall.GuestKernel;

/**
 * Initializes, at host start, every class guest code can make the JVM initialize in a class the
 * host shares: each JDK class of the guest list and, recursively, its nested classes (private
 * ones included: {@code Collections$UnmodifiableList}, {@code Formatter$FormatSpecifier}); the
 * JDK internals the list's {@code init} lines name ({@code ImmutableCollections},
 * {@code Formatter}, the method-handle machinery) and their nested classes; every hypercall-api and hypervisor
 * class; and, by running them once, javac's bootstraps — a lambda, method references, string
 * concatenation, a record's {@code toString}/{@code equals}/{@code hashCode}, an enum switch
 * and a pattern switch with enum constant labels — with the formatter and the immutable
 * collections.
 *
 * <p>Why: a class whose static initializer fails is erroneous for the life of the JVM, and every
 * later use anywhere is a {@code NoClassDefFoundError}. A guest that recurses until its stack is
 * nearly full and then triggers the first initialization of a class all domains and the
 * hypervisor share makes that initializer overflow, and so poisons the class for everyone. A
 * class the host has already initialized cannot be poisoned: the JVM never runs its
 * initializer again.
 *
 * <p>What it cannot reach: JDK-internal classes that allowed code initializes lazily and that
 * neither the list nor the exercises here touch (a method-handle species for an unusual shape,
 * a charset's coder) can still be first initialized by a guest, at a depth the guest chooses.
 *
 * <p>{@link #initializeAll} is idempotent: the first call does the work (it is timed in the
 * returned report), later calls return the same report at the cost of a field read.
 */
public final class GuestVisibleClasses {
    private GuestVisibleClasses() {
    }

    /**
     * What the first call did.
     *
     * @param classes  classes initialized (listed, nested, internal and hypercall-api)
     * @param failures classes that could not be initialized, with the reason (expected empty)
     * @param nanos    how long the first call took
     */
    public record Report(int classes, List<String> failures, long nanos) {
        /** Copies the failures. */
        public Report {
            failures = List.copyOf(failures);
        }
    }

    private static final class Once {
        static final Report REPORT = run();
    }

    /** Initializes everything guests could otherwise be first to initialize; cheap after the first call. */
    public static Report initializeAll() {
        return Once.REPORT;
    }

    private static Report run() {
        long t0 = System.nanoTime();
        Set<Class<?>> done = new HashSet<>();
        List<String> failures = new ArrayList<>();
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        GuestJdkApi list = GuestJdkApi.standard();
        List<String> jdk = new ArrayList<>(list.classNames());
        jdk.addAll(list.hostInitialized());
        for (String name : jdk) {
            initializeWithNested(name.replace('/', '.'), platform, done, failures);
        }
        ClassLoader api = GuestKernel.class.getClassLoader();
        for (String name : hypercallApiClasses()) {
            initializeWithNested(name, api, done, failures);
        }
        // The hypervisor's own classes too: paths guest code enters without a hypercall (a TLB
        // miss, a trapped page-table write, a safe point) run at the guest's depth, and a class
        // first used there must not be initialized there.
        ClassLoader own = GuestVisibleClasses.class.getClassLoader();
        for (String name : classesOf(GuestVisibleClasses.class, "org/parasol/hypervisor/")) {
            initializeWithNested(name, own, done, failures);
        }
        try {
            exerciseJavacBootstraps();
        } catch (RuntimeException | LinkageError e) {
            failures.add("javac's bootstraps: " + e);
        }
        return new Report(done.size(), failures, System.nanoTime() - t0);
    }

    private static void initializeWithNested(String name, ClassLoader loader, Set<Class<?>> done, List<String> failures) {
        ArrayDeque<String> todo = new ArrayDeque<>(List.of(name));
        while (!todo.isEmpty()) {
            String next = todo.poll();
            try {
                Class<?> c = Class.forName(next, true, loader);
                if (done.add(c)) {
                    for (Class<?> nested : c.getDeclaredClasses()) {
                        todo.add(nested.getName());
                    }
                    todo.addAll(anonymousAndLocalClasses(c));
                }
            } catch (ClassNotFoundException | LinkageError | SecurityException e) {
                failures.add(next + ": " + e);
            }
        }
    }

    /**
     * The anonymous and local classes {@code c} declares ({@code InnerClassLambdaMetafactory$4}),
     * which {@link Class#getDeclaredClasses} leaves out: the inner classes its InnerClasses
     * attribute names whose binary name extends {@code c}'s.
     */
    private static List<String> anonymousAndLocalClasses(Class<?> c) {
        String internal = c.getName().replace('.', '/');
        List<String> out = new ArrayList<>();
        try (InputStream in = c.getModule().getResourceAsStream(internal + ".class")) {
            if (in == null) {
                return out;
            }
            ClassModel m = ClassFile.of().parse(in.readAllBytes());
            m.findAttribute(Attributes.innerClasses()).ifPresent(a -> {
                for (InnerClassInfo info : a.classes()) {
                    String inner = info.innerClass().asInternalName();
                    if (info.outerClass().isEmpty() && inner.startsWith(internal + "$")) {
                        out.add(inner.replace('/', '.'));
                    }
                }
            });
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    /** Binary names of every class of the hypervisor's hypercall-api, from its module or, on the class path, its jar or folder. */
    static List<String> hypercallApiClasses() {
        return classesOf(GuestKernel.class, "org/parasol/hypercall/");
    }

    /**
     * Binary names of the classes under {@code prefix} (an internal package prefix) that come
     * with {@code anchor}: from its module or, on the class path, its jar or folder.
     */
    static List<String> classesOf(Class<?> anchor, String prefix) {
        Module module = anchor.getModule();
        List<String> paths = new ArrayList<>();
        try {
            if (module.isNamed() && module.getLayer() != null) {
                ModuleReference ref = module.getLayer().configuration().findModule(module.getName()).orElseThrow().reference();
                try (ModuleReader reader = ref.open(); Stream<String> names = reader.list()) {
                    names.forEach(paths::add);
                }
            } else {
                CodeSource cs = anchor.getProtectionDomain().getCodeSource();
                Path location = Path.of(cs.getLocation().toURI());
                if (Files.isDirectory(location)) {
                    try (Stream<Path> files = Files.walk(location)) {
                        files.forEach(p -> paths.add(location.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/")));
                    }
                } else {
                    try (ZipFile zip = new ZipFile(location.toFile())) {
                        Enumeration<? extends ZipEntry> entries = zip.entries();
                        while (entries.hasMoreElements()) {
                            paths.add(entries.nextElement().getName());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the classes of " + anchor.getName() + "'s module", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + anchor.getName(), e);
        }
        List<String> classes = new ArrayList<>();
        for (String p : paths) {
            if (p.startsWith(prefix) && p.endsWith(".class") && !p.endsWith("module-info.class")) {
                classes.add(p.substring(0, p.length() - ".class".length()).replace('/', '.'));
            }
        }
        classes.sort(null);
        return classes;
    }

    // --- javac's bootstraps and the allowed members that spin JDK internals, run once by the host

    private record Sample(int number, String text) {
    }

    private enum Mode { PV, HVM }

    private sealed interface Shape permits Dot, Line, Mode2 {
    }

    private record Dot() implements Shape {
    }

    private record Line(int length) implements Shape {
    }

    private enum Mode2 implements Shape { ON, OFF }

    private static final VarHandle LONGS = ValueLayout.JAVA_LONG.varHandle();

    private static void exerciseJavacBootstraps() {
        StringBuilder sink = new StringBuilder();
        Runnable lambda = () -> sink.append('r');
        lambda.run();
        Function<String, Integer> length = String::length;
        IntSupplier bound = sink::length;
        sink.append(length.apply("abc")).append(bound.getAsInt());
        long l = 3;
        double d = 1.5;
        char c = 'c';
        Object o = null;
        sink.append("concat " + l + d + c + true + o + sink.length() + Mode.PV);
        Sample s = new Sample(1, "x");
        sink.append(s).append(s.equals(new Sample(1, "x"))).append(s.hashCode());
        for (Mode m : Mode.values()) {
            sink.append(switch (m) {
                case PV -> 'p';
                case HVM -> 'h';
            });
            sink.append(switch (m) {
                case Mode x when x.ordinal() > 0 -> 'y';
                default -> 'n';
            });
        }
        for (Shape shape : List.of(new Dot(), new Line(2), Mode2.ON, Mode2.OFF)) {
            sink.append(switch (shape) {
                case Dot dot -> "dot";
                case Line line when line.length() > 1 -> "long";
                case Line line -> "line";
                case Mode2.ON -> "on";
                case Mode2.OFF -> "off";
            });
        }
        for (Object value : new Object[] {1, "s", 2L, 'c', 1.0f}) {
            sink.append(switch (value) {
                case Integer i -> "int";
                case String str -> str;
                case Long n when n > 1 -> "long";
                default -> "other";
            });
        }
        sink.append(String.format("%s %d %x %08X %.2f %e %c %b %5s%-5s|%n", "s", 42, 255, 255, 1.5, 2.5, 'c', true, "r", "l"));
        sink.append("%s".formatted(List.of(1)));
        sink.append(List.of(1)).append(List.of(1, 2)).append(List.of(1, 2, 3)).append(List.copyOf(List.of(4)))
                .append(Set.of(1)).append(Set.of(1, 2, 3)).append(Map.of(1, 2)).append(Map.of(1, 2, 3, 4))
                .append(Map.ofEntries(Map.entry(1, 2))).append(List.of(1, 2).reversed());
        int[] ints = {3, 1, 2};
        java.util.Arrays.sort(ints);
        String[] words = {"b", "a", "cc"};
        java.util.Arrays.sort(words);
        java.util.Arrays.sort(words, java.util.Comparator.comparing(String::length).thenComparing(java.util.Comparator.reverseOrder()));
        List<String> sorted = new ArrayList<>(List.of(words));
        sorted.sort(java.util.Comparator.naturalOrder());
        java.util.Collections.sort(sorted, java.util.Collections.reverseOrder());
        sink.append(ints[0]).append(sorted).append(new java.util.TreeMap<>(Map.of("k", 1)));
        sink.append(HexFormat.of().formatHex(new byte[] {1, 2})).append(HexFormat.ofDelimiter(":").withUpperCase().parseHex("0a:0b").length);
        sink.append("a,b".split(",").length).append("x1".matches("x\\d")).append("aXb".replaceAll("X", "-"));
        sink.append(new String("h\u00e9".getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        MemorySegment segment = MemorySegment.ofArray(new long[2]);
        segment.set(ValueLayout.JAVA_LONG, 8, 1L);
        LONGS.setRelease(segment, 0L, 2L);
        boolean swapped = LONGS.compareAndSet(segment, 0L, 2L, 3L);
        sink.append((long) LONGS.getAcquire(segment, 0L)).append(swapped).append(segment.get(ValueLayout.JAVA_INT, 0));
        VarHandle.fullFence();
        if (sink.isEmpty()) {
            throw new IllegalStateException("the exercises produced nothing");
        }
    }
}
