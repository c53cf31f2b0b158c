package org.parasol.examples.blkcrash;

import org.parasol.drivers.blk.BlkFront;
import org.parasol.drivers.blk.Vbd;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Mmu;

/**
 * blkcrash: a write-flush workload for crash tests. The disk is cut into {@code N} blocks of
 * 4 KiB ({@link BlkCrashBlock}: each names its position and the generation that wrote it,
 * and carries a checksum); generation {@code g} writes the {@code B} blocks
 * {@code (g * B + i) mod N}, {@code 0 <= i < B}, all at once, waits for every write, flushes,
 * and only once the flush has completed prints
 * <pre>
 *  blkcrash: flushed generation g
 * </pre>
 * then starts generation {@code g + 1}. Nothing of {@code g + 1} is written before the line
 * for {@code g} is printed.
 *
 * <p>At boot it first reads the whole disk back and classifies every block (empty: all
 * zeroes; valid; damaged: anything else), prints
 * <pre>
 *  blkcrash: xvda: N blocks of 4096 bytes; V valid, E empty, D damaged; newest generation M
 *  blkcrash: starting at generation M+1, B blocks a generation
 * </pre>
 * and carries on from {@code M + 1}; a damaged block stops it (the domain crashes naming the
 * block). So the image can be reused across crashes and the generations only ever grow.
 *
 * <p><b>The invariant</b> a checker can hold the image to after the host was killed at any
 * moment: let {@code G} be the last generation whose {@code flushed} line was seen, and for
 * each block {@code b} let {@code F(b)} be the newest generation {@code <= G} known to have
 * been flushed that wrote {@code b} (a line {@code flushed generation G} of a run that started
 * at {@code S} vouches for every generation {@code S..G}: they ran one after the other, each
 * flushed before the next began). Then block {@code b} on the image
 * <ul>
 *   <li>is valid (magic, position, checksum and payload all right), or empty only if no
 *       flushed generation wrote it ({@code F(b)} undefined);</li>
 *   <li>names a generation {@code g >= F(b)} that really writes {@code b}
 *       ({@code (b - g * B) mod N < B}): the flushed one, or one written after it whose
 *       write happened to reach the file before the kill. Never an older one.</li>
 * </ul>
 * Writes after the last flush may each have landed or not (a generation may be on the image
 * in part: torn at block granularity). A block torn inside itself is damaged: the back end
 * writes a 4 KiB page-aligned block with positional writes whose bytes the host kernel
 * already holds when the JVM dies, so killing the process never tears one (a power cut
 * could; this test is about the process).
 *
 * <p>Command line ({@code key=value} words, {@link CommandLine}; another word is refused):
 * <pre>
 *  batch=B        blocks a generation (default 8; at most the disk's blocks, at most 64)
 *  rounds=N       generations to run before closing the disk and powering off (default 0:
 *                 for ever, until the domain is shut down or the host is killed)
 *  queues=N       queues asked for (default 1)
 *  persistent=0|1 ask for persistent grants (default 1)
 * </pre>
 * The disk is the domain's first ({@code device/vbd}, lowest id).
 */
public final class BlkCrashKernel extends ApplicationKernel {
    /** Blocks read at a time while recovering. */
    private static final int READ_CHUNK = 32;
    /** Sectors a block. */
    private static final int SECTORS = BlkCrashBlock.SIZE / 512;

    private Kernel k;
    private GuestMemory mem;
    private BlkFront disk;
    private final long[] words = new long[BlkCrashBlock.WORDS];
    private int batch = 8;
    private long rounds;
    private long blocks;
    private PageRun buffers;
    private long generation;
    private long first;
    private int pending;
    private Promise<Long> done;

    /** The kernel class an image names needs a public no-argument constructor. */
    public BlkCrashKernel() {
    }

    /** The first block generation {@code g} writes on a disk of {@code blocks} blocks, {@code batch} a generation. */
    public static long firstBlock(long g, int batch, long blocks) {
        return Math.floorMod(g * batch, blocks);
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.mem = k.cpu().memory();
        long[] o = {1, 1}; // queues, persistent
        new CommandLine("blkcrash")
                .number("batch", 1, 64, v -> batch = (int) v)
                .number("rounds", 0, Long.MAX_VALUE, v -> rounds = v)
                .number("queues", 1, Vbd.MAX_QUEUES, v -> o[0] = v)
                .number("persistent", 0, 1, v -> o[1] = v)
                .parse(k.commandLine());
        BlkFront.Options options = new BlkFront.Options((int) o[0], 0, o[1] == 1, true);
        return BlkFront.list(k).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("blkcrash: this domain has no disk (give it one with disk=[...])");
            }
            int devid = ids.get(0);
            for (int id : ids) {
                devid = Math.min(devid, id);
            }
            return BlkFront.connect(k, devid, options);
        }).then(d -> {
            disk = d;
            blocks = d.sectors() / SECTORS;
            if (d.readOnly()) {
                throw new IllegalStateException("blkcrash: the disk is read-only; it must be writable");
            }
            if (!d.canFlush()) {
                throw new IllegalStateException("blkcrash: the disk offers no flush");
            }
            if (blocks < batch) {
                throw new IllegalStateException("blkcrash: the disk has " + blocks + " blocks of 4 KiB, fewer than batch="
                        + batch);
            }
            buffers = k.memory().allocatePages(Math.max(batch, READ_CHUNK));
            return recover();
        }).then(newest -> {
            first = newest + 1;
            generation = first;
            k.println("blkcrash: starting at generation " + first + ", " + batch + " blocks a generation");
            done = k.loop().promise();
            startGeneration();
            return done;
        }).then(last -> {
            k.println("blkcrash: ran generations " + first + ".." + last + " (" + disk.requests() + " requests)");
            return disk.close().map(v -> last);
        });
    }

    // ---------------------------------------------------------------- recovery

    private long recovered;
    private long valid;
    private long empty;
    private long newest;
    private Promise<Long> recovery;

    /** Reads every block back and classifies it; completes with the newest generation found (0: none). */
    private Promise<Long> recover() {
        recovery = k.loop().promise();
        readChunk();
        return recovery;
    }

    private void readChunk() {
        if (recovered >= blocks) {
            k.println("blkcrash: " + Vbd.name(disk.devid()) + ": " + blocks + " blocks of " + BlkCrashBlock.SIZE
                    + " bytes; " + valid + " valid, " + empty + " empty, 0 damaged; newest generation " + newest);
            recovery.complete(newest);
            return;
        }
        long from = recovered;
        int n = (int) Math.min(READ_CHUNK, blocks - from);
        disk.read(from * SECTORS, buffers.va(), (long) n * BlkCrashBlock.SIZE).whenDone((v, e) -> {
            if (e != null) {
                recovery.fail(new IllegalStateException("blkcrash: reading blocks " + from + ".." + (from + n - 1)
                        + " failed: " + e.getMessage(), e));
                return;
            }
            for (int i = 0; i < n; i++) {
                long b = from + i;
                load(buffers.va() + (long) i * BlkCrashBlock.SIZE);
                switch (BlkCrashBlock.classify(words, b)) {
                    case EMPTY -> empty++;
                    case VALID -> {
                        valid++;
                        newest = Math.max(newest, BlkCrashBlock.generation(words));
                    }
                    case DAMAGED -> {
                        recovery.fail(new IllegalStateException(String.format(
                                "blkcrash: block %d is damaged: magic %016x, block %d, generation %d", b, words[0],
                                words[1], words[2])));
                        return;
                    }
                }
            }
            recovered += n;
            readChunk();
        });
    }

    private void load(long va) {
        for (int i = 0; i < BlkCrashBlock.WORDS; i++) {
            words[i] = mem.getLong(va + 8L * i);
        }
    }

    // ---------------------------------------------------------------- the workload

    /** Writes the blocks of {@link #generation}, all in flight at once. */
    private void startGeneration() {
        if (rounds > 0 && generation - first >= rounds) {
            done.complete(generation - 1);
            return;
        }
        long g = generation;
        long start = firstBlock(g, batch, blocks);
        pending = batch;
        for (int i = 0; i < batch; i++) {
            long b = (start + i) % blocks;
            long va = buffers.va() + (long) i * Mmu.PAGE_SIZE;
            BlkCrashBlock.fill(words, b, g);
            for (int w = 0; w < BlkCrashBlock.WORDS; w++) {
                mem.putLong(va + 8L * w, words[w]);
            }
            disk.write(b * SECTORS, va, BlkCrashBlock.SIZE).whenDone((v, e) -> {
                if (done.isDone()) {
                    return;
                }
                if (e != null) {
                    done.fail(new IllegalStateException("blkcrash: generation " + g + ": writing block " + b
                            + " failed: " + e.getMessage(), e));
                    return;
                }
                if (--pending == 0) {
                    flush(g);
                }
            });
        }
    }

    /** Every write of generation {@code g} completed: flush, and only then say so. */
    private void flush(long g) {
        disk.flush().whenDone((v, e) -> {
            if (done.isDone()) {
                return;
            }
            if (e != null) {
                done.fail(new IllegalStateException("blkcrash: flushing generation " + g + " failed: " + e.getMessage(), e));
                return;
            }
            k.println("blkcrash: flushed generation " + g);
            generation = g + 1;
            startGeneration();
        });
    }
}
