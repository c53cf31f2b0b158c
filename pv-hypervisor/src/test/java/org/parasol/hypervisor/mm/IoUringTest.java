package org.parasol.hypervisor.mm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hypervisor's io_uring ({@link IoUring}) and the batch call of a host file
 * ({@link HostFileChannel#vectors}) on a real file: several vector reads and writes submitted at
 * once and all completed by one call, short reads at the end of the file, errors per request,
 * and the fallback to one system call per request where io_uring cannot be set up.
 */
class IoUringTest {
    private static final int PAGE = 4096;
    private static final int EBADF = 9;
    private static final int EFAULT = 14;

    @TempDir
    Path dir;
    private Arena arena;
    private MemorySegment memory;
    private MemorySegment iov;
    private MemorySegment errno;
    private MemorySegment arg;

    @BeforeEach
    void setUp() {
        assertThat(IoUring.supported()).as("Linux with native access").isTrue();
        arena = Arena.ofShared();
        memory = arena.allocate(16L * PAGE, PAGE);
        iov = arena.allocate(64L * HostFileChannel.IOVEC_BYTES, 8);
        errno = HostFileChannel.errnoCapture(arena);
        arg = arena.allocate(IoUring.GETEVENTS_ARG_BYTES, 8);
    }

    @AfterEach
    void tearDown() {
        IoUring.failSetupForTests = 0;
        if (arena != null) {
            arena.close();
        }
    }

    private Path file(int bytes) throws IOException {
        Path p = dir.resolve("img");
        byte[] content = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            content[i] = fileByte(i);
        }
        Files.write(p, content);
        return p;
    }

    private static byte fileByte(long at) {
        return (byte) (at * 31 + 7);
    }

    private void setIov(int i, long offsetInMemory, long length) {
        iov.set(ValueLayout.JAVA_LONG, (long) i * HostFileChannel.IOVEC_BYTES, memory.address() + offsetInMemory);
        iov.set(ValueLayout.JAVA_LONG, (long) i * HostFileChannel.IOVEC_BYTES + 8, length);
    }

    /** A ring of 8 entries; fails the test (never skips it) where the host refuses io_uring. */
    private static IoUring ring() {
        try {
            return IoUring.open(8);
        } catch (IOException e) {
            throw new AssertionError("io_uring on this host: " + e.getMessage(), e);
        }
    }

    @Test
    @DisplayName("eight scattering reads go to the kernel at once and each completion carries its own tag and byte count")
    void shouldCompleteEveryReadOfOneSubmission() throws IOException {
        Path p = file(64 * 1024);
        try (HostFileChannel f = (HostFileChannel) HostFileChannel.open(p, false); IoUring ring = ring()) {
            assertThat(ring.entries()).isEqualTo(8);
            for (int k = 0; k < 8; k++) {
                // Request k: 1 KiB at file offset 7000 * k, split over two iovecs in page k.
                setIov(2 * k, (long) k * PAGE, 300);
                setIov(2 * k + 1, (long) k * PAGE + 300, 724);
                ring.prepareVector(IoUring.OP_READV, f.descriptor(), iov.address() + 2L * k * HostFileChannel.IOVEC_BYTES,
                        2, 7000L * k, 7 - k, 0);
            }
            assertThat(ring.prepared()).isEqualTo(8);
            int[] res = new int[8];
            assertThat(ring.submitAndWait(res, arg, errno)).isEqualTo(8);
            assertThat(res).containsOnly(1024);
            for (int k = 0; k < 8; k++) {
                for (int i = 0; i < 1024; i++) {
                    assertThat(memory.get(ValueLayout.JAVA_BYTE, (long) k * PAGE + i)).as("request %d byte %d", k, i)
                            .isEqualTo(fileByte(7000L * k + i));
                }
            }
            // The ring is reusable: a second round on the same slots.
            setIov(0, 0, PAGE);
            ring.prepareVector(IoUring.OP_READV, f.descriptor(), iov.address(), 1, 60 * 1024, 0, IoUring.SQE_ASYNC);
            assertThat(ring.submitAndWait(res, arg, errno)).isEqualTo(1);
            assertThat(res[0]).isEqualTo(PAGE);
            assertThat(memory.get(ValueLayout.JAVA_BYTE, 5)).isEqualTo(fileByte(60 * 1024 + 5));
        }
    }

    @Test
    @DisplayName("a bad descriptor and a buffer outside the process fail their own requests (-EBADF, -EFAULT), the others complete;"
            + " a read at the end of the file is short")
    void shouldFailOnlyTheBadRequestsOfASubmission() throws IOException {
        Path p = file(3 * PAGE);
        try (HostFileChannel f = (HostFileChannel) HostFileChannel.open(p, true); IoUring ring = ring()) {
            for (int i = 0; i < PAGE; i++) {
                memory.set(ValueLayout.JAVA_BYTE, 4L * PAGE + i, (byte) 0x5a);
            }
            setIov(0, 0, PAGE);
            ring.prepareVector(IoUring.OP_READV, f.descriptor(), iov.address(), 1, 0, 0, 0);
            ring.prepareVector(IoUring.OP_READV, -1, iov.address(), 1, 0, 1, 0);
            iov.set(ValueLayout.JAVA_LONG, 2L * HostFileChannel.IOVEC_BYTES, 0x1000L); // nothing is mapped there
            iov.set(ValueLayout.JAVA_LONG, 2L * HostFileChannel.IOVEC_BYTES + 8, PAGE);
            ring.prepareVector(IoUring.OP_READV, f.descriptor(), iov.address() + 2L * HostFileChannel.IOVEC_BYTES, 1,
                    0, 2, 0);
            setIov(3, PAGE, 2 * PAGE);
            ring.prepareVector(IoUring.OP_READV, f.descriptor(), iov.address() + 3L * HostFileChannel.IOVEC_BYTES, 1,
                    2 * PAGE + 100, 3, 0);
            setIov(4, 4L * PAGE, PAGE);
            ring.prepareVector(IoUring.OP_WRITEV, f.descriptor(), iov.address() + 4L * HostFileChannel.IOVEC_BYTES, 1,
                    PAGE, 4, 0);
            int[] res = new int[5];
            assertThat(ring.submitAndWait(res, arg, errno)).isEqualTo(5);
            assertThat(res).containsExactly(PAGE, -EBADF, -EFAULT, PAGE - 100, PAGE);
        }
        byte[] after = Files.readAllBytes(p);
        assertThat(after[PAGE]).isEqualTo((byte) 0x5a);
        assertThat(after[2 * PAGE - 1]).isEqualTo((byte) 0x5a);
        assertThat(after[2 * PAGE]).isEqualTo(fileByte(2 * PAGE));
    }

    @Test
    @DisplayName("more SQEs than slots are refused before anything is written; io_uring_setup refuses a size that is not a power of two")
    void shouldBoundTheSubmission() throws IOException {
        try (IoUring ring = ring()) {
            for (int k = 0; k < 8; k++) {
                ring.prepareVector(IoUring.OP_READV, -1, iov.address(), 1, 0, k, 0);
            }
            assertThatThrownBy(() -> ring.prepareVector(IoUring.OP_READV, -1, iov.address(), 1, 0, 8, 0))
                    .isInstanceOf(IllegalStateException.class);
            int[] res = new int[8];
            assertThat(ring.submitAndWait(res, arg, errno)).isEqualTo(8);
            assertThat(res).containsOnly(-EBADF);
        }
        assertThatThrownBy(() -> IoUring.open(6)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A batch of five: reads (one short at the end of the file) and writes, through the file's own ring. */
    private void batchOfFive(HostFileChannel f, int expectedThroughRing) throws IOException {
        for (int i = 0; i < 2 * PAGE; i++) {
            memory.set(ValueLayout.JAVA_BYTE, 8L * PAGE + i, (byte) (i ^ 0x33));
        }
        // 0: read 2 pieces at 100; 1: read 1 page at 3 pages; 2: write 2 pages at 5 pages;
        // 3: read 1 page at 2 pages; 4: read 1 page at 8 pages - 10 (10 bytes before the end).
        setIov(0, 0, 512);
        setIov(1, PAGE, 1536);
        setIov(2, 2L * PAGE, PAGE);
        setIov(3, 8L * PAGE, 2 * PAGE);
        setIov(4, 3L * PAGE, PAGE);
        setIov(5, 4L * PAGE, PAGE);
        int[] firsts = {0, 2, 3, 4, 5};
        int[] counts = {2, 1, 1, 1, 1};
        long[] totals = {2048, PAGE, 2 * PAGE, PAGE, PAGE};
        long[] positions = {100, 3 * PAGE, 5 * PAGE, 2 * PAGE, 8 * PAGE - 10};
        boolean[] writes = {false, false, true, false, false};
        long[] results = new long[5];
        assertThat(f.vectors(iov, firsts, counts, totals, positions, writes, 5, results, errno, arg))
                .as("requests through io_uring").isEqualTo(expectedThroughRing);
        assertThat(results).containsExactly(2048, PAGE, 2 * PAGE, PAGE, 10);
        for (int i = 0; i < 512; i++) {
            assertThat(memory.get(ValueLayout.JAVA_BYTE, i)).isEqualTo(fileByte(100 + i));
        }
        for (int i = 0; i < 1536; i++) {
            assertThat(memory.get(ValueLayout.JAVA_BYTE, PAGE + i)).isEqualTo(fileByte(612 + i));
        }
        assertThat(memory.get(ValueLayout.JAVA_BYTE, 2L * PAGE + 17)).isEqualTo(fileByte(3 * PAGE + 17));
        assertThat(memory.get(ValueLayout.JAVA_BYTE, 3L * PAGE + 17)).isEqualTo(fileByte(2 * PAGE + 17));
        assertThat(memory.get(ValueLayout.JAVA_BYTE, 4L * PAGE + 9)).isEqualTo(fileByte(8 * PAGE - 1));
        byte[] img = Files.readAllBytes(dir.resolve("img"));
        for (int i = 0; i < 2 * PAGE; i++) {
            assertThat(img[5 * PAGE + i]).as("written byte %d", i).isEqualTo((byte) (i ^ 0x33));
        }
    }

    @Test
    @DisplayName("a host file's batch goes through its own io_uring, made at the first batch and closed with the descriptor")
    void shouldBatchThroughTheFilesRing() throws IOException {
        file(8 * PAGE);
        HostFileChannel f = (HostFileChannel) HostFileChannel.open(dir.resolve("img"), true);
        assertThat(f.hasRing()).isFalse();
        long before = openFiles();
        batchOfFive(f, HostFileChannel.URING && HostFileChannel.URING_MIN <= 5 ? 5 : 0);
        assertThat(f.hasRing()).isEqualTo(HostFileChannel.URING);
        assertThat(openFiles()).as("the ring's descriptor").isEqualTo(before + (HostFileChannel.URING ? 1 : 0));
        long[] one = new long[1];
        setIov(0, 0, PAGE);
        assertThat(f.vectors(iov, new int[] {0}, new int[] {1}, new long[] {PAGE}, new long[] {0},
                new boolean[] {false}, 1, one, errno, arg)).as("one request alone: one preadv").isZero();
        assertThat(one[0]).isEqualTo(PAGE);
        f.close();
        assertThat(openFiles()).as("the descriptor, the JDK channel's and the ring's are closed")
                .isEqualTo(before - 2);
        assertThatThrownBy(() -> f.vectors(iov, new int[] {0}, new int[] {1}, new long[] {PAGE}, new long[] {0},
                new boolean[] {false}, 1, one, errno, arg)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    @DisplayName("where io_uring_setup fails (EPERM, as a container's seccomp answers) the batch goes one preadv/pwritev per request,"
            + " with the same results")
    void shouldFallBackWhenSetupFails() throws IOException {
        file(8 * PAGE);
        IoUring.failSetupForTests = 1; // EPERM
        try (HostFileChannel f = (HostFileChannel) HostFileChannel.open(dir.resolve("img"), true)) {
            batchOfFive(f, 0);
            assertThat(f.hasRing()).isFalse();
            batchOfFive(f, 0); // and again: the setup is not retried for this file
        }
        assertThatThrownBy(() -> IoUring.open(8)).isInstanceOf(IOException.class).hasMessageContaining("errno 1");
    }

    @Test
    @DisplayName("a read-only file refuses a batch with a write before anything moves")
    void shouldRefuseWritesOfAReadOnlyFile() throws IOException {
        file(2 * PAGE);
        try (HostFileChannel f = (HostFileChannel) HostFileChannel.open(dir.resolve("img"), false)) {
            setIov(0, 0, PAGE);
            setIov(1, PAGE, PAGE);
            memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x11);
            long[] results = new long[2];
            assertThatThrownBy(() -> f.vectors(iov, new int[] {0, 1}, new int[] {1, 1}, new long[] {PAGE, PAGE},
                    new long[] {0, PAGE}, new boolean[] {false, true}, 2, results, errno, arg))
                    .isInstanceOf(NonWritableChannelException.class);
            assertThat(memory.get(ValueLayout.JAVA_BYTE, 0)).as("the read did not run either").isEqualTo((byte) 0x11);
        }
    }

    private static long openFiles() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count() - 1; // the listing's own descriptor
        }
    }
}
