package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.Signature;
import java.lang.classfile.attribute.SignatureAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.GuestKernel;

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
    @DisplayName("static final List<long[]> X = List.of(new long[1]) is a finding: every domain sharing the loader would share the array")
    void shouldRejectImmutableCollectionsOfMutableElements() {
        List<StaticFieldFinding> findings = StaticStateCheck.forImage(fixtures).check(List.of(PKG + "SharedArrayKernel"));

        assertThat(findings).extracting(StaticFieldFinding::toString).containsExactly(
                "class " + PKG + "SharedArrayKernel, field COUNTERS (Ljava/util/List;): "
                        + "is a collection whose elements ([J) are not known to be immutable");
    }

    @Test
    @DisplayName("crafted: List<long[]>, a wildcard, or no generic signature at all is a finding; List<String> is not")
    void shouldRejectCollectionsWithoutASignature() {
        ClassDesc self = ClassDesc.of("evil.Statics");
        ClassDesc list = ClassDesc.of("java.util.List");
        byte[] bytes = ClassFile.of().build(self, cb -> cb
                .withField("ITEMS", list, ClassFile.ACC_STATIC | ClassFile.ACC_FINAL)
                .withField("NAMES", list, fb -> fb.withFlags(ClassFile.ACC_STATIC | ClassFile.ACC_FINAL)
                        .with(SignatureAttribute.of(Signature.parseFrom("Ljava/util/List<Ljava/lang/String;>;"))))
                .withField("ANY", list, fb -> fb.withFlags(ClassFile.ACC_STATIC | ClassFile.ACC_FINAL)
                        .with(SignatureAttribute.of(Signature.parseFrom("Ljava/util/List<*>;"))))
                .withField("ARRAYS", list, fb -> fb.withFlags(ClassFile.ACC_STATIC | ClassFile.ACC_FINAL)
                        .with(SignatureAttribute.of(Signature.parseFrom("Ljava/util/List<[J>;"))))
                .withMethodBody("<clinit>", MethodTypeDesc.of(ConstantDescs.CD_void), ClassFile.ACC_STATIC, code -> {
                    for (String field : List.of("ITEMS", "NAMES", "ANY", "ARRAYS")) {
                        code.invokestatic(list, "of", MethodTypeDesc.of(list), true).putstatic(self, field, list);
                    }
                    code.return_();
                }));
        ImageClasses image = ImageClasses.of(java.util.Map.of("evil.Statics", bytes));

        assertThat(StaticStateCheck.forImage(image).checkAll()).extracting(StaticFieldFinding::toString).containsExactlyInAnyOrder(
                "class evil.Statics, field ITEMS (Ljava/util/List;): is a collection without a generic signature: "
                        + "its element types are unknown",
                "class evil.Statics, field ANY (Ljava/util/List;): is a collection whose elements (?) are not known to be immutable",
                "class evil.Statics, field ARRAYS (Ljava/util/List;): is a collection whose elements ([J) are not known to be immutable");
    }

    @Test
    @DisplayName("hypercall-api, which every guest shares across domains and loaders, has no mutable static state")
    void shouldFindNoMutableStaticStateInHypercallApi() throws URISyntaxException {
        Path api = Path.of(GuestKernel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ImageClasses classes = ImageClasses.read(List.of(api));

        assertThat(classes.size()).as("hypercall-api classes in " + api).isGreaterThan(100);
        assertThat(StaticStateCheck.forImage(classes).checkAll()).isEmpty();
    }

    @Test
    @DisplayName("a malformed class is a finding, not an exception")
    void shouldReportUnparseableClasses() {
        ImageClasses junk = ImageClasses.of(java.util.Map.of("x.Y", new byte[] {(byte) 0xCA, (byte) 0xFE}));

        assertThat(new StaticStateCheck(junk, ClassLoader.getPlatformClassLoader()).checkAll())
                .singleElement().extracting(StaticFieldFinding::reason).asString().contains("cannot be parsed");
    }
}
