package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parasol.hypercall.Cpu;

/**
 * The wall behind the verifier: what the guest loaders' parent serves. An unprivileged image's
 * parent serves hypercall-api and the listed JDK classes, nothing else; a privileged image's
 * parent the whole JDK, still nothing of the host's own code.
 */
class GuestParentLoaderTest {
    private static final GuestParentLoader STRICT = GuestParentLoader.standard();
    private static final GuestParentLoader PRIVILEGED = GuestParentLoader.privileged();

    @ParameterizedTest(name = "{0}")
    @DisplayName("the strict parent refuses what the guest JDK list does not name, and every host class")
    @ValueSource(strings = {"sun.misc.Unsafe", "java.lang.Runtime", "java.lang.ProcessBuilder",
            "org.parasol.hypervisor.Hypervisor", "org.parasol.hypervisor.image.GuestParentLoader",
            "java.util.concurrent.CompletableFuture", "java.util.stream.StreamSupport", "java.lang.reflect.Method",
            "jdk.internal.misc.Unsafe", "org.junit.jupiter.api.Test", "org.assertj.core.api.Assertions"})
    void shouldRefuseUnlistedAndHostClasses(String name) {
        assertThatThrownBy(() -> STRICT.loadClass(name))
                .isInstanceOf(ClassNotFoundException.class)
                .hasMessageContaining(name + " is not visible to guest code")
                .hasMessageContaining(GuestJdkApi.RESOURCE);
    }

    @Test
    @DisplayName("the strict parent serves the listed JDK classes and hypercall-api, the host's own copies")
    void shouldServeListedClassesAndHypercallApi() throws ClassNotFoundException {
        assertThat(STRICT.loadClass("java.lang.String")).isSameAs(String.class);
        assertThat(STRICT.loadClass("java.util.ArrayList")).isSameAs(java.util.ArrayList.class);
        assertThat(STRICT.loadClass("java.lang.invoke.MethodHandles$Lookup"))
                .isSameAs(java.lang.invoke.MethodHandles.Lookup.class);
        assertThat(STRICT.loadClass("org.parasol.hypercall.Cpu")).isSameAs(Cpu.class);
        for (String listed : GuestJdkApi.standard().classNames()) {
            assertThat(STRICT.loadClass(listed.replace('/', '.')).getClassLoader())
                    .as(listed).isIn(null, ClassLoader.getPlatformClassLoader());
        }
    }

    @Test
    @DisplayName("the privileged parent serves any JDK class but never the hypervisor or the host class path")
    void shouldServeTheWholeJdkToPrivilegedImagesOnly() throws ClassNotFoundException {
        assertThat(PRIVILEGED.loadClass("java.util.concurrent.CompletableFuture"))
                .isSameAs(java.util.concurrent.CompletableFuture.class);
        assertThat(PRIVILEGED.loadClass("java.sql.Connection").getName()).isEqualTo("java.sql.Connection");
        for (String host : List.of("org.parasol.hypervisor.Hypervisor", "org.junit.jupiter.api.Test",
                "org.parasol.imagefixtures.GoodKernel")) {
            assertThatThrownBy(() -> PRIVILEGED.loadClass(host)).as(host)
                    .isInstanceOf(ClassNotFoundException.class).hasMessageContaining("is not visible to guest code");
        }
    }

    @Test
    @DisplayName("a class named org.parasol.hypercall.* from anywhere but the hypervisor's hypercall-api is refused")
    void shouldServeOnlyTheHypervisorsOwnHypercallApi() {
        GuestParentLoader elsewhere = new GuestParentLoader(GuestParentLoaderTest.class, false);

        assertThatThrownBy(() -> elsewhere.loadClass("org.parasol.hypercall.Cpu"))
                .isInstanceOf(ClassNotFoundException.class)
                .hasMessage("org.parasol.hypercall.Cpu is not a class of the hypervisor's hypercall-api");
    }

    @Test
    @DisplayName("the strict parent serves no resources; the privileged one the JDK's")
    void shouldServeResourcesOnlyToPrivilegedImages() {
        assertThat(STRICT.getResource("java/lang/Object.class")).isNull();
        assertThat(PRIVILEGED.getResource("java/lang/Object.class")).isNotNull();
    }

    @Test
    @DisplayName("a guest loader asks its parent, never its image, for a name in a host package, whatever the image holds")
    void shouldNeverDefineAnImagesCopyOfAHostClass() throws Exception {
        byte[] good = TestImages.fixtureClassFiles().get(TestImages.FIXTURES + "GoodKernel.class");
        ImageClasses image = ImageClasses.of(Map.of("java.util.Fake", good, "org.parasol.hypervisor.Evil", good));
        GuestClassLoader loader = new GuestClassLoader("image:test", image, image.classNames(), STRICT);

        for (String name : image.classNames()) {
            assertThat(image.isImageClass(name)).as(name).isFalse();
            assertThatThrownBy(() -> loader.loadClass(name)).as(name)
                    .isInstanceOf(ClassNotFoundException.class).hasMessageContaining("is not visible to guest code");
        }
    }
}
