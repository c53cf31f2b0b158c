package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Holds the reviewed guest JDK list to the JDK the build runs on: every public and protected
 * member of every listed class is decided, nothing listed is gone, and the list is closed under
 * supertypes. A failure prints what to paste into {@value GuestJdkApi#RESOURCE}.
 */
class GuestJdkApiTest {
    private static final GuestJdkApi LIST = GuestJdkApi.standard();

    @Test
    @DisplayName("every public and protected member of a listed class is decided ('each listed class lists EVERY member')")
    void shouldDecideEveryDeclaredMember() throws ClassNotFoundException {
        StringBuilder undecided = new StringBuilder();
        for (String name : LIST.classNames()) {
            Set<String> listed = LIST.listed(name).members().keySet();
            List<String> missing = new ArrayList<>();
            for (String key : JdkMembers.declared(JdkMembers.load(name))) {
                if (!listed.contains(key)) {
                    missing.add(key);
                }
            }
            if (!missing.isEmpty()) {
                undecided.append("class ").append(name).append('\n');
                missing.forEach(k -> undecided.append(JdkMembers.deniedLine(k)).append('\n'));
            }
        }

        assertThat(undecided.toString()).as("members the list does not decide (review, then paste):%n%s", undecided)
                .isEmpty();
    }

    @Test
    @DisplayName("every listed member exists in the running JDK ('no member it does not declare')")
    void shouldListOnlyMembersTheJdkDeclares() throws ClassNotFoundException {
        Map<String, List<String>> stale = new TreeMap<>();
        for (String name : LIST.classNames()) {
            Set<String> declared = new HashSet<>(JdkMembers.declared(JdkMembers.load(name)));
            for (String key : LIST.listed(name).members().keySet()) {
                if (!declared.contains(key)) {
                    stale.computeIfAbsent(name, n -> new ArrayList<>()).add(key);
                }
            }
        }

        assertThat(stale).as("entries the JDK no longer has (delete them)").isEmpty();
    }

    @Test
    @DisplayName("every listed class is a JDK class that exists ('the JDK an unprivileged guest may use')")
    void shouldListOnlyExistingJdkClasses() {
        List<String> wrong = new ArrayList<>();
        for (String name : LIST.classNames()) {
            try {
                Class<?> c = JdkMembers.load(name);
                if (!HostPackages.isJdk(name) || c.getClassLoader() != null
                        && c.getClassLoader() != ClassLoader.getPlatformClassLoader()) {
                    wrong.add(name + " (not from the JDK)");
                }
            } catch (ClassNotFoundException e) {
                wrong.add(name + " (no such class)");
            }
        }

        assertThat(wrong).isEmpty();
    }

    @Test
    @DisplayName("every superclass and superinterface of a listed class is listed ('closed under supertypes')")
    void shouldBeClosedUnderSupertypes() throws ClassNotFoundException {
        Set<String> missing = new TreeSet<>();
        for (String name : LIST.classNames()) {
            Class<?> c = JdkMembers.load(name);
            List<Class<?>> supers = new ArrayList<>(List.of(c.getInterfaces()));
            if (c.getSuperclass() != null) {
                supers.add(c.getSuperclass());
            }
            for (Class<?> s : supers) {
                String sn = s.getName().replace('.', '/');
                if (!LIST.isListed(sn)) {
                    missing.add(sn + " (supertype of " + name + ")");
                }
            }
        }

        assertThat(missing).as("supertypes to list (print them with GuestJdkApiGenerator)").isEmpty();
    }

    @Test
    @DisplayName("an allowed member names only listed classes ('otherwise no guest could call it')")
    void shouldAllowOnlyMembersWhoseTypesAreListed() {
        List<String> wrong = new ArrayList<>();
        for (String name : LIST.classNames()) {
            LIST.listed(name).members().forEach((key, decision) -> {
                if (!decision.allowed()) {
                    return;
                }
                int split = key.indexOf('(') >= 0 ? key.indexOf('(') : key.indexOf(':') + 1;
                String desc = key.substring(split);
                List<String> names = new ArrayList<>();
                boolean ok = desc.startsWith("(") ? Descriptors.methodDescriptor(desc, names::add)
                        : Descriptors.fieldDescriptor(desc, names::add);
                names.stream().filter(n -> !LIST.isListed(n)).forEach(n -> wrong.add(name + "." + key + " names " + n));
                if (!ok) {
                    wrong.add(name + "." + key + " is malformed");
                }
            });
        }

        assertThat(wrong).isEmpty();
    }

    @Test
    @DisplayName("an extendable class can be extended: it is not final, sealed or a non-public class")
    void shouldFlagOnlyExtendableClassesExtendable() throws ClassNotFoundException {
        List<String> wrong = new ArrayList<>();
        for (String name : LIST.classNames()) {
            Class<?> c = JdkMembers.load(name);
            if (LIST.isExtendable(name) && (Modifier.isFinal(c.getModifiers()) || c.isSealed()
                    || !Modifier.isPublic(c.getModifiers()))) {
                wrong.add(name);
            }
        }

        assertThat(wrong).isEmpty();
    }

    @Test
    @DisplayName("the types javac's call sites and switches name are listed, type only ('guests may name them, call nothing')")
    void shouldListJavacBootstrapTypesTypeOnly() {
        for (String t : List.of("java/lang/invoke/MethodHandles$Lookup", "java/lang/invoke/MethodType",
                "java/lang/invoke/MethodHandle", "java/lang/invoke/CallSite", "java/lang/invoke/TypeDescriptor",
                "java/lang/invoke/LambdaMetafactory", "java/lang/invoke/StringConcatFactory",
                "java/lang/runtime/ObjectMethods", "java/lang/runtime/SwitchBootstraps")) {
            assertThat(LIST.isListed(t)).as(t).isTrue();
            assertThat(LIST.listed(t).typeOnly()).as(t + " is type only").isTrue();
        }
    }

    @Test
    @DisplayName("the attacks of issue 10 are denied by the list itself")
    void shouldDenyTheIssuesMembers() {
        assertThat(LIST.decide("java/lang/invoke/MethodHandles", "lookup()Ljava/lang/invoke/MethodHandles$Lookup;"))
                .isEqualTo(new GuestJdkApi.Decision(GuestApiRule.NO_REFLECTION));
        assertThat(LIST.decide("java/lang/constant/ConstantDesc",
                "resolveConstantDesc(Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/Object;"))
                .isEqualTo(new GuestJdkApi.Decision(GuestApiRule.NO_REFLECTION));
        assertThat(LIST.decide("java/lang/System", "out:Ljava/io/PrintStream;"))
                .isEqualTo(new GuestJdkApi.Decision(GuestApiRule.NO_STANDARD_STREAMS));
        assertThat(LIST.decide("java/lang/Object", "wait()V")).isEqualTo(new GuestJdkApi.Decision(GuestApiRule.NO_MONITORS));
        assertThat(LIST.decide("java/lang/Thread", "onSpinWait()V")).isEqualTo(GuestJdkApi.Decision.ALLOWED);
        assertThat(LIST.decide("java/lang/Thread", "currentThread()Ljava/lang/Thread;"))
                .isEqualTo(new GuestJdkApi.Decision(GuestApiRule.NO_THREADS));
        for (String absent : List.of("java/util/concurrent/CompletableFuture", "java/util/concurrent/CompletionStage",
                "java/util/stream/StreamSupport", "java/util/concurrent/ConcurrentHashMap", "sun/misc/Unsafe",
                "java/lang/Runtime", "java/lang/ProcessBuilder", "java/lang/reflect/Method")) {
            assertThat(LIST.isListed(absent)).as(absent).isFalse();
        }
    }

    @Test
    @DisplayName("'init' lines name JDK-internal classes that exist and are not listed for guests")
    void shouldNameExistingInternalsInInitLines() {
        assertThat(LIST.hostInitialized()).isNotEmpty().allSatisfy(name -> {
            assertThat(LIST.isListed(name)).as(name).isFalse();
            assertThat(HostPackages.isJdk(name)).as(name).isTrue();
            assertThat(JdkMembers.load(name)).isNotNull();
        });
    }

    @Test
    @DisplayName("a malformed line is refused with its file, line and text")
    void shouldRefuseMalformedLines() {
        assertThatThrownBy(() -> GuestJdkApi.parse("class java/lang/Object\n  + wait()V NO_MONITORS\n", "t.txt"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("t.txt:2: expected '+ <member>': + wait()V NO_MONITORS");
        assertThatThrownBy(() -> GuestJdkApi.parse("class java/lang/Object\n  - wait()V NO_SUCH_RULE\n", "t.txt"))
                .hasMessage("t.txt:2: unknown rule (a GuestApiRule constant): NO_SUCH_RULE");
        assertThatThrownBy(() -> GuestJdkApi.parse("  + wait()V\n", "t.txt"))
                .hasMessage("t.txt:1: a member before any 'class' line: + wait()V");
        assertThatThrownBy(() -> GuestJdkApi.parse("class java.lang.Object\n", "t.txt"))
                .hasMessage("t.txt:1: not an internal class name: java.lang.Object");
        assertThatThrownBy(() -> GuestJdkApi.parse("class a/B\n  + m(L;)V\n", "t.txt"))
                .hasMessage("t.txt:2: not 'name(descriptor)return' or 'name:descriptor': m(L;)V");
        assertThatThrownBy(() -> GuestJdkApi.parse("class a/B\n  + f:I\n  + f:I\n", "t.txt"))
                .hasMessage("t.txt:3: member listed twice: + f:I");
        assertThatThrownBy(() -> GuestJdkApi.parse("class a/B\nclass a/B\n", "t.txt"))
                .hasMessage("t.txt:2: class listed twice: class a/B");
    }

    @Test
    @DisplayName("the generator prints a class in the list's syntax, every member denied until reviewed")
    void shouldPrintClassesInTheListSyntax() throws ClassNotFoundException {
        String printed = GuestJdkApiGenerator.format("java/lang/Runnable");

        assertThat(printed).isEqualTo("class java/lang/Runnable\n  - run()V JDK_ALLOW_LIST\n");
        assertThat(GuestJdkApi.parse(printed, "generated").decide("java/lang/Runnable", "run()V"))
                .isEqualTo(new GuestJdkApi.Decision(GuestApiRule.JDK_ALLOW_LIST));
    }
}
