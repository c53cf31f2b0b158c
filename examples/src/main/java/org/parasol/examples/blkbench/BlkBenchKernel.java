package org.parasol.examples.blkbench;

import java.time.Duration;
import java.util.Locale;

import org.parasol.drivers.blk.BlkFront;
import org.parasol.drivers.blk.Disks;
import org.parasol.guest.blk.BlockDevice;
import org.parasol.drivers.blk.Vbd;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.abi.Mmu;

/**
 * blkbench: throughput and IOPS of the domain's first virtual disk through blkfront, at a
 * chosen pattern (sequential or random, read or write), request size and queue depth, over the
 * queue count, ring page order and features asked for ({@link BlkBenchOptions}).
 *
 * <p>Each test runs untimed for {@code warmup=} milliseconds (the JIT compiles the guest's and
 * dom0's paths: every boot loads them afresh), lets the I/O drain, prints a {@code timing} line
 * and stays idle for {@code gap=} milliseconds, then runs its timed phase from nothing in
 * flight until {@code time=} or {@code bytes=} is reached, lets the I/O drain, prints one
 * result line and stays idle for {@code gap=} again. The idle gaps are for the host: it may
 * read the domains' hypercall counters when it sees the two lines ({@code parasol bench
 * --block} does), and nothing moves in between. The result line, one per test:
 * <pre>
 * blkbench: result mode=randread bs=4096 qd=32 queues=1 slots=32 persistent=1 indirect=1 ios=N bytes=B ns=T
 *   iops=I mibps=M requests=R notifications=E req/io=R/N notif/io=E/N pushes=P push/io=P/N
 * </pre>
 * (one line): {@code ns} runs from the first request of the timed phase to the last
 * completion; {@code requests} are the blkif requests sent in it (an I/O larger than a request
 * carries is split), {@code notifications} the events sent to the back end and {@code pushes}
 * the pushes of requests onto the rings (each publishing one or more; blkfront only), all from
 * {@link BlkFront}'s counters; {@code queues}, {@code slots}, {@code persistent} and
 * {@code indirect} are what the two ends agreed on. Random offsets are aligned to {@code bs},
 * uniform over the disk (SplitMix64 from {@code seed=}); sequential ones run from the start and
 * wrap at the end, continuing from the warm-up. Written buffers hold a fixed non-zero pattern.
 */
public final class BlkBenchKernel extends ApplicationKernel {
    static final String TAG = "blkbench: ";

    private Kernel k;
    private GuestMemory mem;
    private BlkBenchOptions options;
    /** The disk: blkfront, or the ATA driver of a native kernel ({@link Disks}). */
    private BlockDevice disk;
    /** The same disk when it is blkfront (its queues, slots, grants and registrations), else null. */
    private BlkFront front;
    private long diskBytes;
    private PageRun[] buffers;
    /** The buffers registered for the current test (register=1). */
    private final java.util.List<BlkFront.Registration> registrations = new java.util.ArrayList<>();
    private long rng;
    private long nextSeq;

    // The phase being run.
    private BlkBenchOptions.Test test;
    private Promise<Long> phaseDone;
    private long deadline;
    private long byteLimit;
    private long issuedBytes;
    private long ios;
    private long lastDone;
    private int inFlight;

    /** The kernel class an image names needs a public no-argument constructor. */
    public BlkBenchKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.mem = k.cpu().memory();
        this.options = BlkBenchOptions.parse(k.commandLine());
        this.rng = options.seed();
        BlkFront.Options asked = new BlkFront.Options(options.queues(), options.order(), options.persistent(),
                options.indirect());
        return Disks.list(k).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("blkbench: this domain has no disk (give it one with disk=[...])");
            }
            int devid = ids.get(0);
            for (int id : ids) {
                devid = Math.min(devid, id);
            }
            return Disks.connect(k, devid, asked);
        }).then(d -> {
            disk = d;
            front = d instanceof BlkFront f ? f : null;
            diskBytes = d.sectors() * Blkif.SECTOR_SIZE;
            if (front != null) {
                k.println(TAG + Vbd.name(front.devid()) + ": " + d.sectors() + " sectors; " + front.queues()
                        + " queue(s) of " + front.ringSize() + " slots, " + (front.persistent() ? "persistent grants"
                        : "a grant per page") + ", up to " + front.maxSegments() + " segments a request");
            } else {
                k.println(TAG + d.name() + ": " + d.sectors() + " sectors; " + d.describe());
            }
            int maxBs = 0;
            int maxQd = 0;
            for (BlkBenchOptions.Test t : options.tests()) {
                if (t.bs() > diskBytes) {
                    throw new IllegalArgumentException("blkbench: bs=" + t.bs() + " is larger than the disk");
                }
                if (t.write() && d.readOnly()) {
                    throw new IllegalStateException("blkbench: mode=" + t.mode() + " on a read-only disk");
                }
                maxBs = Math.max(maxBs, t.bs());
                maxQd = Math.max(maxQd, t.qd());
            }
            int pages = (int) ((maxBs + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE);
            buffers = new PageRun[maxQd];
            for (int i = 0; i < maxQd; i++) {
                buffers[i] = k.memory().allocatePages(pages);
                for (long o = 0; o < (long) pages * Mmu.PAGE_SIZE; o += 8) {
                    mem.putLong(buffers[i].va() + o, 0x5A5A_0000_0000_0000L | (long) i << 24 | o);
                }
            }
            return runTest(0);
        }).then(v -> disk.close());
    }

    /**
     * Registers the part of each buffer that {@code t} uses, for as many of its {@code qd}
     * buffers as blkfront's limit allows, after ending the previous test's registrations
     * (nothing is in flight between tests).
     */
    private void register(BlkBenchOptions.Test t) {
        for (BlkFront.Registration r : registrations) {
            r.close();
        }
        registrations.clear();
        long bytes = (t.bs() + Mmu.PAGE_SIZE - 1) / Mmu.PAGE_SIZE * Mmu.PAGE_SIZE;
        long pages = 0;
        for (int i = 0; i < t.qd() && pages + bytes / Mmu.PAGE_SIZE <= BlkFront.MAX_REGISTERED_PAGES; i++) {
            registrations.add(front.register(buffers[i].va(), bytes));
            pages += bytes / Mmu.PAGE_SIZE;
        }
        k.println(TAG + "registered " + registrations.size() + " of " + t.qd() + " buffers (" + pages + " pages)");
    }

    /** Test {@code i} and the ones after it. */
    private Promise<Void> runTest(int i) {
        if (i == options.tests().size()) {
            return k.loop().completed(null);
        }
        test = options.tests().get(i);
        String what = "mode=" + test.mode() + " bs=" + test.bs() + " qd=" + test.qd();
        if (options.register() && front != null) {
            register(test);
        }
        long warmup = options.warmupMs() * 1_000_000;
        Promise<Long> warm = warmup == 0 ? k.loop().completed(0L) : phase(k.now() + warmup, Long.MAX_VALUE);
        return warm.then(w -> {
            k.println(TAG + "timing " + what);
            return gap();
        }).then(g -> {
            long requests = disk.requests();
            long notifications = disk.notifications();
            long pushes = front != null ? front.pushes() : 0;
            long start = k.now();
            long end = options.timeMs() == 0 ? Long.MAX_VALUE : start + options.timeMs() * 1_000_000;
            long limit = options.maxBytes() == 0 ? Long.MAX_VALUE : options.maxBytes();
            return phase(end, limit).map(n -> {
                long ns = Math.max(1, lastDone - start);
                long r = disk.requests() - requests;
                long e = disk.notifications() - notifications;
                long bytes = n * test.bs();
                double per = Math.max(1, n);
                k.println(String.format(Locale.ROOT, "%sresult %s queues=%d slots=%d persistent=%d indirect=%d ios=%d"
                        + " bytes=%d ns=%d iops=%.0f mibps=%.1f requests=%d notifications=%d req/io=%.3f notif/io=%.3f",
                        TAG, what, front != null ? front.queues() : 1, front != null ? front.ringSize() : 1,
                        front != null && front.persistent() ? 1 : 0,
                        front != null && front.maxSegments() > Blkif.MAX_SEGMENTS_PER_REQUEST ? 1 : 0, n, bytes, ns,
                        n * 1e9 / ns,
                        bytes * 1e9 / ns / (1 << 20), r, e, r / per, e / per)
                        + (front == null ? "" : String.format(Locale.ROOT, " pushes=%d push/io=%.3f",
                                front.pushes() - pushes, (front.pushes() - pushes) / per)));
                return n;
            });
        }).then(n -> gap()).then(g -> runTest(i + 1));
    }

    private Promise<Long> gap() {
        return options.gapMs() == 0 ? k.loop().completed(0L) : k.sleep(Duration.ofMillis(options.gapMs()));
    }

    /**
     * Keeps {@code test.qd()} I/Os in flight until the system time passes {@code end} or
     * {@code limit} bytes were issued, then lets them drain; completes with the I/Os done.
     */
    private Promise<Long> phase(long end, long limit) {
        phaseDone = k.loop().promise();
        deadline = end;
        byteLimit = limit;
        issuedBytes = 0;
        ios = 0;
        inFlight = 0;
        lastDone = k.now();
        for (int slot = 0; slot < test.qd(); slot++) {
            issue(slot, lastDone);
        }
        if (inFlight == 0) {
            phaseDone.complete(0L);
        }
        return phaseDone;
    }

    /** Issues the next I/O of buffer {@code slot} unless the phase is over at system time {@code now}. */
    private boolean issue(int slot, long now) {
        int bs = test.bs();
        if (phaseDone.isDone() || issuedBytes > byteLimit - bs || now >= deadline) {
            return false;
        }
        long offset = nextOffset(bs);
        issuedBytes += bs;
        inFlight++;
        long va = buffers[slot].va();
        long sector = offset / Blkif.SECTOR_SIZE;
        Promise<Void> io = test.write() ? disk.write(sector, va, bs) : disk.read(sector, va, bs);
        io.whenDone((v, e) -> {
            inFlight--;
            if (phaseDone.isDone()) {
                return;
            }
            if (e != null) {
                phaseDone.fail(new IllegalStateException("blkbench: " + test.mode() + " of " + bs + " bytes at byte "
                        + offset + " failed: " + e.getMessage(), e));
                return;
            }
            ios++;
            lastDone = k.now(); // one reading of the clock per I/O: the completion's time is the next issue's
            if (!issue(slot, lastDone) && inFlight == 0) {
                phaseDone.complete(ios);
            }
        });
        return true;
    }

    private long nextOffset(int bs) {
        if (test.random()) {
            long blocks = diskBytes / bs;
            return Long.remainderUnsigned(splitmix(), blocks) * bs;
        }
        if (nextSeq > diskBytes - bs) {
            nextSeq = 0;
        }
        long o = nextSeq;
        nextSeq += bs;
        return o;
    }

    /** SplitMix64: the next pseudo-random word. */
    private long splitmix() {
        rng += 0x9E3779B97F4A7C15L;
        long z = rng;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
