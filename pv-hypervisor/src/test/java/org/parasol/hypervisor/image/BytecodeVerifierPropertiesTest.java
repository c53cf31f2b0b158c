package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class BytecodeVerifierPropertiesTest {
    private static final byte[] GOOD = good();

    private static byte[] good() {
        try {
            return TestImages.fixtureClassFiles().get(TestImages.FIXTURES + "GoodKernel.class");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Property(tries = 300)
    @Label("random bytes as a class file are refused as malformed, never an uncaught exception")
    void shouldRefuseRandomBytes(@ForAll @Size(max = 512) byte[] bytes) {
        List<Violation> violations = BytecodeVerifier.verifyClass(bytes, false);

        assertThat(violations).isNotEmpty().allSatisfy(v -> assertThat(v.toString()).isNotBlank());
        assertThat(violations).anyMatch(v -> v.rule() == GuestApiRule.WELL_FORMED);
    }

    @Property(tries = 300)
    @Label("a real class file with bytes overwritten never makes the verifier throw")
    void shouldNeverThrowOnCorruptedClassFiles(@ForAll("corruptions") List<int[]> corruptions) {
        byte[] bytes = GOOD.clone();
        for (int[] c : corruptions) {
            bytes[c[0] % bytes.length] = (byte) c[1];
        }

        List<Violation> violations = BytecodeVerifier.verifyClass(bytes, false);

        assertThat(violations).allSatisfy(v -> assertThat(v.toString()).startsWith("class "));
    }

    @Provide
    Arbitrary<List<int[]>> corruptions() {
        Arbitrary<int[]> one = Arbitraries.integers().between(0, Integer.MAX_VALUE)
                .flatMap(pos -> Arbitraries.integers().between(0, 255).map(v -> new int[] {pos, v}));
        return one.list().ofMinSize(1).ofMaxSize(8);
    }
}
