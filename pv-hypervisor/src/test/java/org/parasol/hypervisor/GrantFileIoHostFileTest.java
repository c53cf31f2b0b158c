package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypervisor.mm.HostFileChannel;

/**
 * Every grant I/O case of {@link GrantFileIoTest} again on a host file the hypervisor opened
 * ({@code GuestMemory.openHostFile}), which grant I/O serves with {@code preadv}/{@code pwritev}
 * on the hypervisor's own descriptor; and what is particular to such a file.
 */
class GrantFileIoHostFileTest extends GrantFileIoTest {
    @Override
    FileChannel open(BareGuest back, Path p) throws IOException {
        FileChannel f = back.mem.openHostFile(p, true);
        assertThat(f).as("a host file channel on this host").isInstanceOf(HostFileChannel.class);
        return f;
    }

    private Path disk(int bytes) throws IOException {
        Path p = dir.resolve("disk2");
        byte[] content = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            content[i] = (byte) (i * 7 + 1);
        }
        Files.write(p, content);
        return p;
    }

    @Test
    @DisplayName("a host file is refused to an unprivileged domain, and a missing one fails with the path")
    void shouldOpenHostFilesForPrivilegedDomainsOnly() throws IOException {
        Path p = disk(PAGE);
        assertThatThrownBy(() -> front.mem.openHostFile(p, false)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> back.mem.openHostFile(dir.resolve("missing"), true)).isInstanceOf(IOException.class)
                .hasMessageContaining("missing");
    }

    @Test
    @DisplayName("the channel is the same file: its size, its reads, a write through grant I/O seen by the channel, force")
    void shouldBeTheSameFileAsItsChannel() throws IOException {
        Path p = disk(2 * PAGE);
        try (FileChannel f = back.mem.openHostFile(p, true)) {
            assertThat(f.size()).isEqualTo(2 * PAGE);
            for (int i = 0; i < PAGE; i++) {
                front.mem.putByte(page1 + i, (byte) (i ^ 0x5a));
            }
            table.grant(9, backId, mfn1, Gtf.PERMIT_ACCESS | Gtf.READONLY);
            assertThat(back.mem.writeFileFromGrants(f, PAGE, frontId, new int[] {9}, new int[] {0},
                    new int[] {PAGE}, 1)).isEqualTo(PAGE);
            f.force(true);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(PAGE);
            assertThat(f.read(b, PAGE)).isEqualTo(PAGE);
            for (int i = 0; i < PAGE; i++) {
                assertThat(b.get(i)).as("byte %d", i).isEqualTo((byte) (i ^ 0x5a));
            }
        }
        assertThat(Files.readAllBytes(p)[PAGE + 1]).isEqualTo((byte) (1 ^ 0x5a));
    }

    @Test
    @DisplayName("a read-only host file refuses grant I/O writes and force still works; a closed one refuses every raw call")
    void shouldRefuseWritesToReadOnlyAndAnyCallAfterClose() throws IOException {
        Path p = disk(PAGE);
        table.grant(9, backId, mfn1, Gtf.PERMIT_ACCESS);
        FileChannel f = back.mem.openHostFile(p, false);
        assertThatThrownBy(() -> back.mem.writeFileFromGrants(f, 0, frontId, new int[] {9}, new int[] {0},
                new int[] {PAGE}, 1)).isInstanceOf(java.nio.channels.NonWritableChannelException.class);
        assertThat(front.domain.grants().pinOf(9)).as("no pin left by the refused write").isZero();
        f.force(false);
        f.close();
        assertThatThrownBy(() -> back.mem.readFileToGrants(f, 0, frontId, new int[] {9}, new int[] {0},
                new int[] {PAGE}, 1)).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> f.force(true)).isInstanceOf(ClosedChannelException.class);
        assertThat(front.domain.grants().pinOf(9)).as("no pin left by the refused read").isZero();
    }
}
