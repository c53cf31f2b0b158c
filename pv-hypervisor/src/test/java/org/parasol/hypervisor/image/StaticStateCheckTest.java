package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class StaticStateCheckTest {
    private static final String PKG = "org.parasol.imagefixtures.";
    private static ImageClasses fixtures;

    @BeforeAll
    static void readFixtures() throws IOException {
        fixtures = TestImages.fixtureImage();
    }

    @Test
    @DisplayName("final statics of immutable types, List.of/Map.of, enum $VALUES and $SwitchMap$ tables are shareable")
    void shouldAcceptImmutableStaticState() {
        List<String> classes = BytecodeVerifier.verify(fixtures, PKG + "GoodKernel", false).reachable()
                .stream().sorted().toList();

        assertThat(classes).anyMatch(c -> c.startsWith(PKG + "GoodKernel$") && !c.endsWith("Mode") && !c.endsWith("Point"));
        assertThat(StaticStateCheck.forImage(fixtures).check(classes)).isEmpty();
    }

    @Test
    @DisplayName("a non-final static and a static final mutable list are findings")
    void shouldRejectMutableStaticState() {
        List<StaticFieldFinding> findings = StaticStateCheck.forImage(fixtures).check(List.of(PKG + "MutableStaticKernel"));

        assertThat(findings).extracting(StaticFieldFinding::toString).containsExactlyInAnyOrder(
                "class " + PKG + "MutableStaticKernel, field instances (I): is not final",
                "class " + PKG + "MutableStaticKernel, field LOG (Ljava/util/List;): "
                        + "is a collection not set from List/Set/Map.of, copyOf or Map.ofEntries");
    }

    @Test
    @DisplayName("a malformed class is a finding, not an exception")
    void shouldReportUnparseableClasses() {
        ImageClasses junk = ImageClasses.of(java.util.Map.of("x.Y", new byte[] {(byte) 0xCA, (byte) 0xFE}));

        assertThat(new StaticStateCheck(junk, ClassLoader.getPlatformClassLoader()).checkAll())
                .singleElement().extracting(StaticFieldFinding::reason).asString().contains("cannot be parsed");
    }
}
