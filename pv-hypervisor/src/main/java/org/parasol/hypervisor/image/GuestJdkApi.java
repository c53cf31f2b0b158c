package org.parasol.hypervisor.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The JDK an unprivileged guest may use, member by member: the parsed form of the reviewed
 * file {@value #RESOURCE} (its header documents the syntax).
 *
 * <p>Deny by default. A JDK class an unprivileged image names must be listed here, or the
 * verifier refuses it and {@link GuestParentLoader} will not serve it. A listed class lists every
 * public and protected member it declares, each allowed ({@code +}) or denied ({@code -} with the
 * {@link GuestApiRule} it breaks); the verifier resolves a member reference to the class that
 * declares the member, as the JVM does, and asks this list about that declaration. A class whose
 * members are all denied is "type only": guests may mention it (descriptors, casts, catch types,
 * the bootstrap types of javac's call sites) but call nothing on it. A class marked
 * {@code extendable} may be a guest class's superclass or superinterface, and the functional
 * interface of a guest lambda.
 *
 * <p>The list is closed under supertypes (every superclass and superinterface of a listed class
 * is listed, so every inherited member is decided where it is declared); {@code GuestJdkApiTest}
 * holds it to the running JDK: a member the list does not decide, or an entry the JDK no longer
 * has, fails the build.
 *
 * <p>{@code init} lines name JDK-internal classes that allowed members use (the formatter behind
 * {@code String.format}, the immutable collections behind {@code List.of}); guests cannot name
 * them, and {@link GuestVisibleClasses} initializes them at host start.
 *
 * <p>Immutable and thread-safe.
 */
public final class GuestJdkApi {
    /** The list's file name, next to this class. */
    public static final String RESOURCE = "guest-jdk-api.txt";

    /** A decision about one member: allowed, or denied by a rule. */
    public record Decision(GuestApiRule deniedBy) {
        /** The decision for a {@code +} member. */
        public static final Decision ALLOWED = new Decision(null);

        /** Whether the member is allowed. */
        public boolean allowed() {
            return deniedBy == null;
        }
    }

    /**
     * One listed class.
     *
     * @param name       internal name ({@code java/util/ArrayList})
     * @param extendable whether guest classes may extend or implement it
     * @param members    every declared public and protected member, by {@link #methodKey} or
     *                   {@link #fieldKey}, in file order
     */
    public record ListedClass(String name, boolean extendable, Map<String, Decision> members) {
        /** Copies the members, keeping their order. */
        public ListedClass {
            Objects.requireNonNull(name, "name");
            members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
        }

        /** Whether every member is denied: guests may name the class, never use it. */
        public boolean typeOnly() {
            return members.values().stream().noneMatch(Decision::allowed);
        }
    }

    private final Map<String, ListedClass> classes;
    private final List<String> hostInitialized;

    private GuestJdkApi(Map<String, ListedClass> classes, List<String> hostInitialized) {
        this.classes = Collections.unmodifiableMap(new LinkedHashMap<>(classes));
        this.hostInitialized = List.copyOf(hostInitialized);
    }

    private static final class Standard {
        static final GuestJdkApi LIST = load();

        private static GuestJdkApi load() {
            try (InputStream in = GuestJdkApi.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException(RESOURCE + " is missing from pv-hypervisor");
                }
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + RESOURCE, e);
            }
        }
    }

    /** The reviewed list shipped with the hypervisor. */
    public static GuestJdkApi standard() {
        return Standard.LIST;
    }

    /** The key of a method or constructor: {@code indexOf(Ljava/lang/String;I)I}, {@code <init>()V}. */
    public static String methodKey(String name, String descriptor) {
        return name + descriptor;
    }

    /** The key of a field: {@code out:Ljava/io/PrintStream;}. */
    public static String fieldKey(String name, String descriptor) {
        return name + ":" + descriptor;
    }

    /** Whether guests may name this class (internal name). */
    public boolean isListed(String internalName) {
        return classes.containsKey(internalName);
    }

    /** Whether guest classes may extend or implement this class (internal name). */
    public boolean isExtendable(String internalName) {
        ListedClass c = classes.get(internalName);
        return c != null && c.extendable();
    }

    /** The listed class of this internal name, or {@code null}. */
    public ListedClass listed(String internalName) {
        return classes.get(internalName);
    }

    /**
     * The decision about member {@code key} ({@link #methodKey} or {@link #fieldKey}) declared by
     * {@code owner}, or {@code null} if the class is not listed or does not list the member (then
     * the member is not public or protected, or the JDK changed under the list).
     */
    public Decision decide(String owner, String key) {
        ListedClass c = classes.get(owner);
        return c == null ? null : c.members().get(key);
    }

    /** Internal names of every listed class, in file order. */
    public Set<String> classNames() {
        return classes.keySet();
    }

    /** Internal names of the JDK-internal classes the host initializes for guests ({@code init} lines). */
    public List<String> hostInitialized() {
        return hostInitialized;
    }

    /**
     * Parses a list in the file's syntax.
     *
     * @param source the file name, for error messages
     * @throws IllegalArgumentException on the first malformed line, naming it
     */
    public static GuestJdkApi parse(String text, String source) {
        Map<String, ListedClass> classes = new LinkedHashMap<>();
        List<String> init = new ArrayList<>();
        String current = null;
        boolean extendable = false;
        Map<String, Decision> members = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = stripComment(lines[i]).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + ":" + (i + 1);
            String[] words = words(line);
            switch (words[0]) {
                case "class" -> {
                    if (current != null) {
                        classes.put(current, new ListedClass(current, extendable, members));
                    }
                    if (words.length < 2 || words.length > 3 || words.length == 3 && !words[2].equals("extendable")) {
                        throw malformed(where, "expected 'class <internal name> [extendable]'", line);
                    }
                    current = internalName(words[1], where);
                    if (classes.containsKey(current)) {
                        throw malformed(where, "class listed twice", line);
                    }
                    extendable = words.length == 3;
                    members = new LinkedHashMap<>();
                }
                case "init" -> {
                    if (words.length != 2) {
                        throw malformed(where, "expected 'init <internal name>'", line);
                    }
                    init.add(internalName(words[1], where));
                }
                case "+", "-" -> {
                    if (current == null) {
                        throw malformed(where, "a member before any 'class' line", line);
                    }
                    boolean allowed = words[0].equals("+");
                    if (words.length != (allowed ? 2 : 3)) {
                        throw malformed(where, allowed ? "expected '+ <member>'" : "expected '- <member> <RULE>'", line);
                    }
                    String key = memberKey(words[1], where);
                    Decision d = allowed ? Decision.ALLOWED : new Decision(rule(words[2], where));
                    if (members.putIfAbsent(key, d) != null) {
                        throw malformed(where, "member listed twice", line);
                    }
                }
                default -> throw malformed(where, "expected 'class', 'init', '+' or '-'", line);
            }
        }
        if (current != null) {
            classes.put(current, new ListedClass(current, extendable, members));
        }
        return new GuestJdkApi(classes, init);
    }

    /** The words of a stripped line, split at spaces and tabs (no regular expression: the file has thousands of lines). */
    private static String[] words(String line) {
        List<String> out = new ArrayList<>(3);
        int i = 0;
        while (i < line.length()) {
            int start = i;
            while (i < line.length() && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
                i++;
            }
            out.add(line.substring(start, i));
            while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
        }
        return out.toArray(new String[0]);
    }

    private static String stripComment(String line) {
        int hash = line.indexOf('#');
        return hash < 0 ? line : line.substring(0, hash);
    }

    private static String internalName(String name, String where) {
        if (name.isEmpty() || name.indexOf('.') >= 0 || name.indexOf(';') >= 0 || name.startsWith("[")
                || name.startsWith("/") || name.endsWith("/")) {
            throw malformed(where, "not an internal class name", name);
        }
        return name;
    }

    /** Checks the shape of a member key: {@code name(args)ret} or {@code name:desc}. */
    private static String memberKey(String key, String where) {
        int paren = key.indexOf('(');
        int colon = key.indexOf(':');
        boolean ok;
        if (paren > 0) {
            int close = key.indexOf(')', paren);
            ok = colon < 0 && close > paren && Descriptors.isMethodDescriptor(key.substring(paren));
        } else {
            ok = colon > 0 && Descriptors.isFieldDescriptor(key.substring(colon + 1));
        }
        if (!ok) {
            throw malformed(where, "not 'name(descriptor)return' or 'name:descriptor'", key);
        }
        return key;
    }

    private static GuestApiRule rule(String name, String where) {
        try {
            return GuestApiRule.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw malformed(where, "unknown rule (a GuestApiRule constant)", name);
        }
    }

    private static IllegalArgumentException malformed(String where, String problem, String text) {
        return new IllegalArgumentException(where + ": " + problem + ": " + text);
    }
}
