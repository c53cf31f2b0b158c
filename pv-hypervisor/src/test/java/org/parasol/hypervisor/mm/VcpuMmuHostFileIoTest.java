package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every case of {@link VcpuMmuHostIoTest} again on a host file the hypervisor opened
 * ({@link HostFileChannel}): {@code readFile}/{@code writeFile} and their scattering forms move
 * the bytes with {@code preadv}/{@code pwritev} on the hypervisor's own descriptor.
 */
class VcpuMmuHostFileIoTest extends VcpuMmuHostIoTest {
    @Override
    FileChannel open(Path file) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
        FileChannel f = HostFileChannel.open(file, true);
        assertThat(f).as("a host file channel on this host").isInstanceOf(HostFileChannel.class);
        return f;
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.DisplayName("closing the channel closes the hypervisor's descriptor, and the host's count of open files falls back")
    void shouldCloseTheDescriptorWithTheChannel() throws IOException {
        Path file = dir.resolve("disk");
        Files.write(file, new byte[PAGE]);
        long before = openFiles();
        HostFileChannel f = (HostFileChannel) HostFileChannel.open(file, false);
        assertThat(f.descriptorOpen()).isTrue();
        assertThat(openFiles()).as("the descriptor and the JDK channel's").isEqualTo(before + 2);
        f.close();
        assertThat(f.descriptorOpen()).isFalse();
        assertThat(openFiles()).isEqualTo(before);
        f.close(); // again: nothing closed twice
        assertThat(openFiles()).isEqualTo(before);
    }

    private static long openFiles() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count() - 1; // the listing's own descriptor
        }
    }
}
