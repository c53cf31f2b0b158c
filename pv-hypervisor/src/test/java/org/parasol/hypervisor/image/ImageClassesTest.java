package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading an image is bounded: the limits of {@link ImageLimits} refuse zip bombs and floods by name. */
class ImageClassesTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a jar entry that decompresses past MAX_ENTRY_BYTES is refused, whatever its header says (a zip bomb)")
    void shouldRefuseAZipBomb() throws IOException {
        Path jar = dir.resolve("bomb.jar");
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            out.putNextEntry(new JarEntry("a/Bomb.class"));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i <= ImageLimits.MAX_ENTRY_BYTES / zeros.length; i++) {
                out.write(zeros);
            }
            out.closeEntry();
        }

        assertThat(Files.size(jar)).isLessThan(ImageLimits.MAX_ENTRY_BYTES / 100);
        assertThatThrownBy(() -> ImageClasses.read(List.of(jar)))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("image entry a/Bomb.class in " + jar)
                .hasMessageContaining("larger than MAX_ENTRY_BYTES (" + ImageLimits.MAX_ENTRY_BYTES + " bytes)");
    }

    @Test
    @DisplayName("a jar with more than MAX_ENTRIES entries is refused")
    void shouldRefuseTooManyEntries() throws IOException {
        Path jar = dir.resolve("flood.jar");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(jar));
             JarOutputStream out = new JarOutputStream(os)) {
            for (int i = 0; i <= ImageLimits.MAX_ENTRIES; i++) {
                out.putNextEntry(new JarEntry("d" + i + "/"));
                out.closeEntry();
            }
        }

        assertThatThrownBy(() -> ImageClasses.read(List.of(jar)))
                .isInstanceOf(ImageException.class)
                .hasMessage(jar + " has more than MAX_ENTRIES (" + ImageLimits.MAX_ENTRIES + ") entries");
    }

    @Test
    @DisplayName("an image of more than MAX_CLASSES classes is refused by the verifier ('within the verifier's limits')")
    void shouldRefuseTooManyClasses() {
        Map<String, byte[]> classes = new HashMap<>();
        for (int i = 0; i <= ImageLimits.MAX_CLASSES; i++) {
            classes.put("flood.C" + i, new byte[0]);
        }

        BytecodeVerifier.Result r = BytecodeVerifier.verify(ImageClasses.of(classes), "flood.C0", false);

        assertThat(r.violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(GuestApiRule.WITHIN_LIMITS);
            assertThat(v.detail()).isEqualTo((ImageLimits.MAX_CLASSES + 1) + " classes, more than MAX_CLASSES ("
                    + ImageLimits.MAX_CLASSES + ")");
        });
        assertThat(r.work()).isZero();
    }

    @Test
    @DisplayName("only classes outside the host's packages are the image's: the verifier's and the loaders' one predicate")
    void shouldCountOnlyClassesOutsideHostPackagesAsTheImages() {
        ImageClasses image = ImageClasses.of(Map.of("a.B", new byte[1], "java.lang.Fake", new byte[2],
                "org.parasol.hypercall.Cpu", new byte[3], "org.parasol.hypervisor.mm.VcpuMmu", new byte[4],
                "org.parasol.cli.Main", new byte[5], "org.parasol.toolstack.Dom0", new byte[6]));

        assertThat(image.classNames()).filteredOn(image::isImageClass).containsExactlyInAnyOrder("a.B", "org.parasol.toolstack.Dom0");
        assertThat(image.totalBytes()).isEqualTo(21);
    }
}
