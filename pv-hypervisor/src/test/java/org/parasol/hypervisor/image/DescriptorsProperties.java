package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The verifier's one-pass descriptor parser agrees with the JDK's own on what is a descriptor and what it names. */
class DescriptorsProperties {
    /** Random strings, well-formed descriptors, and well-formed descriptors with one character changed. */
    @Provide
    Arbitrary<String> descriptorish() {
        Arbitrary<String> field = Arbitraries.of("I", "J", "Z", "[I", "La;", "La/b;", "[[Lab/c;", "Ljava/lang/String;");
        Arbitrary<String> method = field.list().ofMaxSize(4).flatMap(params -> Arbitraries.of("V", "I", "La;", "[J")
                .map(ret -> "(" + String.join("", params) + ")" + ret));
        Arbitrary<String> wellFormed = Arbitraries.oneOf(field, method);
        Arbitrary<String> mutated = wellFormed.flatMap(d -> Arbitraries.integers().between(0, d.length() - 1)
                .flatMap(i -> Arbitraries.of('(', ')', '[', ';', 'L', '/', '.', 'V', 'a')
                        .map(c -> d.substring(0, i) + c + d.substring(i + 1))));
        return Arbitraries.oneOf(Arbitraries.strings().withChars("()[;LIJZV/ab").ofMaxLength(24), wellFormed, mutated);
    }

    /**
     * MethodTypeDesc splits a descriptor at its last ')', the JVM and this parser at the first
     * after the parameters; they differ only for class names holding a parenthesis (legal, and
     * judged as unknown names either way), which this property leaves out.
     */
    @Property(tries = 5000)
    @Label("a string is a method descriptor for the verifier exactly when MethodTypeDesc.ofDescriptor accepts it")
    void shouldAgreeWithTheJdkOnMethodDescriptors(@ForAll("descriptorish") String s) {
        Assume.that(s.indexOf('(', 1) < 0 && s.indexOf(')') == s.lastIndexOf(')'));
        List<String> names = new ArrayList<>();
        boolean ours = Descriptors.methodDescriptor(s, names::add);
        MethodTypeDesc jdk;
        try {
            jdk = MethodTypeDesc.ofDescriptor(s);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) { // "" throws the latter
            jdk = null;
        }

        assertThat(ours).as(s).isEqualTo(jdk != null);
        if (jdk != null) {
            List<String> expected = new ArrayList<>();
            for (ClassDesc p : jdk.parameterList()) {
                element(p, expected);
            }
            element(jdk.returnType(), expected);
            assertThat(names).as(s).isEqualTo(expected);
        }
    }

    @Property(tries = 5000)
    @Label("a string is a field descriptor for the verifier exactly when ClassDesc.ofDescriptor accepts it (void aside)")
    void shouldAgreeWithTheJdkOnFieldDescriptors(@ForAll("descriptorish") String s) {
        boolean jdk;
        try {
            jdk = !ClassDesc.ofDescriptor(s).descriptorString().equals("V");
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) { // "[[" throws the latter
            jdk = false;
        }

        assertThat(Descriptors.isFieldDescriptor(s)).as(s).isEqualTo(jdk);
    }

    private static void element(ClassDesc d, List<String> out) {
        while (d.isArray()) {
            d = d.componentType();
        }
        if (d.isClassOrInterface()) {
            String desc = d.descriptorString();
            out.add(desc.substring(1, desc.length() - 1));
        }
    }
}
