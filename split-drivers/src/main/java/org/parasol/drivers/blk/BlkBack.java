package org.parasol.drivers.blk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.parasol.drivers.backend.BackendStore;
import org.parasol.drivers.backend.ClosingQueues;
import org.parasol.guest.grant.GrantMapException;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.SecondaryVcpu;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.abi.Blkif;
import org.parasol.hypercall.abi.XenbusState;

/**
 * One virtual block device served by a back end: Linux blkback's {@code xenbus} half, on the
 * XenbusState handshake of {@code io/blkif.h}.
 *
 * <pre>
 *  found       read frontend, frontend-id, params, mode; open the image; publish the features
 *              (flush, barrier, discard, persistent grants, indirect segments, ring page
 *              order, queues) -&gt; InitWait (2)
 *  front Initialised or Connected (3, 4)
 *              read the queues (multi-queue-num-queues, ring-page-order, ring-ref[N],
 *              event-channel), map each ring, bind each port; publish sectors, info,
 *              sector-size -&gt; Connected (4)
 *  front Closing or Closed (5, 6), or gone
 *              let go of every ring, grant and port -&gt; Closing, then Closed (6)
 *  removed     the toolstack removed the back end's directory: close the image
 * </pre>
 *
 * <p>Queues and vCPUs: when the back end has secondary vCPUs ({@link BlkBackend#addVcpu}), each
 * queue of a disk without persistent grants is served on the next of them in turn (over every
 * queue of every disk), on that vCPU's run loop (Linux's blkback: a kernel thread per ring);
 * otherwise, and with persistent grants, on the boot vCPU with the store. The xenbus half stays
 * on the boot vCPU. Closing waits for every queue to stop on its vCPU before the rings are
 * unmapped and the state goes Closed.
 *
 * <p>Everything the front end wrote is untrusted: numbers are parsed strictly and in range, a
 * grant the hypervisor refuses to map or a port it refuses to bind fails the connection (the
 * device goes Closed, nothing else is touched), and a broken ring disconnects this device
 * only. The back end then waits for the front end to reconnect (Initialising) or for the
 * toolstack to remove the device.
 */
final class BlkBack {
    /** What the back end offers; front ends may take any subset. */
    record Features(int maxRingPageOrder, int maxQueues, int maxIndirectSegments, boolean persistent,
            int maxPersistentGrants, boolean grantIo, int grantIoBatch, int grantIoBatchBytes, int grantIoAsyncBytes) {
    }

    /** The vCPUs queues may run on, handed out in turn over every queue of every disk. */
    interface Vcpus {
        /** Whether there are any (else every queue runs on the boot vCPU). */
        boolean any();

        /** The vCPU for the next queue. */
        SecondaryVcpu next();

        /** The back end's record of the queues closing on those vCPUs. */
        ClosingQueues closing();
    }

    private final Kernel k;
    private final BackendStore store;
    private final Features features;
    private final Consumer<String> log;
    private final String dir;
    private final DomId front;
    private final int devid;
    private String frontendPath;
    private DiskImage disk;
    private Runnable unwatchFront;
    private final List<BlkBackQueue> queues = new ArrayList<>();
    /** The back end's secondary vCPUs that serve queues (boot vCPU only). */
    private final Vcpus vcpus;
    /** Queues still stopping on their vCPUs after a disconnect: no reconnect until 0. */
    private int closing;
    /** The front end's state changed while queues were stopping. */
    private boolean missedChange;
    private boolean connected;
    private boolean removed;
    /** Persistent grants mapped for every queue together (the front end grants one pool). */
    private final GrantRefTable<GrantMapping> persistentGrants;
    /**
     * With persistent grants, the front end's indirect descriptor pages, mapped read-only once
     * and kept as Linux's blkback keeps them (its persistent-grant tree holds them beside the
     * data pages); a budget of their own, so they never take the data pages' room.
     */
    private final GrantRefTable<GrantMapping> indirectGrants;
    private long ioErrors;
    /** The {@link VbdStatistics} counters of queues that have closed (the boot vCPU's). */
    private final long[] retiredStats = new long[VbdStatistics.COUNTERS];
    /** Queues stopping on their vCPUs: counted from here until their counters are retired. */
    private final List<BlkBackQueue> stoppingQueues = new ArrayList<>();

    /** The back end's budget of long-lived mappings in dom0's window, and this disk's guest's share of it. */
    private final MappingBudget budget;
    private final MappingBudget.Guest share;
    private boolean leftBudget;

    BlkBack(Kernel k, BackendStore store, Features features, Consumer<String> log, String dir, int front, int devid,
            Vcpus vcpus, MappingBudget budget) {
        this.k = k;
        this.budget = budget;
        this.share = budget.join(front);
        this.vcpus = vcpus;
        this.store = store;
        this.features = features;
        this.log = log;
        this.dir = dir;
        this.front = DomId.of(front);
        this.devid = devid;
        this.persistentGrants = new GrantRefTable<>(features.persistent() ? features.maxPersistentGrants() : 0);
        this.indirectGrants = new GrantRefTable<>(features.persistent() ? MAX_INDIRECT_GRANTS : 0);
    }

    /**
     * Indirect descriptor pages one device may keep mapped, over all its queues: one per request
     * slot of a one-page ring; a front end with more (more queues, bigger rings) has the rest
     * copied per request.
     */
    static final int MAX_INDIRECT_GRANTS = 32;

    String dir() {
        return dir;
    }

    /** Persistent grants one device may keep mapped, over all its queues. */
    int maxPersistentGrants() {
        return features.maxPersistentGrants();
    }

    /** The persistent grants mapped for this disk, by reference: every queue's. */
    GrantRefTable<GrantMapping> persistentGrants() {
        return persistentGrants;
    }

    /** The indirect descriptor pages mapped for this disk, by reference (persistent grants only). */
    GrantRefTable<GrantMapping> indirectGrants() {
        return indirectGrants;
    }

    /**
     * Whether this disk may map one more page for the connection's life (a persistent grant or an
     * indirect page): its guest is within its share and the window keeps its reserve for rings
     * ({@link MappingBudget}). The disk's own tables' limits are checked by the caller.
     */
    boolean mayMapLongLived() {
        return budget.mayMap(share, k.grantMapper().freeSlots());
    }

    /** A persistent grant or an indirect page was mapped for this disk: its guest's share counts it. */
    void mappedLongLived() {
        budget.mapped(share);
    }

    /** Reads the toolstack's keys, opens the image, publishes the features, InitWait. */
    void start() {
        try {
            String fid = store.read(dir + "/" + Vbd.FRONTEND_ID);
            if (Vbd.number(Vbd.FRONTEND_ID, fid, 0, DomId.DOMID_FIRST_RESERVED - 1) != front.value()) {
                throw new IllegalArgumentException(Vbd.FRONTEND_ID + " " + fid + " is not d" + front.value());
            }
            frontendPath = store.read(dir + "/" + Vbd.FRONTEND);
            if (frontendPath == null || !frontendPath.startsWith("/local/domain/" + front.value() + "/")) {
                throw new IllegalArgumentException(Vbd.FRONTEND + " '" + Vbd.shorten(frontendPath)
                        + "' is not in d" + front.value() + "'s directory");
            }
            String params = store.read(dir + "/" + Vbd.PARAMS);
            String mode = store.read(dir + "/" + Vbd.MODE);
            if (params == null || params.isEmpty()) {
                throw new IllegalArgumentException("no " + Vbd.PARAMS);
            }
            boolean readOnly = !"w".equals(mode);
            disk = DiskImage.open(Path.of(params), readOnly, k.cpu().memory());
        } catch (IOException | RuntimeException e) {
            fail("cannot serve: " + e.getMessage());
            return;
        }
        write(Vbd.FEATURE_FLUSH_CACHE, "1");
        write(Vbd.FEATURE_BARRIER, "1");
        write(Vbd.FEATURE_DISCARD, disk.readOnly() ? "0" : "1");
        write(Vbd.DISCARD_GRANULARITY, Integer.toString(Blkif.SECTOR_SIZE));
        write(Vbd.DISCARD_ALIGNMENT, "0");
        write(Vbd.DISCARD_SECURE, "0");
        write(Vbd.FEATURE_PERSISTENT, features.persistent() ? "1" : "0");
        if (features.maxIndirectSegments() > 0) {
            write(Vbd.FEATURE_MAX_INDIRECT_SEGMENTS, Integer.toString(features.maxIndirectSegments()));
        }
        write(Vbd.MAX_RING_PAGE_ORDER, Integer.toString(features.maxRingPageOrder()));
        write(Vbd.MULTI_QUEUE_MAX_QUEUES, Integer.toString(features.maxQueues()));
        switchState(XenbusState.INIT_WAIT);
        log.accept("blkback: " + Vbd.name(devid) + " of d" + front.value() + ": " + disk + "; InitWait");
        unwatchFront = store.watch(frontendPath + "/" + Vbd.STATE, changed -> frontEndChanged());
    }

    private void frontEndChanged() {
        if (closing > 0) {
            missedChange = true; // looked at again once every queue stopped
            return;
        }
        if (removed || disk == null) {
            return;
        }
        String raw = store.read(frontendPath + "/" + Vbd.STATE);
        int s;
        try {
            s = raw == null ? XenbusState.UNKNOWN.wire() : (int) Vbd.number(Vbd.STATE, raw, 0, 8);
        } catch (IllegalArgumentException e) {
            s = XenbusState.UNKNOWN.wire();
        }
        if (s == XenbusState.INITIALISED.wire() || s == XenbusState.CONNECTED.wire()) {
            if (!connected && queues.isEmpty()) {
                connect();
            }
        } else if (s == XenbusState.CLOSING.wire() || s == XenbusState.CLOSED.wire() || s == XenbusState.UNKNOWN.wire()) {
            if (connected || !queues.isEmpty()) {
                disconnect("the front end is " + (raw == null ? "gone" : "closing"));
            } else if (s == XenbusState.CLOSING.wire()) {
                switchState(XenbusState.CLOSED);
            }
        } else if (s == XenbusState.INITIALISING.wire() && !connected && readState() == XenbusState.CLOSED.wire()) {
            // The front end wants to connect again: offer the device anew.
            switchState(XenbusState.INIT_WAIT);
        }
    }

    private int readState() {
        String raw = store.read(dir + "/" + Vbd.STATE);
        try {
            return (int) Vbd.number(Vbd.STATE, raw, 0, 8);
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /** Reads the front end's queues, maps and binds them, publishes the disk, Connected. */
    private void connect() {
        try {
            String nq = store.read(frontendPath + "/" + Vbd.MULTI_QUEUE_NUM_QUEUES);
            int n = nq == null ? 1 : (int) Vbd.number(Vbd.MULTI_QUEUE_NUM_QUEUES, nq, 1, features.maxQueues());
            String order = store.read(frontendPath + "/" + Vbd.RING_PAGE_ORDER);
            int pageOrder = order == null ? 0 : (int) Vbd.number(Vbd.RING_PAGE_ORDER, order, 0,
                    features.maxRingPageOrder());
            String protocol = store.read(frontendPath + "/" + Vbd.PROTOCOL);
            if (protocol != null && !protocol.equals(Vbd.PROTOCOL_X86_64)) {
                throw new IllegalArgumentException("protocol '" + Vbd.shorten(protocol) + "' is not "
                        + Vbd.PROTOCOL_X86_64);
            }
            String fp = store.read(frontendPath + "/" + Vbd.FEATURE_PERSISTENT);
            boolean persistent = features.persistent() && "1".equals(fp);
            for (int q = 0; q < n; q++) {
                String qdir = n == 1 ? frontendPath : frontendPath + "/" + Vbd.QUEUE_PREFIX + q;
                int pages = 1 << pageOrder;
                GrantRef[] refs = new GrantRef[pages];
                for (int p = 0; p < pages; p++) {
                    String key = pageOrder == 0 ? Vbd.RING_REF : Vbd.RING_REF + p;
                    refs[p] = GrantRef.of((int) Vbd.number(key, store.read(qdir + "/" + key), 0, Integer.MAX_VALUE));
                }
                int evtchn = (int) Vbd.number(Vbd.EVENT_CHANNEL, store.read(qdir + "/" + Vbd.EVENT_CHANNEL), 1,
                        (1 << 17) - 1);
                GrantMapping[] ring = k.grantMapper().mapRun(front, refs, false);
                SecondaryVcpu vcpu = persistent || !vcpus.any() ? null : vcpus.next();
                BlkBackQueue queue;
                FileChannel channel = null;
                try {
                    channel = vcpu == null ? disk.channel() : disk.openChannel();
                    queue = new BlkBackQueue(k, vcpu, channel, this, q, front, disk, persistent, features.grantIo(),
                            features.maxIndirectSegments(), features.grantIoBatch(), features.grantIoBatchBytes(),
                            features.grantIoAsyncBytes(), ring);
                } catch (IOException | RuntimeException e) {
                    for (GrantMapping m : ring) {
                        m.close();
                    }
                    if (channel != null && channel != disk.channel()) {
                        try {
                            channel.close();
                        } catch (IOException ignored) {
                            // the first failure is the one reported
                        }
                    }
                    throw e instanceof IOException io ? new IllegalStateException("cannot open " + disk.path()
                            + " again: " + io.getMessage(), io) : (RuntimeException) e;
                }
                queues.add(queue);
                queue.bind(evtchn);
            }
            write(Vbd.SECTORS, Long.toString(disk.sectors()));
            write(Vbd.INFO, Integer.toString(disk.readOnly() ? Blkif.VDISK_READONLY : 0));
            write(Vbd.SECTOR_SIZE, Integer.toString(Blkif.SECTOR_SIZE));
            write(Vbd.PHYSICAL_SECTOR_SIZE, Integer.toString(Blkif.SECTOR_SIZE));
            connected = true;
            switchState(XenbusState.CONNECTED);
            StringBuilder on = new StringBuilder();
            for (BlkBackQueue queue : queues) {
                on.append(on.isEmpty() ? "" : ",").append(queue.vcpuId());
            }
            log.accept("blkback: " + Vbd.name(devid) + " of d" + front.value() + ": " + n + " queue"
                    + (n == 1 ? "" : "s") + " of " + (1 << pageOrder) + " ring page" + (pageOrder == 0 ? "" : "s")
                    + (persistent ? ", persistent grants" : features.grantIo() ? ", grant I/O" : ", grant copy")
                    + (vcpus.any() ? ", queues on vCPUs " + on : "") + "; Connected");
        } catch (GrantMapException | IllegalArgumentException | IllegalStateException e) {
            disconnect("the front end's rings: " + e.getMessage());
        }
    }

    /**
     * {@code queue}'s ring is broken: this device disconnects; nothing else is touched. A report
     * from a queue of an earlier connection (it arrived from its vCPU after that ended) is dropped.
     */
    void broken(BlkBackQueue queue, String why) {
        if (queues.contains(queue)) {
            disconnect(why);
        }
    }

    void ioError(IOException e) {
        if (ioErrors++ == 0) {
            log.accept("blkback: " + Vbd.name(devid) + " of d" + front.value() + ": I/O error on " + disk.path() + ": "
                    + e.getMessage());
        }
    }

    /**
     * Closing, let go of the rings, Closed (Linux's order: the front end ends its grants after
     * Closed). Queues on other vCPUs stop there first; Closed follows once the last has.
     */
    private void disconnect(String why) {
        if (!removed) {
            switchState(XenbusState.CLOSING);
        }
        List<BlkBackQueue> stopping = List.copyOf(queues);
        queues.clear();
        connected = false;
        closing = stopping.size();
        long[] served = {0};
        if (stopping.isEmpty()) {
            disconnected(why, 0);
            return;
        }
        stoppingQueues.addAll(stopping);
        for (BlkBackQueue q : stopping) {
            if (q.vcpuId() != 0) {
                vcpus.closing().begin(q, "blkback: " + Vbd.name(devid) + " of d" + front.value() + " queue " + q.index()
                        + " on vCPU " + q.vcpuId());
            }
        }
        for (BlkBackQueue q : stopping) {
            q.close(() -> {
                served[0] += q.requests();
                stoppingQueues.remove(q);
                q.addStatistics(retiredStats);
                if (--closing == 0) {
                    disconnected(why, served[0]);
                }
                vcpus.closing().end(q); // after the closing line, which the last queue's close writes
            });
        }
    }

    /** Every queue stopped and let go: the persistent grants go, Closed; then the front end's state again. */
    private void disconnected(String why, long served) {
        int kept = persistentGrants.size();
        int keptIndirect = indirectGrants.size();
        persistentGrants.forEach(GrantMapping::close);
        persistentGrants.clear();
        indirectGrants.forEach(GrantMapping::close);
        indirectGrants.clear();
        budget.unmapped(share, kept + keptIndirect);
        if (!removed) {
            switchState(XenbusState.CLOSED);
        }
        log.accept("blkback: " + Vbd.name(devid) + " of d" + front.value() + ": " + served + " requests served; "
                + why + "; Closed" + (kept + keptIndirect == 0 ? ""
                        : " (unmapped " + kept + " persistent grants and " + keptIndirect + " indirect pages)"));
        if (removed) {
            closeDisk();
        } else if (missedChange) {
            missedChange = false;
            frontEndChanged(); // it moved on while the queues stopped
        }
    }

    private void fail(String why) {
        log.accept("blkback: " + Vbd.name(devid) + " of d" + front.value() + ": " + why);
        switchState(XenbusState.CLOSED);
    }

    /** The toolstack removed the device: let go of everything, close the image. */
    void remove() {
        if (removed) {
            return;
        }
        removed = true;
        if (unwatchFront != null) {
            unwatchFront.run();
        }
        if (!queues.isEmpty()) {
            disconnect("removed"); // closes the image once every queue stopped
        } else if (closing == 0) {
            closeDisk();
        }
    }

    private void closeDisk() {
        if (!leftBudget) {
            leftBudget = true;
            budget.leave(share);
        }
        if (disk != null) {
            try {
                disk.close();
            } catch (IOException e) {
                log.accept("blkback: closing " + disk.path() + ": " + e.getMessage());
            }
        }
    }

    /** This disk's counters, over every connection and queue so far. Boot vCPU. */
    VbdStatistics statistics() {
        long[] c = retiredStats.clone();
        for (BlkBackQueue q : queues) {
            q.addStatistics(c);
        }
        for (BlkBackQueue q : stoppingQueues) {
            q.addStatistics(c);
        }
        return VbdStatistics.of(front.value(), devid, c);
    }

    /** Requests served so far, every queue. */
    long requests() {
        long n = 0;
        for (BlkBackQueue q : queues) {
            n += q.requests();
        }
        return n;
    }

    private void write(String key, String value) {
        if (removed) {
            return; // a write would make the removed directory again
        }
        try {
            store.write(dir + "/" + key, value);
        } catch (IllegalStateException e) {
            log.accept("blkback: cannot write " + dir + "/" + key + ": " + e.getMessage());
        }
    }

    private void switchState(XenbusState s) {
        write(Vbd.STATE, Integer.toString(s.wire()));
    }
}
