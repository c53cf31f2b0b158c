package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;
import org.parasol.imagefixtures.GoodKernel;

class GuestClassLoaderTest {
    @TempDir
    static Path dir;
    private static ClassLoader guest;

    @BeforeAll
    static void loadGoodImage() throws IOException {
        ImageLoader loader = new ImageLoader(TestImages.repository(dir, false, "GoodKernel", "ExitKernel"));
        guest = loader.load("good").newKernel(1).getClass().getClassLoader();
    }

    @Test
    @DisplayName("the guest loader is named after its image")
    void shouldNameTheLoaderAfterTheImage() {
        assertThat(guest).isInstanceOf(GuestClassLoader.class);
        assertThat(guest.getName()).isEqualTo("image:good");
    }

    @Test
    @DisplayName("guest code sees the host's hypercall-api: the same Cpu and GuestKernel classes")
    void shouldShareHypercallApiClassesWithTheHost() throws ClassNotFoundException {
        assertThat(guest.loadClass("org.parasol.hypercall.Cpu")).isSameAs(Cpu.class);
        assertThat(guest.loadClass("org.parasol.hypercall.GuestKernel")).isSameAs(GuestKernel.class);
        assertThat(guest.loadClass("java.util.List")).isSameAs(java.util.List.class);
    }

    @Test
    @DisplayName("the hypervisor is invisible to guests: org.parasol.hypervisor.hypercall.XenCompat is ClassNotFound")
    void shouldHideTheHypervisor() {
        assertThatThrownBy(() -> guest.loadClass("org.parasol.hypervisor.hypercall.XenCompat"))
                .isInstanceOf(ClassNotFoundException.class)
                .hasMessageContaining("org.parasol.hypervisor.hypercall.XenCompat");
        assertThatThrownBy(() -> Class.forName("org.parasol.hypervisor.image.ImageLoader", false, guest))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    @DisplayName("nothing on the host class path is visible to guests")
    void shouldHideTheHostClassPath() {
        assertThatThrownBy(() -> guest.loadClass("org.junit.jupiter.api.Test")).isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> guest.loadClass("org.assertj.core.api.Assertions"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    @DisplayName("image classes come from the image, not from the host's copy of the same name")
    void shouldDefineImageClassesItself() throws ClassNotFoundException {
        Class<?> k = guest.loadClass(GoodKernel.class.getName());

        assertThat(k).isNotSameAs(GoodKernel.class);
        assertThat(k.getClassLoader()).isSameAs(guest);
    }

    @Test
    @DisplayName("a class of the image the verifier never reached cannot be loaded")
    void shouldNotDefineUnverifiedClasses() {
        assertThatThrownBy(() -> guest.loadClass("org.parasol.imagefixtures.ExitKernel"))
                .isInstanceOf(ClassNotFoundException.class)
                .hasMessageContaining("not a verified class of image:good");
    }
}
