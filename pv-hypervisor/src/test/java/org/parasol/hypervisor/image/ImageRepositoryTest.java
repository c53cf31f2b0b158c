package org.parasol.hypervisor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageRepositoryTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("an unknown image name lists the known images")
    void shouldListKnownImagesForAnUnknownName() throws IOException {
        ImageRepository repo = TestImages.repository(dir, false, "GoodKernel", "ExitKernel");

        assertThat(repo.names()).containsExactly("exit", "good");
        assertThatThrownBy(() -> repo.find("nope"))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("unknown image 'nope'").hasMessageContaining("known images: exit, good");
    }

    @Test
    @DisplayName("a descriptor reads kernel, class path (lib/* expands to every jar), privilege and description")
    void shouldReadADescriptor() throws IOException {
        ImageRepository repo = TestImages.repository(dir, true, "GoodKernel");
        Files.write(dir.resolve("lib/other.jar"), new byte[0]);

        ImageDescriptor d = repo.find("good");

        assertThat(d.name()).isEqualTo("good");
        assertThat(d.kernelClass()).isEqualTo("org.parasol.imagefixtures.GoodKernel");
        assertThat(d.classpath()).containsExactly(dir.resolve("lib/fixtures.jar").toAbsolutePath().normalize(),
                dir.resolve("lib/other.jar").toAbsolutePath().normalize());
        assertThat(d.privileged()).isTrue();
        assertThat(d.description()).isEqualTo("fixture GoodKernel");
    }

    @Test
    @DisplayName("a missing jar, a bad key, a bad flag and a missing kernel line are explained")
    void shouldExplainMalformedDescriptors() throws IOException {
        TestImages.writeDescriptor(dir, "nojar", "kernel=a.B", "classpath=lib/absent.jar");
        TestImages.writeDescriptor(dir, "badkey", "kernel=a.B", "classpath=.", "colour=red");
        TestImages.writeDescriptor(dir, "badflag", "kernel=a.B", "classpath=.", "privileged=yes");
        TestImages.writeDescriptor(dir, "nokernel", "classpath=.");
        TestImages.writeDescriptor(dir, "nolib", "kernel=a.B", "classpath=lib/*");
        ImageRepository repo = new ImageRepository(dir);

        assertThatThrownBy(() -> repo.find("nojar")).isInstanceOf(ImageException.class)
                .hasMessageContaining("classpath entry lib/absent.jar").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> repo.find("badkey")).hasMessageContaining("unknown key 'colour'");
        assertThatThrownBy(() -> repo.find("badflag")).hasMessageContaining("privileged=yes must be true or false");
        assertThatThrownBy(() -> repo.find("nokernel")).hasMessageContaining("missing key 'kernel'");
        assertThatThrownBy(() -> repo.find("nolib")).hasMessageContaining("lib/*").hasMessageContaining("does not exist");
        assertThatThrownBy(() -> repo.find("../etc/passwd")).hasMessageContaining("is not an image name");
    }

    @Test
    @DisplayName("the default images folder is found by walking up from the working directory")
    void shouldFindTheImagesFolderUpwards() throws IOException {
        Path images = Files.createDirectories(dir.resolve("examples/target/images"));
        Path deep = Files.createDirectories(dir.resolve("parasol-cli/src"));

        assertThat(ImageRepository.findUpwards(deep, ImageRepository.DEFAULT_RELATIVE)).contains(images);
    }

    @Test
    @DisplayName("several folders are searched in order: the first holding <name>.image provides it; names are their union")
    void shouldSearchSeveralFoldersInOrder() throws IOException {
        Path first = Files.createDirectories(dir.resolve("first"));
        Path second = Files.createDirectories(dir.resolve("second"));
        TestImages.repository(first, true, "GoodKernel");
        TestImages.repository(second, false, "GoodKernel", "ExitKernel");
        ImageRepository repo = new ImageRepository(List.of(first, second, dir.resolve("absent")));

        assertThat(repo.names()).containsExactly("exit", "good");
        assertThat(repo.find("good").source()).isEqualTo(first.resolve("good.image").toAbsolutePath().normalize());
        assertThat(repo.find("good").privileged()).isTrue();
        assertThat(repo.find("exit").source().getParent()).isEqualTo(second.toAbsolutePath().normalize());
        assertThatThrownBy(() -> repo.find("nope")).isInstanceOf(ImageException.class)
                .hasMessageContaining("unknown image 'nope' in " + first.toAbsolutePath().normalize() + " or "
                        + second.toAbsolutePath().normalize())
                .hasMessageContaining("known images: exit, good");
    }

    @Test
    @DisplayName("standardAfter searches the given folders first, then the default one, then dom0's (the toolstack's)")
    void shouldPutTheDefaultFolderAndTheToolstacksLast() {
        ImageRepository repo = ImageRepository.standardAfter(List.of(dir));

        assertThat(repo.directories()).containsExactly(dir.toAbsolutePath().normalize(),
                ImageRepository.defaultDirectory().toAbsolutePath().normalize(),
                ImageRepository.toolstackDirectory().toAbsolutePath().normalize());
        assertThat(ImageRepository.toolstackDirectory()).endsWithRaw(Path.of("pv-toolstack", "target", "images"));
    }
}
