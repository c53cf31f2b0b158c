package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.GuestAbort;

/** {@code GuestMemory.readFile}/{@code writeFile}: a privileged domain's disk I/O straight into its frames. */
class VcpuMmuHostIoTest {
    static final int PAGE = 4096;
    private final TestHost host = new TestHost(32L << 20);
    private final TestHost.Domain d = host.domain(1, 2048);
    private final VcpuMmu mmu = d.mmu();
    private final long va = d.layout().freeVa();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        host.close();
    }

    /** The back end's file: the JDK's channel here, the hypervisor's host file in {@link VcpuMmuHostFileIoTest}. */
    FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @Test
    @DisplayName("an unprivileged domain cannot reach a host file")
    void shouldRefuseAnUnprivilegedDomain() throws IOException {
        try (FileChannel f = open(dir.resolve("disk"))) {
            assertThatThrownBy(() -> mmu.readFile(f, 0, va, PAGE)).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> mmu.writeFile(f, 0, va, PAGE)).isInstanceOf(UnsupportedOperationException.class);
            assertThat(f.size()).isZero();
        }
    }

    @Test
    @DisplayName("bytes written from guest memory land in the file at the position, and read back into other pages")
    void shouldWriteAndReadThroughTheFrames() throws IOException {
        d.context().hostIo = true;
        int length = 2 * PAGE + 100; // three pages touched, from an unaligned start
        long from = va + 37;
        for (int i = 0; i < length; i++) {
            mmu.putByte(from + i, (byte) (i * 31 + 7));
        }
        Path file = dir.resolve("disk");
        try (FileChannel f = open(file)) {
            assertThat(mmu.writeFile(f, 512, from, length)).isEqualTo(length);
            byte[] bytes = Files.readAllBytes(file);
            assertThat(bytes).hasSize(512 + length);
            for (int i = 0; i < length; i++) {
                assertThat(bytes[512 + i]).as("file byte %d", 512 + i).isEqualTo((byte) (i * 31 + 7));
            }
            long to = va + 4L * PAGE + 5;
            assertThat(mmu.readFile(f, 512, to, length)).isEqualTo(length);
            for (int i = 0; i < length; i++) {
                assertThat(mmu.getByte(to + i)).isEqualTo((byte) (i * 31 + 7));
            }
        }
    }

    @Test
    @DisplayName("a read stops at the end of the file and says how much it read")
    void shouldStopAtTheEndOfTheFile() throws IOException {
        d.context().hostIo = true;
        Path file = dir.resolve("disk");
        Files.write(file, new byte[] {1, 2, 3, 4, 5});
        mmu.fill(va, PAGE, (byte) 9);
        try (FileChannel f = open(file)) {
            assertThat(mmu.readFile(f, 2, va, PAGE)).isEqualTo(3);
            assertThat(mmu.readFile(f, 100, va, PAGE)).isZero();
        }
        assertThat(mmu.getByte(va)).isEqualTo((byte) 3);
        assertThat(mmu.getByte(va + 2)).isEqualTo((byte) 5);
        assertThat(mmu.getByte(va + 3)).as("untouched past the end").isEqualTo((byte) 9);
    }

    @Test
    @DisplayName("a read into a read-only page faults as a store would, and leaves the page alone")
    void shouldFaultOnAReadOnlyPage() throws IOException {
        d.context().hostIo = true;
        Path file = dir.resolve("disk");
        Files.write(file, new byte[PAGE]);
        long pageTable = d.layout().ptBaseVa();
        int before = mmu.getInt(pageTable);
        try (FileChannel f = open(file)) {
            assertThatThrownBy(() -> mmu.readFile(f, 0, pageTable, 8)).isInstanceOf(GuestAbort.class);
        }
        assertThat(d.context().faults).isNotEmpty();
        assertThat(mmu.getInt(pageTable)).isEqualTo(before);
    }

    @Test
    @DisplayName("only the JDK's own file channel is handed a buffer over machine memory")
    void shouldRefuseAForeignChannel() {
        d.context().hostIo = true;
        ByteBuffer[] kept = new ByteBuffer[1];
        FileChannel thief = new Thief(kept);
        assertThatThrownBy(() -> mmu.readFile(thief, 0, va, PAGE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a file channel of the JDK");
        assertThatThrownBy(() -> mmu.writeFile(thief, 0, va, PAGE)).isInstanceOf(IllegalArgumentException.class);
        assertThat(kept[0]).isNull();
    }

    @Test
    @DisplayName("a negative position or length is refused before any I/O")
    void shouldRefuseBadRanges() throws IOException {
        d.context().hostIo = true;
        try (FileChannel f = open(dir.resolve("disk"))) {
            assertThatThrownBy(() -> mmu.readFile(f, -1, va, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mmu.writeFile(f, 0, va, -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mmu.writeFile(f, Long.MAX_VALUE, va, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThat(f.size()).isZero();
        }
    }

    @Test
    @DisplayName("scattered pieces are read from, and gathered pieces written to, one stretch of the file in order")
    void shouldScatterAndGather() throws IOException {
        d.context().hostIo = true;
        long[] vas = {va + 3 * PAGE + 512, va + 100, va + 6 * PAGE};
        int[] lengths = {1024, 2 * PAGE, 512};
        int total = 1024 + 2 * PAGE + 512;
        int k = 0;
        for (int p = 0; p < 3; p++) {
            for (int i = 0; i < lengths[p]; i++) {
                mmu.putByte(vas[p] + i, (byte) (k++ * 13 + 1));
            }
        }
        Path file = dir.resolve("disk");
        try (FileChannel f = open(file)) {
            assertThat(mmu.writeFileGathered(f, 4096, vas, lengths, 3)).isEqualTo(total);
            byte[] bytes = Files.readAllBytes(file);
            for (int i = 0; i < total; i++) {
                assertThat(bytes[4096 + i]).as("file byte %d", 4096 + i).isEqualTo((byte) (i * 13 + 1));
            }
            for (int p = 0; p < 3; p++) {
                mmu.fill(vas[p], lengths[p], (byte) 0);
            }
            assertThat(mmu.readFileScattered(f, 4096, vas, lengths, 3)).isEqualTo(total);
            k = 0;
            for (int p = 0; p < 3; p++) {
                for (int i = 0; i < lengths[p]; i++) {
                    assertThat(mmu.getByte(vas[p] + i)).isEqualTo((byte) (k++ * 13 + 1));
                }
            }
            assertThat(mmu.readFileScattered(f, 4096 + total - 100, vas, lengths, 3)).as("short at the end").isEqualTo(100);
        }
    }

    @Test
    @DisplayName("the scattered forms keep the single forms' refusals")
    void shouldRefuseBadScatterArguments() throws IOException {
        try (FileChannel f = open(dir.resolve("disk"))) {
            assertThatThrownBy(() -> mmu.readFileScattered(f, 0, new long[] {va}, new int[] {1}, 1))
                    .isInstanceOf(UnsupportedOperationException.class);
            d.context().hostIo = true;
            assertThatThrownBy(() -> mmu.readFileScattered(f, 0, new long[] {va}, new int[] {1}, 2))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mmu.writeFileGathered(f, 0, new long[] {va}, new int[] {-1}, 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> mmu.readFileScattered(new Thief(new ByteBuffer[1]), 0, new long[] {va},
                    new int[] {1}, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(f.size()).isZero();
        }
    }

    /** A channel that would keep the buffer it is given. */
    private static final class Thief extends FileChannel {
        private final ByteBuffer[] kept;

        Thief(ByteBuffer[] kept) {
            this.kept = kept;
        }

        @Override public int read(ByteBuffer dst) { kept[0] = dst; return -1; }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) { return -1; }
        @Override public int write(ByteBuffer src) { kept[0] = src; return 0; }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) { return 0; }
        @Override public long position() { return 0; }
        @Override public FileChannel position(long newPosition) { return this; }
        @Override public long size() { return 0; }
        @Override public FileChannel truncate(long size) { return this; }
        @Override public void force(boolean metaData) { }
        @Override public long transferTo(long position, long count, WritableByteChannel target) { return 0; }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) { return 0; }
        @Override public int read(ByteBuffer dst, long position) { kept[0] = dst; return -1; }
        @Override public int write(ByteBuffer src, long position) { kept[0] = src; return src.remaining(); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) { throw new UnsupportedOperationException(); }
        @Override public FileLock lock(long position, long size, boolean shared) { throw new UnsupportedOperationException(); }
        @Override public FileLock tryLock(long position, long size, boolean shared) { throw new UnsupportedOperationException(); }
        @Override protected void implCloseChannel() { }
    }
}
