package org.parasol.hypervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.parasol.hypercall.abi.Gtf;
import org.parasol.hypervisor.mm.HostFileChannel;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * A batch of random reads and writes through {@code GuestMemory.grantIoBatch} on a host file
 * (its io_uring, its waves, its short reads at the end of the file) leaves the file and the
 * granted frames exactly as the same requests done one after the other with plain positional
 * reads and writes of a model would: file ranges overlap at random (a write and anything over
 * the same bytes must come out in order); each request's pieces are sector-aligned parts of
 * frames of its own. Bounded: at most 8 requests of at most 4 pieces, a 16-page file, 60 tries.
 */
class GrantIoBatchProperty {
    private static final int PAGE = 4096;
    private static final int SECTOR = 512;
    private static final int FILE_PAGES = 16;
    private static final int MAX_REQUESTS = 8;
    private static final int MAX_PIECES = 4;
    private static final int FRAMES = MAX_REQUESTS * MAX_PIECES;

    private static final LeakCheck LEAKS = new LeakCheck();
    private static Hypervisor hv;
    private static BareGuest front;
    private static BareGuest back;
    private static GrantFrame table;
    private static final long[] VA = new long[FRAMES];
    private static Path dir;

    @BeforeContainer
    static void boot() throws Exception {
        GrantPair pair = GrantPair.boot(LEAKS);
        hv = pair.hv;
        front = pair.front;
        back = pair.back;
        table = pair.table;
        for (int k = 0; k < FRAMES; k++) {
            VA[k] = pair.va(k);
            table.grant(k + 1, back.domain.domid(), pair.mfn(k), Gtf.PERMIT_ACCESS);
        }
        dir = Files.createTempDirectory("grant-io-batch");
    }

    @AfterContainer
    static void close() throws IOException {
        assertThat(hv.unhandledExceptions()).isZero();
        hv.close();
        LEAKS.verify();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** A piece: its first sector in its frame and its length in sectors. */
    record Piece(int firstSector, int sectors) {
    }

    /** A request: a write or a read, at a sector of the file, of its pieces. */
    record Request(boolean write, int sector, List<Piece> pieces) {
        int bytes() {
            return pieces.stream().mapToInt(p -> p.sectors * SECTOR).sum();
        }
    }

    @Provide
    Arbitrary<List<Request>> batches() {
        Arbitrary<Piece> piece = Arbitraries.integers().between(0, 7)
                .flatMap(first -> Arbitraries.integers().between(1, 8 - first).map(n -> new Piece(first, n)));
        // Positions up to the end of the file: reads may run past it (short), writes may grow it.
        Arbitrary<Request> request = Combinators.combine(Arbitraries.of(true, false),
                Arbitraries.integers().between(0, FILE_PAGES * PAGE / SECTOR - 1),
                piece.list().ofMinSize(1).ofMaxSize(MAX_PIECES)).as(Request::new);
        return request.list().ofMinSize(1).ofMaxSize(MAX_REQUESTS);
    }

    @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
    @Label("a batch of random reads and writes leaves the file and the frames as the same requests in order would")
    void batchIsAsSequential(@ForAll("batches") List<Request> batch, @ForAll long seed) throws IOException {
        Random rnd = new Random(seed);
        byte[] file = new byte[FILE_PAGES * PAGE];
        rnd.nextBytes(file);
        byte[][] frames = new byte[FRAMES][PAGE];
        for (int k = 0; k < FRAMES; k++) {
            rnd.nextBytes(frames[k]);
            for (int i = 0; i < PAGE; i += 8) {
                front.mem.putLong(VA[k] + i, java.nio.ByteBuffer.wrap(frames[k], i, 8)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
            }
        }
        Path p = dir.resolve("img");
        Files.write(p, file);

        int n = batch.size();
        boolean[] writes = new boolean[n];
        long[] positions = new long[n];
        int[] ends = new int[n];
        int[] refs = new int[FRAMES];
        int[] offsets = new int[FRAMES];
        int[] lengths = new int[FRAMES];
        int pieces = 0;
        for (int r = 0; r < n; r++) {
            Request q = batch.get(r);
            writes[r] = q.write;
            positions[r] = (long) q.sector * SECTOR;
            for (int j = 0; j < q.pieces.size(); j++) {
                refs[pieces] = r * MAX_PIECES + j + 1; // frame r * MAX_PIECES + j: the request's own
                offsets[pieces] = q.pieces.get(j).firstSector * SECTOR;
                lengths[pieces] = q.pieces.get(j).sectors * SECTOR;
                pieces++;
            }
            ends[r] = pieces;
        }
        long[] results = new long[n];
        try (FileChannel f = back.mem.openHostFile(p, true)) {
            assertThat(f).isInstanceOf(HostFileChannel.class);
            back.mem.grantIoBatch(f, front.domain.domid(), n, writes, positions, ends, refs, offsets, lengths, results);
        }

        // The model: each request in order, with plain positional reads and writes of arrays.
        byte[] model = file;
        long[] expected = new long[n];
        for (int r = 0; r < n; r++) {
            Request q = batch.get(r);
            long at = positions[r];
            if (q.write) {
                if (at + q.bytes() > model.length) {
                    model = java.util.Arrays.copyOf(model, (int) (at + q.bytes()));
                }
            }
            long moved = 0;
            for (int j = 0; j < q.pieces.size(); j++) {
                byte[] frame = frames[r * MAX_PIECES + j];
                int off = q.pieces.get(j).firstSector * SECTOR;
                int len = q.pieces.get(j).sectors * SECTOR;
                for (int i = 0; i < len; i++) {
                    long fileAt = at + moved + i;
                    if (q.write) {
                        model[(int) fileAt] = frame[off + i];
                    } else if (fileAt < model.length) {
                        frame[off + i] = model[(int) fileAt];
                    }
                }
                moved += len;
            }
            expected[r] = q.write ? q.bytes() : Math.max(0, Math.min(q.bytes(), model.length - at));
        }

        assertThat(results).as("bytes moved per request").containsExactly(expected);
        assertThat(Files.readAllBytes(p)).as("the file").isEqualTo(model);
        for (int k = 0; k < FRAMES; k++) {
            for (int i = 0; i < PAGE; i += 8) {
                long want = java.nio.ByteBuffer.wrap(frames[k], i, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                if (front.mem.getLong(VA[k] + i) != want) {
                    assertThat(front.mem.getLong(VA[k] + i)).as("frame %d at %d", k, i).isEqualTo(want);
                }
            }
        }
        for (int ref = 1; ref <= FRAMES; ref++) {
            assertThat(front.domain.grants().pinOf(ref)).as("pin of ref %d", ref).isZero();
        }
    }
}
