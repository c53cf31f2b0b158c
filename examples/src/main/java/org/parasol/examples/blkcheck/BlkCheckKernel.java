package org.parasol.examples.blkcheck;

import org.parasol.drivers.blk.BlkFront;
import org.parasol.drivers.blk.Disks;
import org.parasol.drivers.blk.Vbd;
import org.parasol.guest.blk.BlockDevice;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.CommandLine;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.mm.PageRun;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.GuestMemory;
import org.parasol.hypercall.abi.Mmu;

/**
 * blkcheck: writes a pseudo-random pattern ({@link BlkPattern}) over a whole disk through
 * the kernel's block API ({@link BlockDevice}: blkfront, or the ATA driver in a native kernel
 * with an emulated disk), flushes, reads it all back and checks every word, then prints the verified
 * byte count and powers off; any mismatch or I/O error crashes the domain with the reason.
 *
 * <p>Command line ({@code key=value} words, {@link CommandLine}; another word is refused):
 * <pre>
 *  seed=N         the pattern's seed (default 1)
 *  chunk=KiB      bytes per I/O (default 256; a multiple of 4)
 *  depth=N        I/Os in flight (default 4)
 *  queues=N       queues asked for (default 1)
 *  order=N        ring page order asked for (default 0)
 *  persistent=0|1 ask for persistent grants (default 1)
 *  indirect=0|1   ask for indirect descriptors (default 1)
 *  wait=1         with no disk yet, wait for one to be attached (xl block-attach)
 *  discard=1      after verifying, discard the first 64 KiB and check they read back as zeroes
 *  register=1     register the I/O buffers with blkfront (granted once, kept), as many as fit
 * </pre>
 * The disk is the domain's first ({@link Disks#list}: the ATA disk of a native kernel, else
 * the {@code device/vbd} of lowest id). The queue, grant and buffer options are blkfront's.
 */
public final class BlkCheckKernel extends ApplicationKernel {
    private Kernel k;
    private GuestMemory mem;
    private BlockDevice disk;
    private long seed = 1;
    private int chunk = 256 * 1024;
    private int depth = 4;
    private PageRun[] buffers;
    private long bytes;
    private long nextOffset;
    private int inFlight;
    private Promise<Long> phaseDone;
    private boolean verifying;
    /** register=1: the I/O buffers are registered with blkfront. */
    private boolean registerBuffers;

    /** The kernel class an image names needs a public no-argument constructor. */
    public BlkCheckKernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        this.mem = k.cpu().memory();
        // queues, order, persistent, indirect (blkfront's), wait, discard
        long[] o = {1, 0, 1, 1, 0, 0};
        new CommandLine("blkcheck")
                .number("seed", 0, Long.MAX_VALUE, v -> seed = v)
                .number("chunk", 4, 4096, v -> chunk = (int) v * 1024)
                .number("depth", 1, 64, v -> depth = (int) v)
                .number("queues", 1, Vbd.MAX_QUEUES, v -> o[0] = v)
                .number("order", 0, Vbd.MAX_RING_PAGE_ORDER_VALUE, v -> o[1] = v)
                .number("persistent", 0, 1, v -> o[2] = v)
                .number("indirect", 0, 1, v -> o[3] = v)
                .number("wait", 0, 1, v -> o[4] = v)
                .number("discard", 0, 1, v -> o[5] = v)
                .number("register", 0, 1, v -> registerBuffers = v == 1)
                .parse(k.commandLine());
        if (chunk % 4096 != 0) {
            throw new IllegalArgumentException("chunk must be a multiple of 4 KiB");
        }
        BlkFront.Options options = new BlkFront.Options((int) o[0], (int) o[1], o[2] == 1, o[3] == 1);
        boolean wait = o[4] == 1;
        boolean discardAfter = o[5] == 1;
        long start = k.now();
        return (wait ? firstDisk() : Disks.list(k)).then(ids -> {
            if (ids.isEmpty()) {
                throw new IllegalStateException("blkcheck: this domain has no disk (give it one with disk=[...])");
            }
            int devid = ids.get(0);
            for (int id : ids) {
                devid = Math.min(devid, id);
            }
            return Disks.connect(k, devid, options);
        }).then(d -> {
            disk = d;
            bytes = d.sectors() * 512;
            k.println("blkcheck: " + d.name() + ": " + d.sectors() + " sectors of " + d.sectorSize()
                    + " bytes" + (d.readOnly() ? ", read-only" : "") + "; " + d.describe());
            if (d.readOnly()) {
                throw new IllegalStateException("blkcheck: the disk is read-only; it must be writable");
            }
            buffers = new PageRun[depth];
            int registered = 0;
            for (int i = 0; i < depth; i++) {
                buffers[i] = k.memory().allocatePages(chunk / (int) Mmu.PAGE_SIZE);
                if (registerBuffers && d instanceof BlkFront front
                        && registered + chunk / Mmu.PAGE_SIZE <= BlkFront.MAX_REGISTERED_PAGES) {
                    front.register(buffers[i].va(), chunk);
                    registered += (int) (chunk / Mmu.PAGE_SIZE);
                }
            }
            if (registerBuffers) {
                k.println("blkcheck: registered " + registered + " buffer pages");
            }
            verifying = false;
            return pass();
        }).then(written -> disk.flush().map(v -> written)).then(written -> {
            k.println("blkcheck: wrote " + written + " bytes and flushed");
            verifying = true;
            return pass();
        }).then(verified -> discardAfter ? discardAndCheck().map(v -> verified) : k.loop().completed(verified))
                .then(verified -> {
            long ms = (k.now() - start) / 1_000_000;
            k.println("blkcheck: verified " + verified + " bytes (" + disk.requests() + " requests, "
                    + disk.notifications() + " notifications, " + ms + " ms)");
            return disk.close().map(v -> verified);
        });
    }

    /** Discards the first 64 KiB (or the disk, if smaller), reads them back and checks for zeroes. */
    private Promise<Void> discardAndCheck() {
        long n = Math.min(bytes, 64 * 1024);
        long va = buffers[0].va();
        return disk.discard(0, n / 512).then(v -> disk.read(0, va, n)).map(v -> {
            for (long o = 0; o < n; o += 8) {
                if (mem.getLong(va + o) != 0) {
                    throw new IllegalStateException("blkcheck: byte " + o + " is not zero after discard");
                }
            }
            k.println("blkcheck: discarded " + n + " bytes, read back zeroes");
            return null;
        });
    }

    /** The disks once there is at least one: watches device/vbd until the toolstack attaches one. */
    private Promise<java.util.List<Integer>> firstDisk() {
        Promise<java.util.List<Integer>> found = k.loop().promise();
        k.println("blkcheck: waiting for a disk to be attached");
        org.parasol.guest.xenbus.XenbusWatch[] watch = new org.parasol.guest.xenbus.XenbusWatch[1];
        watch[0] = k.xenbus().watch("device/vbd", changed -> BlkFront.list(k).whenDone((ids, e) -> {
            if (found.isDone()) {
                return;
            }
            if (e != null) {
                found.fail(e);
            } else if (!ids.isEmpty()) {
                watch[0].unwatch();
                found.complete(ids);
            }
        }));
        return found;
    }

    /** One pass over the disk: write the pattern, or read and check it; completes with the bytes done. */
    private Promise<Long> pass() {
        phaseDone = k.loop().promise();
        nextOffset = 0;
        inFlight = 0;
        for (int i = 0; i < depth; i++) {
            issue(i);
        }
        if (inFlight == 0) {
            phaseDone.complete(0L);
        }
        return phaseDone;
    }

    private void issue(int slot) {
        if (nextOffset >= bytes || phaseDone.isDone()) {
            return;
        }
        long offset = nextOffset;
        long len = Math.min(chunk, bytes - offset);
        nextOffset += len;
        long va = buffers[slot].va();
        inFlight++;
        Promise<Void> io;
        if (verifying) {
            io = disk.read(offset / 512, va, len);
        } else {
            for (long o = 0; o < len; o += 8) {
                mem.putLong(va + o, BlkPattern.word(seed, (offset + o) / 8));
            }
            io = disk.write(offset / 512, va, len);
        }
        io.whenDone((v, e) -> {
            inFlight--;
            if (phaseDone.isDone()) {
                return;
            }
            if (e != null) {
                phaseDone.fail(new IllegalStateException("blkcheck: " + (verifying ? "read" : "write") + " at byte "
                        + offset + " failed: " + e.getMessage(), e));
                return;
            }
            if (verifying) {
                for (long o = 0; o < len; o += 8) {
                    long want = BlkPattern.word(seed, (offset + o) / 8);
                    long got = mem.getLong(va + o);
                    if (got != want) {
                        phaseDone.fail(new IllegalStateException(String.format(
                                "blkcheck: mismatch at byte %d: read %016x, wrote %016x", offset + o, got, want)));
                        return;
                    }
                }
            }
            if (nextOffset >= bytes && inFlight == 0) {
                phaseDone.complete(bytes);
            } else {
                issue(slot);
            }
        });
    }

}
