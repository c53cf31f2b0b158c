package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypervisor.mm.HostFileChannel;
import org.parasol.hypervisor.mm.IoUringTesting;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Grant I/O of a batch ({@code GuestMemory.grantIoBatch}): the requests a back end took in one
 * run, each checked and pinned on its own and moved together on the hypervisor's descriptor
 * (through its io_uring where the host has one), every pin dropped when the call returns. A bad
 * grant in one request fails that request only.
 */
class GrantIoBatchTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    static final int PAGE = GrantPair.PAGE;
    static final int PAGES = 8;

    @TempDir
    Path dir;

    /** The host and its two domains; the tests grant the front end's pages {@code pair.va(0..PAGES-1)} as refs 1..PAGES. */
    private GrantPair pair;

    @BeforeEach
    void boot() throws Exception {
        pair = GrantPair.boot(leaks);
    }

    @AfterEach
    void close() {
        IoUringTesting.failSetup(0);
        assertThat(pair.hv.unhandledExceptions()).isZero();
        pair.hv.close();
    }

    private Path image(int bytes) throws IOException {
        return GrantPair.image(dir.resolve("disk"), bytes);
    }

    private static byte fileByte(long at) {
        return GrantPair.fileByte(at);
    }

    private FileChannel hostFile(Path p) throws IOException {
        FileChannel f = pair.back.mem.openHostFile(p, true);
        assertThat(f).isInstanceOf(HostFileChannel.class);
        return f;
    }

    private long grantOps() {
        return pair.back.domain.vcpu(0).hypercallCounts()[Hypercall.GRANT_TABLE_OP];
    }

    private void fillPage(int k, int seed) {
        for (int i = 0; i < PAGE; i++) {
            pair.front.mem.putByte(pair.va(k) + i, (byte) (i * seed + k));
        }
    }

    private void assertNothingPinned() {
        for (int ref = 1; ref <= PAGES + 2; ref++) {
            assertThat(pair.front.domain.grants().pinOf(ref)).as("pin of ref %d", ref).isZero();
            assertThat(pair.table.flags(ref) & (Gtf.READING | Gtf.WRITING)).as("busy bits of ref %d", ref).isZero();
        }
    }

    private void grantAll(int flags) {
        for (int k = 0; k < PAGES; k++) {
            pair.table.grant(k + 1, pair.backId, pair.mfn(k), flags);
        }
    }

    /** Reads (one short at the end of the file) and a write, in one batch: each request's bytes, one grant op counted. */
    private void readsAndAWrite(FileChannel f) throws IOException {
        grantAll(Gtf.PERMIT_ACCESS);
        fillPage(2, 3);
        long ops = grantOps();
        long[] results = new long[4];
        // 0: read 3584 + 512 bytes at 100 into ref 1 (from 512) and ref 2; 1: write ref 3 at 5 pages;
        // 2: read ref 4 at 2 pages; 3: read ref 5 at 8 pages - 10: 10 bytes, then the end of the file.
        pair.back.mem.grantIoBatch(f, pair.frontId, 4, new boolean[] {false, true, false, false},
                new long[] {100, 5 * PAGE, 2 * PAGE, 8 * PAGE - 10}, new int[] {2, 3, 4, 5},
                new int[] {1, 2, 3, 4, 5}, new int[] {512, 0, 0, 0, 0}, new int[] {PAGE - 512, 512, PAGE, PAGE, PAGE},
                results);
        assertThat(results).containsExactly(PAGE, PAGE, PAGE, 10);
        assertThat(grantOps()).as("one grant-table op for the batch").isEqualTo(ops + 1);
        for (int i = 0; i < PAGE - 512; i++) {
            assertThat(pair.front.mem.getByte(pair.va(0) + 512 + i)).isEqualTo(fileByte(100 + i));
        }
        for (int i = 0; i < 512; i++) {
            assertThat(pair.front.mem.getByte(pair.va(1) + i)).isEqualTo(fileByte(100 + PAGE - 512 + i));
        }
        for (int i = 0; i < PAGE; i++) {
            assertThat(pair.front.mem.getByte(pair.va(3) + i)).isEqualTo(fileByte(2 * PAGE + i));
        }
        assertThat(pair.front.mem.getByte(pair.va(4) + 9)).isEqualTo(fileByte(8 * PAGE - 1));
        byte[] img = Files.readAllBytes(dir.resolve("disk"));
        for (int i = 0; i < PAGE; i++) {
            assertThat(img[5 * PAGE + i]).as("written byte %d", i).isEqualTo((byte) (i * 3 + 2));
        }
        assertNothingPinned();
    }

    @Test
    @DisplayName("a batch of reads and a write moves each request's bytes, says how much each moved (short at the end of the file),"
            + " counts one grant-table op and leaves no pin")
    void shouldMoveABatch() throws IOException {
        try (FileChannel f = hostFile(image(8 * PAGE))) {
            readsAndAWrite(f);
        }
    }

    @Test
    @DisplayName("a bad grant in request 5 fails request 5 only: never granted, someone else's, read-only to read into,"
            + " a piece past its page, beyond the table each fail their own request")
    void shouldFailOnlyTheRequestWithABadGrant() throws IOException {
        grantAll(Gtf.PERMIT_ACCESS);
        pair.table.grant(3, pair.backId, pair.mfn(2), Gtf.PERMIT_ACCESS | Gtf.READONLY);
        pair.table.grant(6, 0x55, pair.mfn(5), Gtf.PERMIT_ACCESS);
        for (int k = 0; k < PAGES; k++) {
            fillPage(k, 0);
            for (int i = 0; i < PAGE; i++) {
                pair.front.mem.putByte(pair.va(k) + i, (byte) 0x77);
            }
        }
        int n = 8;
        boolean[] writes = new boolean[n];
        long[] pos = new long[n];
        int[] ends = new int[n];
        int[] refs = {1, 2, 3, 4, 9, 6, 7, 8};
        int[] offs = {0, 0, 0, 0, 0, 0, 4000, 0};
        int[] lens = {PAGE, PAGE, PAGE, PAGE, PAGE, PAGE, 200, PAGE};
        for (int r = 0; r < n; r++) {
            pos[r] = (long) r * PAGE;
            ends[r] = r + 1;
        }
        refs[7] = 512;
        long[] results = new long[n];
        try (FileChannel f = hostFile(image(16 * PAGE))) {
            pair.back.mem.grantIoBatch(f, pair.frontId, n, writes, pos, ends, refs, offs, lens, results);
        }
        assertThat(results).containsExactly(PAGE, PAGE, Gntst.GENERAL_ERROR, PAGE, Gntst.GENERAL_ERROR,
                Gntst.GENERAL_ERROR, Gntst.BAD_COPY_ARG, Gntst.BAD_GNTREF);
        for (int k : new int[] {0, 1, 3}) {
            assertThat(pair.front.mem.getByte(pair.va(k) + 7)).as("page %d", k).isEqualTo(fileByte((long) k * PAGE + 7));
        }
        for (int k : new int[] {2, 4, 5, 6, 7}) {
            assertThat(pair.front.mem.getByte(pair.va(k) + 7)).as("page %d untouched", k).isEqualTo((byte) 0x77);
        }
        assertNothingPinned();
        assertThat(pair.table.flags(3)).isEqualTo(Gtf.PERMIT_ACCESS | Gtf.READONLY);
    }

    @Test
    @DisplayName("an unknown granter fails every request of the batch, with no pin taken")
    void shouldFailEveryRequestOfAnUnknownDomain() throws IOException {
        grantAll(Gtf.PERMIT_ACCESS);
        long[] results = new long[2];
        try (FileChannel f = hostFile(image(4 * PAGE))) {
            pair.back.mem.grantIoBatch(f, 0x1234, 2, new boolean[2], new long[] {0, PAGE}, new int[] {1, 2},
                    new int[] {1, 2}, new int[2], new int[] {PAGE, PAGE}, results);
        }
        assertThat(results).containsOnly(Gntst.BAD_DOMAIN);
        assertNothingPinned();
    }

    @Test
    @DisplayName("requests of one batch whose file ranges overlap a write take effect in order: a read after a write sees it,"
            + " the later of two writes wins")
    void shouldOrderOverlappingRequests() throws IOException {
        grantAll(Gtf.PERMIT_ACCESS);
        fillPage(0, 5);
        fillPage(1, 9);
        long[] results = new long[4];
        try (FileChannel f = hostFile(image(8 * PAGE))) {
            // 0: write ref 1 at 1 page; 1: read 1 page at 1 page + 1000 into ref 3; 2: write ref 2 at 1 page + 2048;
            // 3: read 2 pages at 1 page into refs 4 and 5.
            pair.back.mem.grantIoBatch(f, pair.frontId, 4, new boolean[] {true, false, true, false},
                    new long[] {PAGE, PAGE + 1000, PAGE + 2048, PAGE}, new int[] {1, 2, 3, 5},
                    new int[] {1, 3, 2, 4, 5}, new int[5], new int[] {PAGE, PAGE, PAGE, PAGE, PAGE}, results);
        }
        assertThat(results).containsExactly(PAGE, PAGE, PAGE, 2 * PAGE);
        // Request 1 read [PAGE + 1000, 2 PAGE + 1000) after request 0 wrote [PAGE, 2 PAGE), before request 2.
        for (int i = 0; i < PAGE - 1000; i++) {
            assertThat(pair.front.mem.getByte(pair.va(2) + i)).isEqualTo((byte) ((1000 + i) * 5));
        }
        for (int i = PAGE - 1000; i < PAGE; i++) {
            assertThat(pair.front.mem.getByte(pair.va(2) + i)).isEqualTo(fileByte(2 * PAGE + i - (PAGE - 1000)));
        }
        // Request 3 read after both writes.
        for (int i = 0; i < 2048; i++) {
            assertThat(pair.front.mem.getByte(pair.va(3) + i)).isEqualTo((byte) (i * 5));
        }
        for (int i = 2048; i < PAGE; i++) {
            assertThat(pair.front.mem.getByte(pair.va(3) + i)).isEqualTo((byte) ((i - 2048) * 9 + 1));
        }
        for (int i = 0; i < 2048; i++) {
            assertThat(pair.front.mem.getByte(pair.va(4) + i)).isEqualTo((byte) ((2048 + i) * 9 + 1));
        }
        assertThat(pair.front.mem.getByte(pair.va(4) + 2048)).isEqualTo(fileByte(2 * PAGE + 2048));
        assertNothingPinned();
    }

    @Test
    @DisplayName("where io_uring cannot be set up (EPERM) the batch goes one system call per request, with the same results")
    void shouldFallBackToOneCallPerRequest() throws IOException {
        IoUringTesting.failSetup(1);
        try (FileChannel f = hostFile(image(8 * PAGE))) {
            readsAndAWrite(f);
            assertThat(IoUringTesting.hasRing((HostFileChannel) f)).isFalse();
        }
    }

    @Test
    @DisplayName("on a JDK channel (a host without the hypervisor's descriptor) each request is moved in order, the same way")
    void shouldMoveABatchOnAJdkChannel() throws IOException {
        try (FileChannel f = FileChannel.open(image(8 * PAGE), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            readsAndAWrite(f);
        }
    }

    @Test
    @DisplayName("an unprivileged caller, malformed shapes and a closed file are refused, with no pin left")
    void shouldRefuseMalformedBatches() throws IOException {
        grantAll(Gtf.PERMIT_ACCESS);
        long[] results = new long[GuestMemory.GRANT_IO_BATCH + 1];
        FileChannel f = hostFile(image(4 * PAGE));
        assertThatThrownBy(() -> pair.front.mem.grantIoBatch(f, pair.frontId, 1, new boolean[1], new long[1], new int[] {1},
                new int[] {1}, new int[1], new int[] {PAGE}, results)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, GuestMemory.GRANT_IO_BATCH + 1,
                new boolean[65], new long[65], new int[65], new int[1], new int[1], new int[1], results))
                .as("more requests than a batch takes").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, 2, new boolean[2], new long[2], new int[] {2, 1},
                new int[] {1, 2}, new int[2], new int[] {PAGE, PAGE}, results))
                .as("piece ends out of order").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, 1, new boolean[1], new long[1], new int[] {257},
                new int[257], new int[257], new int[257], results))
                .as("a request of 257 pieces").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, 1, new boolean[1], new long[1],
                new int[] {GuestMemory.GRANT_IO_BATCH_PIECES + 1}, new int[2000], new int[2000], new int[2000], results))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, 1, new boolean[1], new long[] {-1}, new int[] {1},
                new int[] {1}, new int[1], new int[] {PAGE}, results)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, 2, new boolean[2], new long[2], new int[] {1, 2},
                new int[] {1}, new int[2], new int[] {PAGE, PAGE}, results))
                .as("pieces beyond the arrays").isInstanceOf(IllegalArgumentException.class);
        f.close();
        assertThatThrownBy(() -> pair.back.mem.grantIoBatch(f, pair.frontId, 2, new boolean[2], new long[] {0, PAGE},
                new int[] {1, 2}, new int[] {1, 2}, new int[2], new int[] {PAGE, PAGE}, results))
                .isInstanceOf(ClosedChannelException.class);
        assertNothingPinned();
    }
}
