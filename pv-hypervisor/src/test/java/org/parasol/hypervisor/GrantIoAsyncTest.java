package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.Hypercall;
import org.parasol.hypercall.abi.Gntst;
import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.mm.HostFileChannel;
import org.parasol.hypervisor.mm.IoUringTesting;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * Asynchronous grant I/O ({@code GuestMemory.grantIoSubmit}, {@code grantIoReap},
 * {@code grantIoCancel}): the hypervisor's in-flight table holds every request's pins until the
 * kernel is done with it. A named pipe stands in for a slow disk: a read of it stays in flight
 * until the test writes to the pipe, so each rule is checked with I/O really in flight.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrantIoAsyncTest {
    @RegisterExtension
    final LeakCheck leaks = new LeakCheck();
    static final int PAGE = GrantPair.PAGE;
    static final int PAGES = 8;
    static final long ECANCELED_RESULT = GuestMemory.GRANT_IO_HOST_ERROR - 125;

    @TempDir
    Path dir;

    /** The host and its two domains; the tests grant the front end's pages {@code pair.va(0..PAGES-1)} as refs 1..PAGES. */
    private GrantPair pair;
    private final long[] tags = new long[GuestMemory.GRANT_IO_IN_FLIGHT];
    private final long[] results = new long[GuestMemory.GRANT_IO_IN_FLIGHT];

    @BeforeEach
    void boot() throws Exception {
        assertThat(HostFileChannel.uringEnabled()).as("io_uring on this host").isTrue();
        pair = GrantPair.boot(leaks);
        for (int k = 0; k < PAGES; k++) {
            pair.table.grant(k + 1, pair.backId, pair.mfn(k), Gtf.PERMIT_ACCESS);
        }
    }

    @AfterEach
    void close() {
        IoUringTesting.failSetup(0);
        if (pair != null) {
            assertThat(pair.hv.unhandledExceptions()).isZero();
            pair.hv.close();
        }
    }

    private Path image(int bytes) throws IOException {
        return GrantPair.image(dir.resolve("disk"), bytes);
    }

    /** A named pipe opened read-write by the hypervisor: a read of it waits for the test's write. */
    private FileChannel pipe() throws Exception {
        Path p = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
        assertThat(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0).as("mkfifo").isTrue();
        FileChannel f = pair.back.mem.openHostFile(p, true);
        assertThat(f).isInstanceOf(HostFileChannel.class);
        return f;
    }

    /** Feeds {@code bytes} into the pipe through a JDK channel of the test's own. */
    private void feed(int bytes) throws IOException {
        try (FileChannel w = FileChannel.open(dir.resolve("pipe"), StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(bytes);
            while (b.hasRemaining()) {
                w.write(b);
            }
        }
    }

    private long submitRead(FileChannel f, int ref, long position, long tag) throws IOException {
        return pair.back.mem.grantIoSubmit(f, pair.frontId, false, position, new int[] {ref}, new int[] {0}, new int[] {PAGE}, 1,
                tag);
    }

    /** Reaps, waiting, until {@code n} completions are in or 10 s passed; how many. */
    private int reapAll(int n) throws IOException {
        int got = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got < n && System.nanoTime() < deadline) {
            got += pair.back.mem.grantIoReap(tags, results, Math.min(tags.length, n - got) , true);
            if (got > 0 && got < n) {
                // keep what came: shift not needed for these tests' single-digit counts
                System.arraycopy(tags, 0, tags, 0, got);
            }
        }
        return got;
    }

    @Test
    @DisplayName("submitted reads land in the granted frames; the reap hands back each tag with its bytes, pins dropped")
    void shouldReadAsynchronouslyAndReapEachTag() throws IOException {
        try (FileChannel f = pair.back.mem.openHostFile(image(4 * PAGE), false)) {
            long ops = pair.back.domain.vcpu(0).hypercallCounts()[Hypercall.GRANT_TABLE_OP];
            assertThat(submitRead(f, 1, 0, 101)).isZero();
            assertThat(submitRead(f, 2, 3 * PAGE, 102)).isZero();
            assertThat(pair.back.domain.vcpu(0).hypercallCounts()[Hypercall.GRANT_TABLE_OP]).isEqualTo(ops + 2);
            int got = 0;
            long[] t = new long[2];
            long[] r = new long[2];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got < 2 && System.nanoTime() < deadline) {
                int n = pair.back.mem.grantIoReap(tags, results, 2 - got, true);
                for (int i = 0; i < n; i++) {
                    t[got] = tags[i];
                    r[got++] = results[i];
                }
            }
            assertThat(t).containsExactlyInAnyOrder(101, 102);
            assertThat(r).containsExactly(PAGE, PAGE);
            for (int i = 0; i < PAGE; i++) {
                assertThat(pair.front.mem.getByte(pair.va(0) + i)).isEqualTo((byte) (i * 13 + 5));
                assertThat(pair.front.mem.getByte(pair.va(1) + i)).isEqualTo((byte) ((3 * PAGE + i) * 13 + 5));
            }
            assertThat(pair.back.mem.grantIoInFlight()).isZero();
            assertThat(pair.front.domain.grants().pinOf(1)).isZero();
            assertThat(pair.table.flags(1) & (Gtf.READING | Gtf.WRITING)).isZero();
        }
    }

    @Test
    @DisplayName("Xen refuses ending a grant in use: while the kernel has the I/O the grant is pinned and busy; after the reap it can end")
    void shouldKeepTheGrantBusyWhileInFlight() throws Exception {
        try (FileChannel f = pipe()) {
            assertThat(submitRead(f, 3, 0, 7)).isZero();
            assertThat(pair.back.mem.grantIoReap(tags, results, 1, false)).as("nothing complete yet").isZero();
            assertThat(pair.front.domain.grants().pinOf(3)).as("the hypervisor's pin").isNotZero();
            int h = pair.table.header(3);
            assertThat(h & Gtf.WRITING).as("GTF_writing while in flight: an end of access is refused").isNotZero();
            feed(PAGE);
            assertThat(reapAll(1)).isEqualTo(1);
            assertThat(tags[0]).isEqualTo(7);
            assertThat(results[0]).isEqualTo(PAGE);
            assertThat(pair.front.domain.grants().pinOf(3)).isZero();
            assertThat(pair.table.header(3) & (Gtf.READING | Gtf.WRITING)).as("the end of access may now go").isZero();
        }
    }

    @Test
    @DisplayName("the in-flight table is bounded: a full one answers GRANT_IO_BUSY and takes no pin")
    void shouldAnswerBusyWhenTheTableIsFull() throws Exception {
        try (FileChannel f = pipe()) {
            for (int i = 0; i < GuestMemory.GRANT_IO_IN_FLIGHT; i++) {
                assertThat(submitRead(f, 1 + i % PAGES, 0, i)).as("request %d", i).isZero();
            }
            assertThat(pair.back.mem.grantIoInFlight()).isEqualTo(GuestMemory.GRANT_IO_IN_FLIGHT);
            long pin = pair.front.domain.grants().pinOf(4);
            assertThat(submitRead(f, 4, 0, 99)).isEqualTo(GuestMemory.GRANT_IO_BUSY);
            assertThat(pair.front.domain.grants().pinOf(4)).as("no pin for the refused one").isEqualTo(pin);
            assertThat(pair.back.mem.grantIoCancel(f)).as("all cancelled within the bound").isZero();
            int got = pair.back.mem.grantIoReap(tags, results, tags.length, false);
            assertThat(got).isEqualTo(GuestMemory.GRANT_IO_IN_FLIGHT);
            assertThat(results).containsOnly(ECANCELED_RESULT);
            for (int ref = 1; ref <= PAGES; ref++) {
                assertThat(pair.front.domain.grants().pinOf(ref)).isZero();
            }
        }
    }

    @Test
    @DisplayName("a domain reaps only what it submitted: another privileged domain finds nothing, the submitter its own tag")
    void shouldReapOnlyWhatItSubmitted() throws Exception {
        BareGuest other = BareGuest.create(pair.hv, new DomainConfig("other", 1024, 1024, 1, null, "", false, null, null,
                null).withPrivileged(true));
        try (FileChannel f = pair.back.mem.openHostFile(image(PAGE), false)) {
            assertThat(submitRead(f, 1, 0, 555)).isZero();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < deadline) {
                assertThat(other.mem.grantIoReap(tags, results, tags.length, true)).isZero();
                if (other.mem.grantIoInFlight() == 0 && System.nanoTime() > deadline - TimeUnit.SECONDS.toNanos(1)) {
                    break;
                }
            }
            assertThat(other.mem.grantIoInFlight()).isZero();
            assertThat(reapAll(1)).isEqualTo(1);
            assertThat(tags[0]).isEqualTo(555);
            assertThat(results[0]).isEqualTo(PAGE);
        }
    }

    @Test
    @DisplayName("a granter that dies with I/O in flight: its frames are not freed until the kernel is done and the completion is taken")
    void shouldKeepADeadGrantersFramesUntilTheKernelIsDone() throws Exception {
        long free0 = pair.hv.frames().freeFrames();
        try (FileChannel f = pipe()) {
            assertThat(submitRead(f, 5, 0, 1)).isZero();
            assertThat(pair.hv.destroy(pair.front.domain)).isTrue();
            assertThat(pair.hv.frames().refCount(pair.mfn(4))).as("the in-flight frame, pinned").isNotZero();
            feed(PAGE);
            assertThat(reapAll(1)).isEqualTo(1);
            assertThat(results[0]).isEqualTo(PAGE);
            assertThat(pair.hv.frames().refCount(pair.mfn(4))).as("freed once the kernel is done").isZero();
            assertThat(pair.hv.frames().ownedBy(pair.frontId)).isZero();
            assertThat(pair.hv.frames().freeFrames()).isGreaterThan(free0);
        }
    }

    @Test
    @DisplayName("a back end closing its device with I/O in flight: cancelled, waited for, pins dropped, the file closes")
    void shouldCancelAndWaitWhenTheBackEndCloses() throws Exception {
        FileChannel f = pipe();
        assertThat(submitRead(f, 6, 0, 61)).isZero();
        assertThat(submitRead(f, 7, 0, 62)).isZero();
        assertThat(pair.back.mem.grantIoCancel(f)).isZero();
        f.close();
        assertThat(pair.front.domain.grants().pinOf(6)).isZero();
        assertThat(pair.front.domain.grants().pinOf(7)).isZero();
        assertThat(pair.back.mem.grantIoReap(tags, results, tags.length, false)).isEqualTo(2);
        assertThat(results[0]).isEqualTo(ECANCELED_RESULT);
        assertThat(results[1]).isEqualTo(ECANCELED_RESULT);
        assertThat(pair.back.mem.grantIoInFlight()).isZero();
    }

    @Test
    @DisplayName("bad pieces are refused at submission with their GNTST code; no io_uring: GRANT_IO_BUSY, the synchronous path")
    void shouldRefuseBadPiecesAndFallBackWithoutARing() throws Exception {
        try (FileChannel f = pair.back.mem.openHostFile(image(PAGE), false)) {
            assertThat(pair.back.mem.grantIoSubmit(f, pair.frontId, false, 0, new int[] {1}, new int[] {100},
                    new int[] {PAGE}, 1, 0)).isEqualTo(Gntst.BAD_COPY_ARG);
            assertThat(pair.back.mem.grantIoSubmit(f, pair.frontId, false, 0, new int[] {4000}, new int[] {0},
                    new int[] {PAGE}, 1, 0)).isEqualTo(Gntst.BAD_GNTREF);
            assertThat(pair.back.mem.grantIoSubmit(f, 999, false, 0, new int[] {1}, new int[] {0},
                    new int[] {PAGE}, 1, 0)).isEqualTo(Gntst.BAD_DOMAIN);
            assertThat(pair.back.mem.grantIoInFlight()).isZero();
        }
        IoUringTesting.failSetup(1);
        BareGuest fresh = BareGuest.create(pair.hv, new DomainConfig("fresh", 1024, 1024, 1, null, "", false, null, null,
                null).withPrivileged(true));
        pair.table.grant(8, fresh.domain.domid(), pair.mfn(7), Gtf.PERMIT_ACCESS);
        try (FileChannel f = fresh.mem.openHostFile(image(PAGE), false)) {
            assertThat(fresh.mem.grantIoSubmit(f, pair.frontId, false, 0, new int[] {8}, new int[] {0},
                    new int[] {PAGE}, 1, 0)).isEqualTo(GuestMemory.GRANT_IO_BUSY);
            assertThat(pair.front.domain.grants().pinOf(8)).isZero();
        }
    }
}
