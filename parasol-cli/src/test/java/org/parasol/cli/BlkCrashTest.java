package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash consistency of the split block driver: what a guest was told is flushed is on the
 * image after the host process dies by SIGKILL.
 *
 * <p>{@value #ITERATIONS} times, {@code parasol run} starts in a fresh JVM ({@link LauncherJvm})
 * on a config whose one domain runs the {@code blkcrash} example (a 1 MiB disk of
 * {@value #BLOCKS} blocks of 4 KiB; each generation writes {@value #BATCH} self-describing
 * blocks, flushes, and only then prints {@code blkcrash: flushed generation G}). Once the
 * first such line of the run is read, the test waits a random 0..{@value #MAX_DELAY_MS} ms
 * and kills the JVM with SIGKILL ({@link Process#destroyForcibly}: exit status 137), waits
 * for it to die, and checks the image file itself with the checker below, written here
 * independently of the guest's code from the block format's definition.
 *
 * <p>The same image is used by every iteration: each run starts from what the last crash left
 * (the realistic case: a disk outlives the process), reads it back through blkfront, reports
 * what it found and carries on from the newest generation on it. The test checks that report
 * against its own reading of the file, so the read path is checked as well.
 *
 * <p>The invariant (see {@code BlkCrashKernel}): for each block {@code b}, {@code F(b)} is the
 * newest generation that wrote {@code b} among those a seen {@code flushed} line vouches for
 * (a run that started at {@code S} and printed {@code flushed generation G} flushed every
 * generation {@code S..G}, one after the other). The block on the image must be valid
 * (magic, its own position, checksum, payload) and name a generation {@code g >= F(b)} that
 * writes {@code b}; it may be empty only while no vouched-for generation wrote it. A later
 * generation is fine (its write reached the file before the kill, the flush line had not
 * been printed or read yet); an older one means an acknowledged flush lost data.
 *
 * <p>The seed of the kill delays and the per-run options (queues, persistent grants) is new
 * each run and printed; {@code -Dparasol.blkcrash.seed=N} repeats one.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BlkCrashTest {
    private static final int ITERATIONS = 20;
    private static final int BLOCKS = 256;
    private static final int BATCH = 8;
    private static final int MAX_DELAY_MS = 400;
    private static final int BLOCK_SIZE = 4096;
    private static final int WORDS = BLOCK_SIZE / 8;
    private static final long MAGIC = 0x0031485341524350L; // "PCRASH1\0"

    private static final Pattern RECOVERED = Pattern.compile(
            "^\\[crash\\] blkcrash: xvda: (\\d+) blocks of 4096 bytes; (\\d+) valid, (\\d+) empty, 0 damaged; "
                    + "newest generation (\\d+)$");
    private static final Pattern STARTING = Pattern.compile(
            "^\\[crash\\] blkcrash: starting at generation (\\d+), (\\d+) blocks a generation$");
    private static final Pattern FLUSHED = Pattern.compile("^\\[crash\\] blkcrash: flushed generation (\\d+)$");

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ the checker

    /** The payload word {@code i} of block {@code b} of generation {@code g}: splitmix64's finaliser. */
    private static long payload(long b, long g, int i) {
        long z = g * 0x9E3779B97F4A7C15L + b * 0xC2B2AE3D27D4EB4FL + i;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a over the 64-bit words, skipping word 3 (the checksum), folded to 64 bits. */
    private static long checksum(long[] w) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < WORDS; i++) {
            if (i != 3) {
                h = (h ^ w[i]) * 0x100000001B3L;
            }
        }
        return h ^ (h >>> 32);
    }

    /** The block {@code b} of generation {@code g} as its words. */
    private static long[] block(long b, long g) {
        long[] w = new long[WORDS];
        w[0] = MAGIC;
        w[1] = b;
        w[2] = g;
        for (int i = 4; i < WORDS; i++) {
            w[i] = payload(b, g, i);
        }
        w[3] = checksum(w);
        return w;
    }

    /** Whether generation {@code g} writes block {@code b}: {@code (b - g * BATCH) mod BLOCKS < BATCH}. */
    private static boolean writes(long g, long b) {
        return Math.floorMod(b - g * BATCH, (long) BLOCKS) < BATCH;
    }

    /** What the checker knows: for each block, the newest vouched-for generation that wrote it (0: none). */
    static final class Knowledge {
        final long[] flushed = new long[BLOCKS];
        /** The newest generation vouched for (0: none). */
        long last;

        /** A run that started at {@code start} printed {@code flushed generation last}: all of start..last are flushed. */
        void vouch(long start, long last) {
            for (long g = Math.max(start, last - BLOCKS); g <= last; g++) {
                long first = Math.floorMod(g * BATCH, (long) BLOCKS);
                for (int i = 0; i < BATCH; i++) {
                    flushed[(int) ((first + i) % BLOCKS)] = g;
                }
            }
            this.last = Math.max(this.last, last);
        }
    }

    /**
     * What the image holds, when it satisfies the invariant.
     *
     * @param afterLastFlush blocks of generations after the last one vouched for: writes that
     *     reached the file although no flush line said so
     */
    record Scan(int valid, int empty, long newest, int afterLastFlush) {
    }

    /**
     * Checks an image against what {@code known} says must be on it; throws an
     * {@link AssertionError} naming the first block that breaks the invariant.
     */
    static Scan check(byte[] image, Knowledge known) {
        assertThat(image.length).as("the image's size").isEqualTo(BLOCKS * BLOCK_SIZE);
        ByteBuffer buf = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int valid = 0;
        int empty = 0;
        int newer = 0;
        long newest = 0;
        long[] w = new long[WORDS];
        for (int b = 0; b < BLOCKS; b++) {
            boolean zero = true;
            for (int i = 0; i < WORDS; i++) {
                w[i] = buf.getLong(b * BLOCK_SIZE + i * 8);
                zero &= w[i] == 0;
            }
            long must = known.flushed[b];
            String where = "block " + b + " (flushed generation " + (must == 0 ? "none" : must) + " wrote it last)";
            if (zero) {
                if (must != 0) {
                    throw new AssertionError(where + " is empty: the flushed write is lost");
                }
                empty++;
                continue;
            }
            long g = w[2];
            if (w[0] != MAGIC || w[1] != b || g < 1) {
                throw new AssertionError(String.format("%s is damaged: magic %016x, says block %d, generation %d", where,
                        w[0], w[1], g));
            }
            if (w[3] != checksum(w)) {
                throw new AssertionError(String.format("%s (generation %d) has a bad checksum: %016x, the words say %016x",
                        where, g, w[3], checksum(w)));
            }
            long[] want = block(b, g);
            for (int i = 4; i < WORDS; i++) {
                if (w[i] != want[i]) {
                    throw new AssertionError(where + " (generation " + g + ") has a wrong payload at word " + i);
                }
            }
            if (!writes(g, b)) {
                throw new AssertionError(where + " holds generation " + g + ", which does not write this block");
            }
            if (g < must) {
                throw new AssertionError(where + " holds the older generation " + g + ": the flushed write is lost");
            }
            if (g > known.last) {
                newer++;
            }
            valid++;
            newest = Math.max(newest, g);
        }
        return new Scan(valid, empty, newest, newer);
    }

    // ------------------------------------------------------------------ the crash loop

    private Path config(int iteration, String cmdline) throws IOException {
        Path cfg = dir.resolve("crash-" + iteration + ".cfg");
        Files.writeString(cfg, "name = 'crash'\nkernel = 'blkcrash'\nmemory = 16\ncmdline = '" + cmdline + "'\n"
                + "disk = [ 'format=raw, vdev=xvda, access=rw, size=1M, target=crash.img' ]\n");
        return cfg;
    }

    @Test
    @DisplayName("20 SIGKILLs of the host at random moments of a write-flush workload: every flushed block is on the image")
    void shouldKeepEveryFlushedBlockAcrossSigkills() throws Exception {
        long seed = Long.getLong("parasol.blkcrash.seed", new Random().nextLong());
        Random random = new Random(seed);
        Path image = dir.resolve("crash.img");
        Knowledge known = new Knowledge();
        Scan before = new Scan(0, BLOCKS, 0, 0);
        long t0 = System.nanoTime();
        long generations = 0;
        int laterWrites = 0;
        List<String> summary = new ArrayList<>();
        for (int it = 0; it < ITERATIONS; it++) {
            int queues = 1 + random.nextInt(2);
            int persistent = random.nextInt(2);
            int delay = random.nextInt(MAX_DELAY_MS + 1);
            String cmdline = "batch=" + BATCH + " queues=" + queues + " persistent=" + persistent;
            String context = "seed " + seed + " (-Dparasol.blkcrash.seed=" + seed + "), iteration " + it + ", '"
                    + cmdline + "', killed " + delay + " ms after the first flushed line";
            Path cfg = config(it, cmdline);
            // C1 only: these runs last a second or two, and the machine may be small and busy.
            List<String> cmd = LauncherJvm.command(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), "run", "--timeout", "120", "--xenstored-socket",
                    dir.resolve("xs" + it).toString(), cfg.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            List<String> lines = new CopyOnWriteArrayList<>();
            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (lines.stream().noneMatch(l -> FLUSHED.matcher(l).matches()) && p.isAlive()
                        && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(lines).as(context + ": a flushed line before the kill; the run printed:\n"
                        + String.join("\n", lines)).anyMatch(l -> FLUSHED.matcher(l).matches());
                Thread.sleep(delay);
                p.destroyForcibly();
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as(context + ": the host died").isTrue();
                reader.join(10_000);
            } finally {
                p.destroyForcibly();
            }
            String out = String.join("\n", lines);
            assertThat(p.exitValue()).as(context + ": killed by SIGKILL (128 + 9), not ended on its own:\n" + out)
                    .isEqualTo(137);

            // What the run said: its reading of the disk (which must be this test's), where it
            // started, and the last flush it acknowledged.
            Matcher rec = first(lines, RECOVERED, context, out);
            assertThat(List.of(rec.group(1), rec.group(2), rec.group(3), rec.group(4))).as(context
                    + ": the guest's reading of the image at boot against this test's")
                    .isEqualTo(List.of(String.valueOf(BLOCKS), String.valueOf(before.valid()),
                            String.valueOf(before.empty()), String.valueOf(before.newest())));
            Matcher st = first(lines, STARTING, context, out);
            long start = Long.parseLong(st.group(1));
            assertThat(start).as(context + ": it goes on after the newest generation on the image")
                    .isEqualTo(before.newest() + 1);
            long expect = start;
            long last = 0;
            for (String l : lines) {
                Matcher m = FLUSHED.matcher(l);
                if (m.matches()) {
                    last = Long.parseLong(m.group(1));
                    assertThat(last).as(context + ": flushed lines in order").isEqualTo(expect);
                    expect++;
                }
            }

            known.vouch(start, last);
            try {
                before = check(Files.readAllBytes(image), known);
            } catch (AssertionError e) {
                throw new AssertionError(context + "; generations " + start + ".." + last + " vouched for: "
                        + e.getMessage() + "\nthe run printed:\n" + out, e);
            }
            generations += last - start + 1;
            if (before.afterLastFlush() > 0) {
                laterWrites++;
            }
            summary.add(String.format("  %2d: %s, killed %3d ms after the first flush line: flushed %d..%d; newest on the "
                    + "image %d, %d block(s) written after the last flush line", it, cmdline, delay, start, last,
                    before.newest(), before.afterLastFlush()));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        System.out.println("BlkCrashTest: seed " + seed + ": " + ITERATIONS + " SIGKILLs in " + seconds + " s, "
                + generations + " generations seen flushed; " + laterWrites + " runs left writes after their last flush line "
                + "on the image\n"
                + String.join("\n", summary));
        assertThat(before.valid() + before.empty()).isEqualTo(BLOCKS);
        assertThat(generations).as("every run flushed at least one generation").isGreaterThanOrEqualTo(ITERATIONS);
    }

    private static Matcher first(List<String> lines, Pattern p, String context, String out) {
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.matches()) {
                return m;
            }
        }
        throw new AssertionError(context + ": no line matching " + p + "; the run printed:\n" + out);
    }

    // ------------------------------------------------------------------ the checker can fail

    /** An image where generations 1..last have all been written, in order. */
    private static byte[] imageAfter(long last) {
        ByteBuffer buf = ByteBuffer.allocate(BLOCKS * BLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long g = 1; g <= last; g++) {
            put(buf, g);
        }
        return buf.array();
    }

    private static void put(ByteBuffer buf, long g) {
        long first = Math.floorMod(g * BATCH, (long) BLOCKS);
        for (int i = 0; i < BATCH; i++) {
            int b = (int) ((first + i) % BLOCKS);
            put(buf, b, block(b, g));
        }
    }

    private static void put(ByteBuffer buf, int b, long[] w) {
        for (int i = 0; i < WORDS; i++) {
            buf.putLong(b * BLOCK_SIZE + i * 8, w[i]);
        }
    }

    @Test
    @DisplayName("the checker accepts the flushed state and later writes, and refuses lost, stale, torn or misplaced blocks")
    void shouldRefuseWhatBreaksTheInvariant() {
        Knowledge known = new Knowledge();
        known.vouch(1, 40); // generations 1..40 flushed: 320 block writes over 256 blocks, every block written
        byte[] flushed = imageAfter(40);
        assertThat(check(flushed, known)).isEqualTo(new Scan(BLOCKS, 0, 40, 0));

        // Part of generation 41 landed before the kill: later than flushed, accepted.
        byte[] later = flushed.clone();
        long first41 = Math.floorMod(41L * BATCH, (long) BLOCKS);
        put(ByteBuffer.wrap(later).order(ByteOrder.LITTLE_ENDIAN), (int) first41, block(first41, 41));
        assertThat(check(later, known)).isEqualTo(new Scan(BLOCKS, 0, 41, 1));

        // A block of generation 40 holding what generation 8 wrote there (the disk wraps every 32
        // generations): the flushed write of generation 40 is lost.
        byte[] stale = flushed.clone();
        ByteBuffer s = ByteBuffer.wrap(stale).order(ByteOrder.LITTLE_ENDIAN);
        long gOld = 40 - BLOCKS / BATCH; // generation 8 wrote the same blocks as generation 40
        long b40 = Math.floorMod(40L * BATCH, (long) BLOCKS);
        put(s, (int) b40, block(b40, gOld));
        assertThatThrownBy(() -> check(stale, known)).hasMessageContaining("block " + b40)
                .hasMessageContaining("older generation " + gOld);

        byte[] lost = flushed.clone();
        put(ByteBuffer.wrap(lost).order(ByteOrder.LITTLE_ENDIAN), 17, new long[WORDS]);
        assertThatThrownBy(() -> check(lost, known)).hasMessageContaining("block 17").hasMessageContaining("is empty");

        byte[] torn = flushed.clone();
        torn[5 * BLOCK_SIZE + 2000] ^= 1;
        assertThatThrownBy(() -> check(torn, known)).hasMessageContaining("block 5").hasMessageContaining("bad checksum");

        byte[] misplaced = flushed.clone();
        System.arraycopy(flushed, 3 * BLOCK_SIZE, misplaced, 4 * BLOCK_SIZE, BLOCK_SIZE);
        assertThatThrownBy(() -> check(misplaced, known)).hasMessageContaining("block 4").hasMessageContaining("says block 3");

        byte[] foreign = flushed.clone();
        put(ByteBuffer.wrap(foreign).order(ByteOrder.LITTLE_ENDIAN), 9, block(9, 40));
        assertThatThrownBy(() -> check(foreign, known)).hasMessageContaining("block 9")
                .hasMessageContaining("does not write this block");

        // Before any flush, an empty block is fine.
        assertThat(check(new byte[BLOCKS * BLOCK_SIZE], new Knowledge())).isEqualTo(new Scan(0, BLOCKS, 0, 0));
    }
}
