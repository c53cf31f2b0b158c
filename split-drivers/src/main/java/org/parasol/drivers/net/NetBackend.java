package org.parasol.drivers.net;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import org.parasol.drivers.backend.BackendStore;
import org.parasol.drivers.backend.BackendDevices;
import org.parasol.drivers.backend.ClosingQueues;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.SecondaryVcpu;
import org.parasol.guest.mm.PageRun;

/**
 * The network back end of a domain (dom0): watches {@code backend/vif}, serves each vif the
 * toolstack adds ({@link NetBack}), and keeps the software bridges they join ({@link Bridge}),
 * made on first use by name ({@code xenbr0} by default).
 *
 * <p>With secondary vCPUs ({@link #addVcpu}), each vif queue is served on the next of them in
 * turn, and every bridge has a lane on each of them ({@link Bridge.Lane}): its own segment
 * scratch, and a port on the boot vCPU that other vCPUs kick when they hand frames over to a port
 * only the boot vCPU serves (the TAP uplink, an emulated card).
 */
public final class NetBackend {
    public static final String DEFAULT_BRIDGE = "xenbr0";
    /**
     * Where the queues' TX map windows lie: 1 GiB above the kernel's grant-mapping window, each
     * window {@value #TX_MAP_SLOTS} pages, eight to a 2 MiB L1 span.
     */
    static final long TX_MAP_VA = Kernel.GRANT_MAP_VA + (1L << 30);
    /** Pages in one queue's TX map window: a TX batch's slots at most. */
    static final int TX_MAP_SLOTS = 64;
    /** TX map windows at most (vifs times queues); a queue past them goes by grant copy. */
    static final int TX_MAP_WINDOWS = 64;

    /** dom0 pages a bridge cuts GSO frames into segments in: 64 KiB, a largest frame. */
    static final int SEGMENT_SCRATCH_PAGES = 16;

    private final Kernel k;
    private final Options options;
    private final Consumer<String> log;
    private final Map<String, Bridge> bridges = new HashMap<>();
    private final BackendDevices<NetBack> vifs;
    private final int[] freeWindows = new int[TX_MAP_WINDOWS];
    private int freeWindowCount;
    private final boolean[] spanReady = new boolean[TX_MAP_WINDOWS * TX_MAP_SLOTS / 512];

    /**
     * What the back end does beyond the fixed protocol, from dom0's kernel command line in
     * Linux's module-parameter spelling: {@code xen_netback.tx_map=1} (Parasol's) takes TX
     * slots by grant map ({@code GNTTABOP_map_grant_ref}, batched, unmapped once the batch is
     * switched) instead of grant copy (default 0); {@code xen_netback.rx_drain_timeout_msecs=N}
     * (Linux's) is how long a frame may wait in a queue's RX queue for the front end to post
     * buffers before it is dropped (default 10000, as Linux's; 1..3600000).
     *
     * @param txMap                whether TX slots are mapped (else copied)
     * @param rxDrainTimeoutMillis how long an RX frame may wait for buffers
     */
    public record Options(boolean txMap, long rxDrainTimeoutMillis) {
        /** Linux's {@code rx_drain_timeout_msecs} default. */
        public static final long DEFAULT_RX_DRAIN_TIMEOUT_MS = 10_000;
        public static final Options DEFAULTS = new Options(false, DEFAULT_RX_DRAIN_TIMEOUT_MS);

        public Options {
            if (rxDrainTimeoutMillis < 1 || rxDrainTimeoutMillis > 3_600_000) {
                throw new IllegalArgumentException("xen_netback.rx_drain_timeout_msecs is 1..3600000, not " + rxDrainTimeoutMillis);
            }
        }

        /**
         * The options of {@code cmdline}; other words are ignored.
         *
         * @throws IllegalArgumentException for {@code xen_netback.tx_map} with a value other than 0
         *                                  or 1, or {@code xen_netback.rx_drain_timeout_msecs} not a number in 1..3600000
         */
        public static Options parse(String cmdline) {
            boolean map = false;
            long drain = DEFAULT_RX_DRAIN_TIMEOUT_MS;
            for (String word : cmdline.strip().split("\\s+")) {
                if (word.startsWith("xen_netback.tx_map=")) {
                    String v = word.substring("xen_netback.tx_map=".length());
                    if (!v.equals("0") && !v.equals("1")) {
                        throw new IllegalArgumentException("'" + word + "': xen_netback.tx_map is 0 or 1");
                    }
                    map = v.equals("1");
                } else if (word.startsWith("xen_netback.rx_drain_timeout_msecs=")) {
                    String v = word.substring("xen_netback.rx_drain_timeout_msecs=".length());
                    try {
                        drain = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        drain = -1;
                    }
                    if (drain < 1 || drain > 3_600_000 || !v.chars().allMatch(Character::isDigit)) {
                        throw new IllegalArgumentException("'" + word + "': xen_netback.rx_drain_timeout_msecs is 1..3600000");
                    }
                }
            }
            return new Options(map, drain);
        }
    }

    public NetBackend(Kernel k, BackendStore store, int self, Consumer<String> log) {
        this(k, store, self, log, Options.DEFAULTS);
    }

    public NetBackend(Kernel k, BackendStore store, int self, Consumer<String> log, Options options) {
        this.k = k;
        this.options = java.util.Objects.requireNonNull(options, "options");
        this.log = log;
        for (int i = 0; i < TX_MAP_WINDOWS; i++) {
            freeWindows[i] = TX_MAP_WINDOWS - 1 - i;
        }
        freeWindowCount = TX_MAP_WINDOWS;
        this.vifs = new BackendDevices<>(store, self, Vif.KIND, new BackendDevices.Kind<>() {
            @Override
            public NetBack start(String dir, int front, int devid) {
                NetBack b = new NetBack(k, store, NetBackend.this, log, dir, front, devid);
                b.start();
                return b;
            }

            @Override
            public void remove(NetBack device) {
                device.remove();
            }
        });
    }

    public void start() {
        severalVcpus = k.vcpus() > 1;
        vifs.start();
    }

    /** Secondary vCPUs that serve queues, in id order (boot vCPU only). */
    private final java.util.List<SecondaryVcpu> vcpus = new java.util.ArrayList<>();
    /** Queues handed out so far: the next goes to vCPU {@code nextVcpu mod n}. */
    private int nextVcpu;

    /**
     * Serves vif queues on {@code vcpu} too, from the next connection on: each queue goes to the
     * next of the vCPUs added, in turn over every queue of every vif, and runs on its run loop, as
     * Linux's netback runs each queue on its own NAPI instance and kthread. Every bridge gets a
     * lane there. Call on the boot vCPU, once {@code vcpu} is up.
     */
    public void addVcpu(SecondaryVcpu vcpu) {
        java.util.Objects.requireNonNull(vcpu, "vcpu");
        int at = 0;
        while (at < vcpus.size() && vcpus.get(at).id() < vcpu.id()) {
            at++;
        }
        vcpus.add(at, vcpu);
        for (Bridge b : bridges.values()) {
            addLanes(b);
        }
    }

    /**
     * Whether dom0 has more than one vCPU (counted when the back end starts): every queue then has
     * a hand-off from the others, even one made before the secondary vCPUs came up.
     */
    private boolean severalVcpus;

    boolean severalVcpus() {
        return severalVcpus || !vcpus.isEmpty();
    }

    /** Whether queues are spread over secondary vCPUs. */
    boolean hasVcpus() {
        return !vcpus.isEmpty();
    }

    /** The vCPU for the next queue. */
    SecondaryVcpu nextVcpu() {
        return vcpus.get(Math.floorMod(nextVcpu++, vcpus.size()));
    }

    /**
     * {@code b} ready for frames from other vCPUs (once): a port on the boot vCPU that says a
     * boot-lane port's inbox has frames, and pages to deliver them from; then a lane on each
     * secondary vCPU that has none yet, with its own segment scratch.
     */
    private void addLanes(Bridge b) {
        if (!crossed.contains(b)) {
            Runnable again = () -> k.loop().execute(b::drainInboxes);
            org.parasol.guest.event.EventDispatcher.BoundPort kick = k.events().bindIpi(0, k.loop().deferred(p -> b.drainInboxes()));
            PageRun staging = k.memory().allocatePages(SEGMENT_SCRATCH_PAGES + 1);
            b.crossLanes(kick.port(), staging.va(), (SEGMENT_SCRATCH_PAGES + 1) * (int) org.parasol.hypercall.abi.Mmu.PAGE_SIZE,
                    again, p -> k.events().send(p));
            crossed.add(b);
        }
        for (SecondaryVcpu v : vcpus) {
            if (b.lane(v.id()) == null) {
                PageRun scratch = k.memory().allocatePages(SEGMENT_SCRATCH_PAGES);
                long[] mfns = new long[scratch.count()];
                for (int i = 0; i < mfns.length; i++) {
                    mfns[i] = k.memory().mfn(scratch.pfn() + i).value();
                }
                Bridge.Lane lane = b.addLane(v.id(), v::now, p -> v.events().send(p), scratch.va(), mfns);
                // Its memory on its own vCPU, before any queue there starts (posted after this).
                k.post(v, () -> lane.attach(v.cpu().memory()));
            }
        }
    }

    private final java.util.Set<Bridge> crossed = new java.util.HashSet<>();

    /** The bridge named {@code name}, made now if new (dom0's uplink to the host joins it as a port). */
    public Bridge bridge(String name) {
        Bridge b = bridges.get(name);
        if (b == null) {
            b = new Bridge(name, k.cpu().memory(), k::now);
            // Where the bridge cuts TCP/IPv4 GSO frames into segments for ports that do not take GSO:
            // one largest frame's worth of dom0's pages, kept for the bridge's life.
            b.segmentScratch(k.memory().allocatePages(SEGMENT_SCRATCH_PAGES).va(), SEGMENT_SCRATCH_PAGES * (int) org.parasol.hypercall.abi.Mmu.PAGE_SIZE);
            bridges.put(name, b);
            if (!vcpus.isEmpty()) {
                addLanes(b);
            }
        }
        return b;
    }

    Options options() {
        return options;
    }

    /**
     * A TX map window for a queue: its first address, the page tables reaching it made; -1 when
     * every window is taken (the queue goes by grant copy).
     */
    long takeTxMapWindow() {
        if (freeWindowCount == 0) {
            return -1;
        }
        int w = freeWindows[--freeWindowCount];
        long va = TX_MAP_VA + (long) w * TX_MAP_SLOTS * org.parasol.hypercall.abi.Mmu.PAGE_SIZE;
        int span = w * TX_MAP_SLOTS / 512;
        if (!spanReady[span]) {
            k.memory().ensurePageTable(va);
            spanReady[span] = true;
        }
        return va;
    }

    /** Gives back a window {@link #takeTxMapWindow} gave, with nothing mapped in it. */
    void returnTxMapWindow(long va) {
        freeWindows[freeWindowCount++] = (int) ((va - TX_MAP_VA) / ((long) TX_MAP_SLOTS * org.parasol.hypercall.abi.Mmu.PAGE_SIZE));
    }

    /** dom0 pages the vifs' RX queues hold now, over every vif and queue. */
    private int rxQueuePages;

    /** An RX queue took ({@code pages} &gt; 0) or gave back dom0 pages. */
    void rxQueuePages(int pages) {
        rxQueuePages += pages;
        rxQueuesMade |= pages > 0;
    }

    private boolean rxQueuesMade;

    /** dom0 pages held by the vifs' RX queues now (0 once every vif is gone: none is kept). */
    public int rxQueuePagesHeld() {
        return rxQueuePages;
    }

    /** Every vif's counters ({@code xl devstat}, top's NET columns). dom0's boot vCPU. */
    public java.util.List<VifStatistics> statistics() {
        java.util.List<VifStatistics> out = new java.util.ArrayList<>();
        for (NetBack v : vifs.devices()) {
            out.add(v.statistics());
        }
        return out;
    }

    /** Queues on secondary vCPUs that are closing: asked to stop there, not let go of on the boot vCPU yet. */
    private final ClosingQueues closingQueues = new ClosingQueues();

    ClosingQueues closingQueues() {
        return closingQueues;
    }

    /**
     * Runs {@code then} on the boot vCPU once no vif queue on a secondary vCPU is closing (at
     * once if none is): each one's closing line written and what it held given back, as Linux's
     * {@code xenvif_disconnect} stops the queues' kthreads before it goes on. The caller bounds
     * the wait ({@link #queuesClosing} names what is left). Boot vCPU.
     */
    public void whenQueuesClosed(Runnable then) {
        closingQueues.whenNoneClosing(then);
    }

    /** The vif queues on secondary vCPUs closing now ("netback: vif2.0 queue 1 on vCPU 2"). Boot vCPU. */
    public java.util.List<String> queuesClosing() {
        return closingQueues.names();
    }

    public int vifs() {
        return vifs.devices().size();
    }

    public void stop() {
        vifs.stop();
        if (rxQueuesMade) {
            log.accept("netback: every vif gone; " + rxQueuePages + " dom0 pages held by RX queues");
        }
    }
}
