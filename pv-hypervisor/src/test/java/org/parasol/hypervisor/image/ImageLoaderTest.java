package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.GuestKernel;

class ImageLoaderTest {
    @TempDir
    static Path dir;
    private static ImageLoader loader;

    @BeforeAll
    static void writeImages() throws IOException {
        loader = new ImageLoader(TestImages.repository(dir, false, "GoodKernel", "MutableStaticKernel", "ExitKernel",
                "FileKernel", "NotAKernel", "NoDefaultConstructorKernel"));
        TestImages.writeDescriptor(dir, "dom0file", "kernel=org.parasol.imagefixtures.FileKernel",
                "classpath=lib/fixtures.jar", "privileged=true");
        TestImages.writeDescriptor(dir, "missing", "kernel=org.parasol.imagefixtures.Nowhere",
                "classpath=lib/fixtures.jar");
    }

    @Test
    @DisplayName("an image without mutable static state gets one class loader shared by all its domains")
    void shouldShareOneLoaderForImmutableImages() {
        KernelImage image = loader.load("good");

        GuestKernel a = image.newKernel(1);
        GuestKernel b = image.newKernel(2);

        assertThat(image.sharesLoader()).isTrue();
        assertThat(image.loaderPolicy()).contains("shared by all its domains");
        assertThat(a).isNotSameAs(b);
        assertThat(a.getClass()).isSameAs(b.getClass());
        assertThat(loader.load("good")).isSameAs(image);
    }

    @Test
    @DisplayName("an image with mutable static state gets a class loader per domain, so statics are per domain")
    void shouldGiveEachDomainItsOwnLoaderForMutableImages() throws ReflectiveOperationException {
        KernelImage image = loader.load("mutablestatic");

        GuestKernel a = image.newKernel(3);
        GuestKernel b = image.newKernel(4);

        assertThat(image.sharesLoader()).isFalse();
        assertThat(image.loaderPolicy()).contains("one class loader per domain").contains("field instances (I): is not final");
        assertThat(a.getClass()).isNotSameAs(b.getClass());
        assertThat(a.getClass().getClassLoader().getName()).isEqualTo("image:mutablestatic/dom3");
        assertThat(b.getClass().getClassLoader().getName()).isEqualTo("image:mutablestatic/dom4");
        Method serial = a.getClass().getMethod("serial");
        assertThat(serial.invoke(a)).isEqualTo(1);
        assertThat(b.getClass().getMethod("serial").invoke(b)).isEqualTo(1);
    }

    @Test
    @DisplayName("a refused image names the class, the method and the rule")
    void shouldRefuseAnImageBreakingARule() {
        assertThatThrownBy(() -> loader.load("exit"))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("image 'exit' refused")
                .hasMessageContaining("class org.parasol.imagefixtures.ExitKernel, "
                        + "method boot(Lorg/parasol/hypercall/Cpu;J)V: rule 'no JVM exit, Runtime or processes': "
                        + "calls java/lang/System.exit(I)V");
        assertThatThrownBy(() -> loader.load("file"))
                .isInstanceOf(ImageRefusedException.class)
                .hasMessageContaining("rule 'no host files': calls java/io/FileInputStream.<init>");
    }

    @Test
    @DisplayName("a privileged image may read host files")
    void shouldAcceptAPrivilegedImageUsingFiles() {
        KernelImage image = loader.load("dom0file");

        assertThat(image.descriptor().privileged()).isTrue();
        assertThat(image.newKernel(0).getClass().getName()).isEqualTo("org.parasol.imagefixtures.FileKernel");
    }

    @Test
    @DisplayName("the kernel class must exist, implement GuestKernel and have a public no-argument constructor")
    void shouldExplainUnusableKernelClasses() {
        assertThatThrownBy(() -> loader.load("missing"))
                .isInstanceOf(ImageException.class).hasMessageContaining("kernel class org.parasol.imagefixtures.Nowhere is not in its class path");
        assertThatThrownBy(() -> loader.load("nota"))
                .isInstanceOf(ImageException.class).hasMessageContaining("does not implement org.parasol.hypercall.GuestKernel");
        assertThatThrownBy(() -> loader.load("nodefaultconstructor"))
                .isInstanceOf(ImageException.class).hasMessageContaining("has no public no-argument constructor");
    }

    @Test
    @DisplayName("rough cost of a kernel instance: shared loader versus a fresh per-domain loader")
    void shouldReportTheCostOfPerDomainLoaders() {
        KernelImage shared = loader.load("good");
        KernelImage perDomain = loader.load("mutablestatic");
        int rounds = 2_000;
        for (int i = 0; i < 200; i++) {
            shared.newKernel(i);
            perDomain.newKernel(i);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            shared.newKernel(i);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            perDomain.newKernel(i);
        }
        long t2 = System.nanoTime();
        System.out.printf("[image cost] shared loader: %.2f us/kernel; per-domain loader: %.2f us/kernel (%d rounds)%n",
                (t1 - t0) / 1e3 / rounds, (t2 - t1) / 1e3 / rounds, rounds);
        assertThat(perDomain.newKernel(rounds).getClass()).isNotSameAs(perDomain.newKernel(rounds + 1).getClass());
    }
}
