package org.parasol.drivers.blk;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.parasol.guest.kernel.Kernel;
import org.parasol.hypercall.DomId;

/**
 * The block back end of a domain (dom0, or a driver domain): watches its
 * {@code backend/vbd} directory and serves each device the toolstack adds there
 * ({@link BlkBack}), until the toolstack removes it. Linux's {@code xen-blkback} module in one
 * class: what it offers every front end is fixed at start ({@link BlkBack.Features}).
 */
public final class BlkBackend {
    /** Persistent grants one device may keep mapped (Linux's default is 1056 per queue; the map window is smaller). */
    public static final int MAX_PERSISTENT_GRANTS = 64;
    /** Segments per indirect request offered: 256 segments, 1 MiB. */
    public static final int MAX_INDIRECT_SEGMENTS = 256;

    private final Kernel k;
    private final BackendStore store;
    private final Consumer<String> log;
    private final String root;
    private final BlkBack.Features features;
    private final Map<String, BlkBack> devices = new HashMap<>();
    private Runnable unwatch;

    /** A back end of domain {@code self} offering every feature. */
    public BlkBackend(Kernel k, BackendStore store, int self, Consumer<String> log) {
        this(k, store, self, log, Vbd.MAX_RING_PAGE_ORDER_VALUE, 4, MAX_INDIRECT_SEGMENTS, true);
    }

    /** A back end offering only what is given (a feature declined: 0 or false). */
    public BlkBackend(Kernel k, BackendStore store, int self, Consumer<String> log, int maxRingPageOrder, int maxQueues,
            int maxIndirectSegments, boolean persistent) {
        this.k = k;
        this.store = store;
        this.log = log;
        this.root = "/local/domain/" + self + "/backend/" + Vbd.KIND;
        this.features = new BlkBack.Features(maxRingPageOrder, Math.max(1, maxQueues), maxIndirectSegments,
                persistent, MAX_PERSISTENT_GRANTS);
    }

    /** Starts watching for devices. */
    public void start() {
        unwatch = store.watch(root, changed -> rescan());
    }

    /** Devices being served. */
    public int devices() {
        return devices.size();
    }

    /** Requests served by every device. */
    public long requests() {
        long n = 0;
        for (BlkBack d : devices.values()) {
            n += d.requests();
        }
        return n;
    }

    /** New devices are served, removed ones let go. */
    private void rescan() {
        Set<String> present = new HashSet<>();
        for (String f : store.directory(root)) {
            int front;
            try {
                front = (int) Vbd.number("front end", f, 1, DomId.DOMID_FIRST_RESERVED - 1);
            } catch (IllegalArgumentException e) {
                continue;
            }
            for (String d : store.directory(root + "/" + f)) {
                int devid;
                try {
                    devid = (int) Vbd.number("devid", d, 0, Integer.MAX_VALUE);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                String dir = root + "/" + f + "/" + d;
                // Served once the toolstack has written its keys (state is among the last).
                if (store.read(dir + "/" + Vbd.STATE) == null) {
                    continue;
                }
                present.add(dir);
                if (!devices.containsKey(dir)) {
                    BlkBack b = new BlkBack(k, store, features, log, dir, front, devid);
                    devices.put(dir, b);
                    b.start();
                }
            }
        }
        devices.entrySet().removeIf(e -> {
            if (!present.contains(e.getKey())) {
                e.getValue().remove();
                return true;
            }
            return false;
        });
    }

    /** Stops: every device let go. */
    public void stop() {
        if (unwatch != null) {
            unwatch.run();
        }
        for (BlkBack b : devices.values()) {
            b.remove();
        }
        devices.clear();
    }
}
