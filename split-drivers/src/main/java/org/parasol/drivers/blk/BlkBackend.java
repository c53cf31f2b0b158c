package org.parasol.drivers.blk;

import java.util.function.Consumer;

import org.parasol.drivers.backend.BackendDevices;
import org.parasol.drivers.backend.BackendStore;
import org.parasol.drivers.backend.ClosingQueues;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.SecondaryVcpu;
import org.parasol.hypercall.GuestMemory;

/**
 * The block back end of a domain (dom0, or a driver domain): watches its
 * {@code backend/vbd} directory and serves each device the toolstack adds there
 * ({@link BlkBack}), until the toolstack removes it. Linux's {@code xen-blkback} module in one
 * class: what it offers every front end is fixed at start ({@link BlkBack.Features}).
 */
public final class BlkBackend {
    /**
     * Persistent grants one device may keep mapped, over all its queues: Linux's
     * {@code max_persistent_grants} (1056, which Linux allows each queue). Parasol's front end
     * grants one pool per disk, of at most 128 pages ({@code BlkFront}); a front end that sends
     * more distinct pages has the rest copied.
     */
    public static final int MAX_PERSISTENT_GRANTS = 1056;
    /**
     * Persistent grants and indirect pages one front domain's disks may keep mapped together, a
     * quarter of dom0's grant mapping window ({@code Kernel.GRANT_MAP_SLOTS}, 8192 pages): one
     * guest leaves the others at least 8192 - {@value #RING_RESERVE} - 2048 = 5632 slots.
     */
    public static final int MAX_MAPPED_PER_GUEST = 2048;
    /**
     * Slots of dom0's grant mapping window kept free of persistent grants and indirect pages, for
     * rings: 32 disks' worth of the largest (4 queues of 4 pages).
     */
    public static final int RING_RESERVE = 512;
    /**
     * The ring page order offered: 2 (4 pages, 128 slots), a bounded share of dom0's mapping
     * window ({@link #RING_RESERVE}).
     */
    public static final int MAX_RING_PAGE_ORDER = 2;
    /** Segments per indirect request offered: 256 segments, 1 MiB. */
    public static final int MAX_INDIRECT_SEGMENTS = 256;

    private final BlkBack.Features features;
    private final BackendDevices<BlkBack> devices;
    /** Every disk's long-lived mappings in dom0's window, by front domain. */
    private final MappingBudget budget = new MappingBudget(MAX_MAPPED_PER_GUEST, RING_RESERVE);
    /** Secondary vCPUs that serve queues, in the order added (boot vCPU only). */
    private final java.util.List<SecondaryVcpu> vcpus = new java.util.ArrayList<>();
    /** Queues handed out so far: the next goes to vCPU {@code nextVcpu mod n}. */
    private int nextVcpu;
    private final BlkBack.Vcpus picker = new BlkBack.Vcpus() {
        @Override
        public boolean any() {
            return !vcpus.isEmpty();
        }

        @Override
        public SecondaryVcpu next() {
            return vcpus.get(Math.floorMod(nextVcpu++, vcpus.size()));
        }

        @Override
        public ClosingQueues closing() {
            return closingQueues;
        }
    };
    /** Queues on secondary vCPUs that are closing: asked to stop there, not let go of on the boot vCPU yet. */
    private final ClosingQueues closingQueues = new ClosingQueues();

    /** A back end of domain {@code self} offering every feature. */
    public BlkBackend(Kernel k, BackendStore store, int self, Consumer<String> log) {
        this(k, store, self, log, MAX_RING_PAGE_ORDER, 4, MAX_INDIRECT_SEGMENTS, true, true);
    }

    /**
     * A back end offering only what is given (a feature declined: 0 or false). With
     * {@code grantIo}, segments that are not persistently mapped are read from the file straight
     * into the front end's granted frames and written straight from them (grant I/O, a Parasol
     * extension); without it, through dom0's bounce pages and {@code GNTTABOP_copy}, as Linux's
     * blkback does.
     */
    public BlkBackend(Kernel k, BackendStore store, int self, Consumer<String> log, int maxRingPageOrder, int maxQueues,
            int maxIndirectSegments, boolean persistent, boolean grantIo) {
        this(k, store, self, log, maxRingPageOrder, maxQueues, maxIndirectSegments, persistent, grantIo,
                Options.DEFAULTS.grantIoBatch(), Options.DEFAULTS.grantIoBatchBytes(),
                Options.DEFAULTS.grantIoAsyncBytes());
    }

    private BlkBackend(Kernel k, BackendStore store, int self, Consumer<String> log, int maxRingPageOrder,
            int maxQueues, int maxIndirectSegments, boolean persistent, boolean grantIo, int grantIoBatch,
            int grantIoBatchBytes, int grantIoAsyncBytes) {
        this.features = new BlkBack.Features(maxRingPageOrder, Math.max(1, maxQueues), maxIndirectSegments,
                persistent, MAX_PERSISTENT_GRANTS, grantIo, grantIoBatch, grantIoBatchBytes, grantIoAsyncBytes);
        this.devices = new BackendDevices<>(store, self, Vbd.KIND, new BackendDevices.Kind<>() {
            @Override
            public BlkBack start(String dir, int front, int devid) {
                BlkBack b = new BlkBack(k, store, features, log, dir, front, devid, picker, budget);
                b.start();
                return b;
            }

            @Override
            public void remove(BlkBack device) {
                device.remove();
            }
        });
    }

    /**
     * What a back end offers beyond the fixed limits, from a kernel command line in Linux's
     * module-parameter spelling: {@code xen_blkback.feature_persistent=0} declines persistent
     * grants, and {@code xen_blkback.grant_io=0} (Parasol's) serves unmapped segments by grant
     * copy through bounce pages instead of grant I/O; both default to 1. Parasol's
     * {@code xen_blkback.grant_io_batch=N} (1..64, default 64) and
     * {@code xen_blkback.grant_io_batch_bytes=N} (512..1048576, default 65536) cut a run's grant
     * I/O batches (see {@link BlkBackQueue}), for measuring other cuts.
     *
     * @param persistent        whether persistent grants are offered
     * @param grantIo           whether unmapped segments go by grant I/O (else by grant copy)
     * @param grantIoBatch      the most requests one grant I/O batch moves
     * @param grantIoBatchBytes a batch is cut once it holds this many bytes
     * @param grantIoAsyncBytes a request alone in its batch of at least this many bytes goes by
     *     asynchronous grant I/O (the hypervisor's io-wq workers copy it; 0: never)
     */
    public record Options(boolean persistent, boolean grantIo, int grantIoBatch, int grantIoBatchBytes,
            int grantIoAsyncBytes) {
        /** Every default: persistent grants, grant I/O, batches of up to 64 requests and 64 KiB, no asynchronous grant I/O. */
        public static final Options DEFAULTS = new Options(true, true, BlkBackQueue.BATCH_REQUESTS,
                BlkBackQueue.BATCH_BYTES, BlkBackQueue.ASYNC_BYTES);

        /** The persistent and grant I/O choices, with the default batch cuts. */
        public Options(boolean persistent, boolean grantIo) {
            this(persistent, grantIo, DEFAULTS.grantIoBatch, DEFAULTS.grantIoBatchBytes);
        }

        /** With the default asynchronous cut. */
        public Options(boolean persistent, boolean grantIo, int grantIoBatch, int grantIoBatchBytes) {
            this(persistent, grantIo, grantIoBatch, grantIoBatchBytes, BlkBackQueue.ASYNC_BYTES);
        }

        public Options {
            if (grantIoBatch < 1 || grantIoBatch > GuestMemory.GRANT_IO_BATCH) {
                throw new IllegalArgumentException("xen_blkback.grant_io_batch is 1.." + GuestMemory.GRANT_IO_BATCH
                        + ", not " + grantIoBatch);
            }
            if (grantIoBatchBytes < 512 || grantIoBatchBytes > 1 << 20) {
                throw new IllegalArgumentException("xen_blkback.grant_io_batch_bytes is 512..1048576, not "
                        + grantIoBatchBytes);
            }
            if (grantIoAsyncBytes < 0 || grantIoAsyncBytes > 1 << 20) {
                throw new IllegalArgumentException("xen_blkback.grant_io_async_bytes is 0..1048576, not "
                        + grantIoAsyncBytes);
            }
        }

        /**
         * The options of {@code cmdline}; other words are ignored.
         *
         * @throws IllegalArgumentException for one of these parameters with a value out of its range
         */
        public static Options parse(String cmdline) {
            return new Options(flag(cmdline, "xen_blkback.feature_persistent"), flag(cmdline, "xen_blkback.grant_io"),
                    number(cmdline, "xen_blkback.grant_io_batch", DEFAULTS.grantIoBatch, 1, GuestMemory.GRANT_IO_BATCH),
                    number(cmdline, "xen_blkback.grant_io_batch_bytes", DEFAULTS.grantIoBatchBytes, 512, 1 << 20),
                    number(cmdline, "xen_blkback.grant_io_async_bytes", DEFAULTS.grantIoAsyncBytes, 0, 1 << 20));
        }

        private static boolean flag(String cmdline, String name) {
            boolean value = true;
            for (String word : cmdline.strip().split("\\s+")) {
                if (word.startsWith(name + "=")) {
                    String v = word.substring(name.length() + 1);
                    if (!v.equals("0") && !v.equals("1")) {
                        throw new IllegalArgumentException("'" + word + "': " + name + " is 0 or 1");
                    }
                    value = v.equals("1");
                }
            }
            return value;
        }

        private static int number(String cmdline, String name, int value, int min, int max) {
            for (String word : cmdline.strip().split("\\s+")) {
                if (word.startsWith(name + "=")) {
                    String v = word.substring(name.length() + 1);
                    long n = -1;
                    if (!v.isEmpty() && v.length() <= 9 && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        n = Long.parseLong(v);
                    }
                    if (n < min || n > max) {
                        throw new IllegalArgumentException("'" + word + "': " + name + " is " + min + ".." + max);
                    }
                    value = (int) n;
                }
            }
            return value;
        }
    }

    /** A back end of domain {@code self} offering every feature, as {@code options} says. */
    public BlkBackend(Kernel k, BackendStore store, int self, Consumer<String> log, Options options) {
        this(k, store, self, log, MAX_RING_PAGE_ORDER, 4, MAX_INDIRECT_SEGMENTS, options.persistent(),
                options.grantIo(), options.grantIoBatch(), options.grantIoBatchBytes(), options.grantIoAsyncBytes());
    }

    /**
     * Serves queues on {@code vcpu} too, from the next connection on: each queue of a disk goes
     * to the next of the vCPUs added in turn (over every disk), and runs on its run loop, as
     * Linux's blkback runs a kernel thread per ring. Disks with persistent grants stay on the boot vCPU
     * (dom0's grant mapper is the boot vCPU's). Call on the boot vCPU, once {@code vcpu} is up.
     */
    public void addVcpu(SecondaryVcpu vcpu) {
        java.util.Objects.requireNonNull(vcpu, "vcpu");
        int at = 0;
        while (at < vcpus.size() && vcpus.get(at).id() < vcpu.id()) {
            at++; // in id order, whichever came up first
        }
        vcpus.add(at, vcpu);
    }

    /** Starts watching for devices. */
    public void start() {
        devices.start();
    }

    /** Devices being served. */
    public int devices() {
        return devices.devices().size();
    }

    /** Requests served by every device. */
    public long requests() {
        long n = 0;
        for (BlkBack d : devices.devices()) {
            n += d.requests();
        }
        return n;
    }

    /** Every disk's counters ({@code xl devstat}, top's VBD columns). Boot vCPU. */
    public java.util.List<VbdStatistics> statistics() {
        java.util.List<VbdStatistics> out = new java.util.ArrayList<>();
        for (BlkBack d : devices.devices()) {
            out.add(d.statistics());
        }
        return out;
    }

    /**
     * Runs {@code then} on the boot vCPU once no disk queue on a secondary vCPU is closing (at
     * once if none is): each disk's closing line written and its rings let go of, as Linux's
     * {@code xen_blkif_disconnect} waits for each ring's kthread. The caller bounds the wait
     * ({@link #queuesClosing} names what is left). Boot vCPU.
     */
    public void whenQueuesClosed(Runnable then) {
        closingQueues.whenNoneClosing(then);
    }

    /** The disk queues on secondary vCPUs closing now ("blkback: xvda of d1 queue 0 on vCPU 1"). Boot vCPU. */
    public java.util.List<String> queuesClosing() {
        return closingQueues.names();
    }

    /** Stops: every device let go. */
    public void stop() {
        devices.stop();
    }
}
