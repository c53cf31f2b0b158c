package org.parasol.toolstack.dom0;

import org.parasol.drivers.blk.BlkBackend;
import org.parasol.drivers.net.NetBackend;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.ShutdownRequest;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.DomctlCalls;
import org.parasol.toolstack.xenstore.XsException;

/**
 * dom0's kernel: runs xenstored ({@link Dom0Xenstored}), builds the domains its boot module
 * ({@link DomainList}, what {@code parasol run} hands it) and its command line
 * ({@code build=}, {@link DomainSpec#parse}) ask for through the {@code domctl} family
 * ({@link Builder}), writes each one's store paths and introduces it to xenstored before it
 * runs, then acts on each one when it shuts down, as xl does: {@code VIRQ_DOM_EXC} says some
 * domain changed, {@code getdomaininfo} says which one shut down and why, and the domain's
 * on_poweroff/on_reboot/on_crash says what to do. Destroy: xenstored releases it, its paths
 * go, and {@code destroydomain} returns its memory. Restart: the same, then a new domain from
 * the same spec. Preserve: it is left as it is, shut down, and no longer waited for. When no
 * domain is left to wait for, dom0 powers off, unless {@code host} is on its command line: then
 * (a long-running {@code parasol host}) it stays up for {@code xl create} lines and powers off
 * only after {@code xl shutdown -a} once the last domain is gone. With {@code xsbench=<ms>} on its command line,
 * dom0 first measures the store without a ring ({@link StoreBaseline}).
 *
 * <p>A domain's split devices whose back end is another domain of the module
 * ({@link DeviceSpec}) are written into the store after its paths and before it runs, both
 * ends in one transaction, as libxl adds a driver domain's device ({@link XsDevices}); the
 * back end must be running (it is listed, and so built, earlier). When either end goes, the
 * device's nodes go before the domain's paths.
 *
 * <p>Cooperative shutdown ({@link PvControl}): {@code xl shutdown} and {@code xl reboot} typed
 * at dom0's console ({@link ConsoleInput}, {@link XlCommand}; the host's {@code parasol run}
 * types {@code xl shutdown -a} on Ctrl-C) write the request into the domain's
 * {@code control/shutdown}; a domain that has not shut down {@code shutdown_timeout=} after the
 * request (dom0's command line: seconds, or {@code ms}; default
 * {@value PvControl#DEFAULT_TIMEOUT_SECONDS} s, libxl's wait for a guest's acknowledgement) is
 * destroyed. One that shuts down in time is reaped as any other, with its reason, so
 * {@code on_reboot=restart} restarts it after {@code xl reboot}.
 *
 * <p>A domain is named as its spec says; a {@code build=} entry after its image, or
 * {@code <image>-<id>} when a live domain already has that name (xl refuses a second domain of
 * the same name). The name goes to the hypervisor with load-image and into the store.
 *
 * <p>Expected console output for {@code build=hello}:
 * <pre>
 * dom0: xenstored up: 8 nodes
 * dom0: built d1 (hello) from hello (4096 KiB, 1 vCPU)
 * dom0: d1 (hello) shut down: poweroff; destroyed
 * dom0: every domain is gone; powering off
 * dom0: xenstored: 8 nodes left; /local/domain lists [0]; 0 rings connected
 * dom0: xenstored: @introduceDomain fired 1 times, @releaseDomain 1 times
 * </pre>
 */
public final class Dom0Kernel extends ApplicationKernel {
    private Kernel k;
    private Builder builder;
    private Dom0Xenstored xenstored;
    /** dom0's tools on xenstored's socket, relayed from the host; null when the host has none. */
    private Dom0SocketRelay socketClients;
    /** The domains built and not yet reaped or preserved, by id. */
    private final Map<Integer, Live> live = new LinkedHashMap<>();
    private Promise<Integer> done;
    /** Every domain is gone: dom0 waits for its back ends' queues, then powers off ({@link #finish}). */
    private boolean finishing;
    private BoundPort domExc;
    private int reaped;
    /** {@code xl shutdown -a} was typed: no domain is restarted from now on. */
    private boolean shuttingDownAll;
    private PvControl pvControl;
    private ConsoleInput consoleInput;
    /** Domains left shut down by on_*=preserve: listed, and destroyable, until the host ends. */
    private final Map<Integer, String> preserved = new LinkedHashMap<>();
    private XlShell xl;
    private BlkBackend blkback;
    private NetBackend netback;
    /** Native domains' NE2000s on dom0's bridges. */
    private Dom0Nics nics;
    /** {@code host} on the command line: stay up with no domain until {@code xl shutdown -a}. */
    private boolean longRunning;

    /** A domain dom0 waits for: its name and the spec it was built from (for a restart). */
    private record Live(String name, DomainSpec spec) {
    }

    /** The kernel class an image names needs a public no-argument constructor. */
    public Dom0Kernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        longRunning = java.util.Arrays.asList(k.commandLine().strip().split("\\s+")).contains("host");
        List<DomainSpec> specs = new ArrayList<>();
        Duration shutdownTimeout;
        int baseline;
        String uplinkBridge;
        BlkBackend.Options blkbackOptions;
        NetBackend.Options netbackOptions;
        try {
            uplinkBridge = uplinkBridge(k.commandLine());
            specs.addAll(DomainSpec.parse(k.commandLine()));
            shutdownTimeout = PvControl.timeout(k.commandLine());
            baseline = StoreBaseline.requested(k.commandLine());
            blkbackOptions = BlkBackend.Options.parse(k.commandLine());
            netbackOptions = NetBackend.Options.parse(k.commandLine());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("dom0: " + e.getMessage(), e);
        }
        byte[] module = k.bootModule();
        if (module.length > 0) {
            try {
                List<DomainSpec> listed = DomainList.parse(module);
                k.println("dom0: boot module: " + listed.size() + " domain" + (listed.size() == 1 ? "" : "s"));
                specs.addAll(listed);
            } catch (IllegalArgumentException e) {
                // Nothing of a module that is wrong anywhere: as xl refuses a whole config.
                k.println("dom0: boot module refused: " + e.getMessage());
            }
        }
        done = k.loop().promise();
        try {
            xenstored = new Dom0Xenstored(k);
        } catch (XsException e) {
            throw new IllegalStateException("dom0: xenstored cannot start: " + e.getMessage(), e);
        }
        k.println("dom0: xenstored up: " + xenstored.store().size() + " nodes");
        if (baseline > 0) {
            // xsbench=<ms>: the store figures' baseline, measured before any domain runs.
            try {
                xenstored.baseline(baseline);
            } catch (XsException e) {
                k.println("dom0: store baseline failed: " + e.getMessage());
            }
        }
        // dom0's block back end: serves every disk the toolstack adds under backend/vbd.
        blkback = new BlkBackend(k, xenstored.backendStore(), 0, k::println, blkbackOptions);
        blkback.start();
        // dom0's network back end and its bridges: every vif the toolstack adds under backend/vif.
        netback = new NetBackend(k, xenstored.backendStore(), 0, k::println, netbackOptions);
        // dom0's other vCPUs, if it has any, serve block and net queues: one run loop each, as
        // Linux's blkback runs a thread per ring and netback a NAPI instance and kthread per
        // queue. They come up while the store starts its guests.
        int vcpus = k.vcpus();
        for (int v = 1; v < vcpus; v++) {
            k.startVcpu(v, cpu -> { }).whenDone((cpu, failure) -> {
                if (failure != null) {
                    k.println("dom0: a vCPU did not come up: " + failure.getMessage());
                } else {
                    blkback.addVcpu(cpu);
                    netback.addVcpu(cpu);
                }
            });
        }
        if (vcpus > 1) {
            k.println("dom0: " + vcpus + " vCPUs; vCPUs 1-" + (vcpus - 1) + " serve block queues");
            k.println("dom0: vCPUs 1-" + (vcpus - 1) + " serve net queues" + (netbackOptions.txMap()
                    ? " (not with xen_netback.tx_map=1: its queues stay on vCPU 0)" : ""));
        }
        netback.start();
        nics = new Dom0Nics(k, netback);
        // The host's connections: xenstored's socket clients, and the bridge's uplink to a host
        // TAP device when the run has one (uplink=BRIDGE on dom0's command line names the bridge).
        socketClients = Dom0SocketRelay.start(k, xenstored.xenstored(), netback, uplinkBridge);
        builder = new Builder(k);
        pvControl = new PvControl(k, xenstored, shutdownTimeout, new PvControl.Domains() {
            @Override
            public String name(int domid) {
                Live l = live.get(domid);
                return l != null ? l.name() : preserved.get(domid);
            }

            @Override
            public void timedOut(int domid, ShutdownRequest request) {
                Dom0Kernel.this.timedOut(domid, request);
            }
        });
        // Bound before the first build: a domain that ends at once still raises it.
        domExc = k.events().bindVirq(Virq.DOM_EXC, k.loop().deferred(p -> reap()));
        xl = new XlShell(k, pvControl, new Shell());
        for (DomainSpec spec : specs) {
            createAndSay(spec, "build", false);
        }
        // The host's console input: xl's verbs, one a line.
        consoleInput = new ConsoleInput(k, xl::line, why -> k.println("dom0: xl: " + why));
        consoleInput.start();
        if (longRunning) {
            k.println("dom0: serving a long-running host: xl create takes domains; xl shutdown -a ends it");
        }
        finishIfIdle();
        return done;
    }

    /** The bridge {@code uplink=NAME} on dom0's command line names, {@code xenbr0} without it. */
    static String uplinkBridge(String cmdline) {
        String bridge = NetBackend.DEFAULT_BRIDGE;
        for (String word : cmdline.strip().split("\\s+")) {
            if (word.startsWith("uplink=")) {
                String v = word.substring("uplink=".length());
                if (!v.matches("[A-Za-z0-9_.-]{1,15}")) {
                    throw new IllegalArgumentException("uplink=" + XlCommand.quote(v) + ": a bridge name of 1-15 of"
                            + " [A-Za-z0-9_.-]");
                }
                bridge = v;
            }
        }
        return bridge;
    }

    /**
     * One domain, as {@code xl create} makes it: built paused with its store page and port
     * ({@link Builder#build}); its paths written and the domain introduced to xenstored
     * (libxl's {@code libxl__domain_make} and {@code libxl__build_post}); unpaused. A step that
     * fails undoes the ones before it. With {@code paused} the last step is left out.
     */
    private void createAndSay(DomainSpec spec, String verb, boolean paused) {
        try {
            DomId d = create(spec, paused);
            k.println("dom0: built d" + d.value() + " (" + live.get(d.value()).name() + ") from " + spec.image() + " ("
                    + spec.memoryKiB() + " KiB, " + spec.vcpus() + " vCPU" + (spec.vcpus() == 1 ? "" : "s") + ")"
                    + (paused ? ", paused" : ""));
        } catch (Builder.BuildException e) {
            k.println("dom0: cannot " + verb + " " + (spec.name() != null ? spec.name() : spec.image()) + ": "
                    + e.getMessage());
        }
    }

    private DomId create(DomainSpec spec, boolean paused) throws Builder.BuildException {
        UUID uuid = UUID.randomUUID();
        // A spec's own name, or dom0's choice once the id is known; the hypervisor gets it
        // with load-image, the store with the domain's paths.
        Builder.Built built = builder.build(spec, id -> spec.name() != null ? spec.name() : nameFor(spec.image(), id),
                handle(uuid));
        int id = built.domid().value();
        String name = built.name();
        List<String> served = new ArrayList<>();
        try {
            xenstored.writeDomain(id, name, uuid.toString(), spec.memoryKiB(), spec.maxMemoryKiB(), spec.vcpus(),
                    spec.maxVcpus());
            // Its devices after its paths and before it runs, each back end already running
            // (libxl adds a domain's devices while it is still paused).
            boolean emulatedDisk = false;
            for (DeviceSpec device : spec.devices()) {
                if (device.isDisk() && !spec.virt().equals("pv")) {
                    // A native kernel finds its disk on the ATA ports, as an HVM guest's
                    // disk= becomes QEMU's IDE drive: the hypervisor's device model serves it.
                    if (emulatedDisk) {
                        throw new Builder.BuildException("attaching " + device.params().get("vdev") + ": a native"
                                + " domain has one ATA disk (the primary channel's device 0)", 0);
                    }
                    served.add(attachAta(id, device));
                    emulatedDisk = true;
                    continue;
                }
                if (device.isVif() && !spec.virt().equals("pv")) {
                    // A native kernel finds its NIC on the ISA ports, as an HVM guest's vif=
                    // becomes QEMU's emulated card on the bridge: the hypervisor's model, our port.
                    served.add(nics.attach(id, device));
                    continue;
                }
                int back = liveNamed(device.backend());
                if (back < 0) {
                    throw new Builder.BuildException("finding a running domain named '" + device.backend()
                            + "' to serve its " + device.kind() + " device", 0);
                }
                if (device.isVif()) {
                    xenstored.addDevice(id, back, device.kind(), device.devid(), device.vifBackendKeys(id),
                            device.vifFrontendKeys(id));
                } else {
                    xenstored.addDevice(id, back, device.kind(), device.devid(), device.backendKeys(),
                            device.frontendKeys());
                }
                served.add(device.kind() + " " + device.devid() + " served by d" + back + " (" + device.backend() + ")");
            }
            xenstored.introduceDomain(id, built.storeMfn(), built.storePort());
            pvControl.watch(id);
            if (!paused) {
                builder.unpause(built.domid());
            }
        } catch (XsException | Builder.BuildException e) {
            pvControl.forget(id);
            nics.forget(id);
            xenstored.forgetDomain(id);
            builder.domctl().destroyDomain(built.domid());
            throw e instanceof Builder.BuildException b ? b
                    : new Builder.BuildException("the store of d" + id + ": " + e.getMessage(), 0);
        }
        live.put(id, new Live(name, spec));
        for (String device : served) {
            k.println("dom0: d" + id + " (" + name + "): " + device);
        }
        return built.domid();
    }

    /**
     * Opens a disk's image and gives it to the hypervisor's ATA model for native domain
     * {@code domid}; the hypervisor owns the file from then on.
     */
    private String attachAta(int domid, DeviceSpec disk) throws Builder.BuildException {
        if (!disk.backend().equals(DeviceSpec.DOM0)) {
            throw new Builder.BuildException("attaching " + disk.params().get("vdev") + ": an emulated disk is served"
                    + " by the device model, not by a driver domain (backend=" + disk.backend() + ")", 0);
        }
        java.nio.file.Path target = java.nio.file.Path.of(disk.params().get("target"));
        java.nio.channels.FileChannel image;
        try {
            image = disk.readOnly() ? java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.READ)
                    : java.nio.channels.FileChannel.open(target, java.nio.file.StandardOpenOption.READ,
                            java.nio.file.StandardOpenOption.WRITE);
        } catch (java.io.IOException | RuntimeException e) {
            throw new Builder.BuildException("opening " + target + " for the ATA disk: " + e.getMessage(), 0);
        }
        long rc = k.cpu().attachEmulatedDisk(domid, image, disk.readOnly());
        if (rc < 0) {
            try {
                image.close();
            } catch (java.io.IOException e) {
                // refused either way
            }
            throw new Builder.BuildException("attaching " + target + " as the ATA disk", rc);
        }
        return disk.params().get("vdev") + " as the ATA disk (primary channel, device 0) from " + target;
    }

    /** The id of the live domain named {@code name} (dom0 is {@value DeviceSpec#DOM0}), or -1. */
    private int liveNamed(String name) {
        if (name.equals(DeviceSpec.DOM0)) {
            return 0;
        }
        for (Map.Entry<Integer, Live> e : live.entrySet()) {
            if (e.getValue().name().equals(name)) {
                return e.getKey();
            }
        }
        return -1;
    }

    /** The image's name, unless a live domain has it: then {@code <image>-<id>}. */
    private String nameFor(String image, int id) {
        Set<String> taken = new HashSet<>();
        for (Live l : live.values()) {
            taken.add(l.name());
        }
        taken.add("Domain-0");
        return taken.contains(image) ? image + "-" + id : image;
    }

    /** The 16-byte handle of {@code uuid}, big-endian as libxl's {@code libxl_uuid} bytes. */
    private static byte[] handle(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits())
                .array();
    }

    /** On VIRQ_DOM_EXC: carry out the on_* action of every built domain that has shut down. */
    private void reap() {
        DomctlCalls domctl = builder.domctl();
        for (Integer id : new ArrayList<>(live.keySet())) {
            DomctlCalls.DomainInfo info = domctl.getDomainInfo(DomId.of(id));
            if (info.result() < 0) {
                k.println("dom0: d" + id + " is gone (" + Builder.errnoName(info.result()) + ")");
                pvControl.forget(id);
                nics.forget(id);
                xenstored.forgetDomain(id);
                live.remove(id);
                xl.ended(id, "is gone");
                continue;
            }
            if (!info.shutdown()) {
                continue;
            }
            Live l = live.remove(id);
            pvControl.forget(id);
            nics.forget(id);
            DomainSpec.Action action = actionFor(l.spec(), info.shutdownCode());
            String what = "dom0: d" + id + " (" + l.name() + ") shut down: " + reason(info.shutdownCode());
            if (action == DomainSpec.Action.PRESERVE) {
                // xl's preserve: the domain, its memory and its store paths stay as they are.
                k.println(what + "; preserved");
                preserved.put(id, l.name());
                xl.ended(id, "has been shut down, reason code " + info.shutdownCode());
                continue;
            }
            // libxl's order: the store lets go of the domain (its ring unmapped, its port
            // closed, its paths gone) before the domain's memory is given back.
            xenstored.forgetDomain(id);
            long rc = domctl.destroyDomain(DomId.of(id));
            boolean restart = action == DomainSpec.Action.RESTART && rc == 0 && !shuttingDownAll;
            k.println(what + (rc == 0 ? "; destroyed" : "; destroy failed (" + Builder.errnoName(rc) + ")")
                    + (restart ? "; restarting"
                            : action == DomainSpec.Action.RESTART && rc == 0 ? "; not restarted (xl shutdown -a)" : ""));
            reaped++;
            xl.ended(id, "has been shut down, reason code " + info.shutdownCode());
            if (restart) {
                createAndSay(l.spec(), "restart", false);
            }
        }
        finishIfIdle();
    }

    /** No domain left to wait for: dom0 powers off, unless it serves a long-running host still wanted. */
    private void finishIfIdle() {
        if (live.isEmpty() && (!longRunning || shuttingDownAll)) {
            finish();
        }
    }

    /**
     * {@code xl create [-p]}: one boot-module line, built now as those of the module were; with
     * {@code paused} it is left paused, as libxl leaves a domain created with {@code -p}.
     */
    private void createLine(String line, boolean paused) {
        List<DomainSpec> specs;
        try {
            specs = DomainList.parse((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            k.println("dom0: xl: create refused: " + e.getMessage());
            return;
        }
        if (shuttingDownAll) {
            k.println("dom0: xl: create refused: the host is shutting down");
            return;
        }
        for (DomainSpec spec : specs) {
            if (spec.name() != null && (liveNamed(spec.name()) >= 0 || preserved.containsValue(spec.name()))) {
                k.println("dom0: cannot create " + spec.name() + ": the name is taken (EEXIST)");
                continue;
            }
            createAndSay(spec, "create", paused);
        }
    }

    /**
     * {@code xl rename}, as libxl's {@code libxl_domain_rename}: refused when another live or
     * preserved domain has the name; otherwise the domain's {@code name} nodes are rewritten in
     * one transaction and dom0's record follows.
     */
    private void rename(int domid, String name) {
        Live l = live.get(domid);
        if (l == null) {
            k.println("dom0: xl: rename: d" + domid + " is not a domain dom0 runs (ESRCH)");
            return;
        }
        if (l.name().equals(name)) {
            k.println("dom0: renamed d" + domid + " (" + name + ") to " + name);
            return;
        }
        if (liveNamed(name) >= 0 || preserved.containsValue(name)) {
            k.println("dom0: xl: rename: the name '" + name + "' is taken (EEXIST)");
            return;
        }
        try {
            xenstored.renameDomain(domid, name);
        } catch (XsException e) {
            k.println("dom0: xl: rename: the store of d" + domid + ": " + e.getMessage());
            return;
        }
        live.put(domid, new Live(name, l.spec()));
        k.println("dom0: renamed d" + domid + " (" + l.name() + ") to " + name);
    }

    /** xl's choice: on_poweroff, on_reboot, on_crash (a watchdog too); a suspended domain is kept. */
    private static DomainSpec.Action actionFor(DomainSpec spec, int code) {
        return switch (code) {
            case Shutdown.POWEROFF -> spec.onPoweroff();
            case Shutdown.REBOOT -> spec.onReboot();
            case Shutdown.SUSPEND, Shutdown.SOFT_RESET -> DomainSpec.Action.PRESERVE;
            default -> spec.onCrash();
        };
    }

    /**
     * How long dom0's power-off waits for the back ends' queues on its other vCPUs to close
     * ({@link #finish}); then it says which did not and powers off without them.
     */
    static final Duration QUEUE_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Every domain is gone: no more input; once the back ends' queues on dom0's other vCPUs
     * have closed, the last lines and power-off ({@link #poweringOff}). A queue there closes in
     * two posted tasks (its vCPU's half, then the boot vCPU's, which writes the device's
     * closing line and gives back what it held), as Linux's {@code xenvif_disconnect} and
     * {@code xen_blkif_disconnect} stop their kthreads before they go on; powering off before
     * that would lose both. The store's removal of the last domain's devices is a task already
     * queued on this loop (its watch fired inside the destroy), so the wait begins after it.
     * The wait is for dom0's own queues, and bounded: {@link #QUEUE_CLOSE_TIMEOUT}.
     */
    private void finish() {
        if (finishing || done.isDone()) {
            return;
        }
        finishing = true;
        if (domExc != null) {
            domExc.close();
        }
        if (consoleInput != null) {
            consoleInput.close();
        }
        if (socketClients != null) {
            socketClients.close();
        }
        k.loop().execute(() -> {
            if (blkback.queuesClosing().isEmpty() && netback.queuesClosing().isEmpty()) {
                poweringOff();
                return;
            }
            boolean[] over = new boolean[1];
            org.parasol.guest.sched.Timer timer = k.after(QUEUE_CLOSE_TIMEOUT, () -> {
                if (!over[0]) {
                    over[0] = true;
                    List<String> left = new ArrayList<>(blkback.queuesClosing());
                    left.addAll(netback.queuesClosing());
                    k.println("dom0: back-end queues still closing after " + XlShell.seconds(QUEUE_CLOSE_TIMEOUT)
                            + ", powering off without them: " + String.join(", ", left));
                    poweringOff();
                }
            });
            blkback.whenQueuesClosed(() -> netback.whenQueuesClosed(() -> {
                if (!over[0]) {
                    over[0] = true;
                    timer.cancel();
                    poweringOff();
                }
            }));
        });
    }

    /** The last lines; dom0's application ends, and with it dom0 (it powers off). */
    private void poweringOff() {
        k.println("dom0: every domain is gone; powering off");
        try {
            k.println("dom0: xenstored: " + xenstored.store().size() + " nodes left; /local/domain lists "
                    + xenstored.domainsListed() + "; " + xenstored.connectedRings() + " rings connected");
            k.println("dom0: xenstored: @introduceDomain fired " + xenstored.introduceEvents() + " times, @releaseDomain "
                    + xenstored.releaseEvents() + " times");
        } catch (XsException e) {
            k.println("dom0: xenstored: cannot list /local/domain: " + e.getMessage());
        }
        done.complete(reaped);
    }

    // ---------------------------------------------------------------- shutdown requests and xl

    /**
     * The shutdown timeout ran out: a domain that has shut down meanwhile is reaped as usual;
     * one still up is destroyed, as {@code xendomains} does after {@code xl shutdown}.
     */
    private void timedOut(int domid, ShutdownRequest request) {
        if (!live.containsKey(domid)) {
            return;
        }
        DomctlCalls.DomainInfo info = builder.domctl().getDomainInfo(DomId.of(domid));
        if (info.result() >= 0 && info.shutdown()) {
            reap();
            return;
        }
        destroy(domid, "did not " + (request == ShutdownRequest.REBOOT ? "reboot" : "shut down") + " within "
                + XlShell.seconds(pvControl.timeout()) + " of the " + request.word() + " request; ");
    }

    /**
     * libxl's {@code libxl_domain_destroy}: the store lets go of the domain, then its memory
     * goes. No on_* action follows: a destroyed domain is not restarted.
     */
    private void destroy(int domid, String because) {
        Live l = live.remove(domid);
        String name = l != null ? l.name() : preserved.remove(domid);
        if (name == null) {
            return;
        }
        pvControl.forget(domid);
        nics.forget(domid);
        xenstored.forgetDomain(domid);
        long rc = builder.domctl().destroyDomain(DomId.of(domid));
        k.println("dom0: d" + domid + " (" + name + ") " + because
                + (rc == 0 ? "destroyed" : "destroy failed (" + Builder.errnoName(rc) + ")"));
        if (l != null) {
            reaped++;
        }
        xl.ended(domid, "has been destroyed");
        finishIfIdle();
    }

    /** What {@link XlShell} sees of dom0: the domains, and destroy. */
    /** How long {@code xl block-detach} waits for the back end to close before removing the device anyway (libxl: 10 s). */
    /** libxl's {@code LIBXL_MAXMEM_CONSTANT}: KiB above a mem-set target that {@code max_pages} allows. */
    static final long MAXMEM_SLACK_KIB = 1024;

    static final Duration DETACH_TIMEOUT = Duration.ofSeconds(10);

    private String blockAttach(int domid, DeviceSpec disk) {
        int back = liveNamed(disk.backend());
        if (back < 0 || back == domid) {
            return "block-attach: no running domain '" + disk.backend() + "' to serve the disk";
        }
        java.nio.file.Path target = java.nio.file.Path.of(disk.params().get("target"));
        if (!java.nio.file.Files.isRegularFile(target) || !java.nio.file.Files.isReadable(target)) {
            return "block-attach: " + target + ": not a readable regular file";
        }
        try {
            xenstored.addDevice(domid, back, disk.kind(), disk.devid(), disk.backendKeys(), disk.frontendKeys());
        } catch (XsException e) {
            return "block-attach: " + e.getMessage();
        }
        return "d" + domid + ": " + disk.params().get("vdev") + " (" + disk.devid() + ") attached from " + target
                + ", served by d" + back;
    }

    /** {@code xl network-attach}: the next free vif number, its nodes written as at build time; the back end takes it from there. */
    private String networkAttach(int domid, DeviceSpec vif) {
        int back = liveNamed(vif.backend());
        if (back < 0 || back == domid) {
            return "network-attach: no running domain '" + vif.backend() + "' to serve the vif";
        }
        int devid = vif.devid();
        if (devid < 0) {
            devid = 0;
            for (XsDevices.Device d : xenstored.devices().of(domid)) {
                if (d.front() == domid && d.kind().equals(DeviceSpec.VIF)) {
                    devid = Math.max(devid, d.devid() + 1);
                }
            }
        } else if (xenstored.devices().find(domid, DeviceSpec.VIF, devid) != null) {
            return "network-attach: d" + domid + " has a vif " + devid + " already";
        }
        DeviceSpec spec = vif.withDevid(devid);
        try {
            xenstored.addDevice(domid, back, spec.kind(), devid, spec.vifBackendKeys(domid), spec.vifFrontendKeys(domid));
        } catch (XsException e) {
            return "network-attach: " + e.getMessage();
        }
        return "d" + domid + ": vif " + devid + " (" + spec.mac(domid) + ") attached to bridge " + spec.params().get("bridge")
                + ", served by d" + back;
    }

    /** {@code xl network-detach}: by devid or MAC, as block-detach removes a disk. */
    private String networkDetach(int domid, String devidOrMac) {
        for (XsDevices.Device d : xenstored.devices().of(domid)) {
            if (d.front() != domid || !d.kind().equals(DeviceSpec.VIF)) {
                continue;
            }
            if (Integer.toString(d.devid()).equals(devidOrMac)
                    || devidOrMac.equalsIgnoreCase(orDash(xenstored.read(d.backendPath() + "/mac")))) {
                return detach(domid, DeviceSpec.VIF, d.devid(), "vif");
            }
        }
        return "network-detach: d" + domid + " has no vif '" + XlCommand.quote(devidOrMac) + "'";
    }

    private List<String> networkList(int domid) {
        List<String> out = new ArrayList<>();
        for (XsDevices.Device d : xenstored.devices().of(domid)) {
            if (d.front() != domid || !d.kind().equals(DeviceSpec.VIF)) {
                continue;
            }
            String fe = d.frontendPath();
            // Several queues: queue 0's rings and port; split channels: the TX ring's port.
            String q = xenstored.read(fe + "/multi-queue-num-queues") == null ? fe : fe + "/queue-0";
            String evt = xenstored.read(q + "/event-channel");
            out.add(String.format("%-3d %-2d %-17s %-6d %-5s %-6s %-15s %s", d.devid(), d.back(),
                    orDash(xenstored.read(d.backendPath() + "/mac")), d.devid(), orDash(xenstored.read(fe + "/state")),
                    orDash(evt != null ? evt : xenstored.read(q + "/event-channel-tx")),
                    orDash(xenstored.read(q + "/tx-ring-ref")) + "/" + orDash(xenstored.read(q + "/rx-ring-ref")),
                    d.backendPath()));
        }
        return out;
    }

    private String blockDetach(int domid, int devid) {
        return detach(domid, DeviceSpec.VBD, devid, "disk");
    }

    /** libxl's device removal: the back end asked to close, the nodes removed once it has (or after a timeout). */
    private String detach(int domid, String kind, int devid, String what) {
        String verb = kind.equals(DeviceSpec.VBD) ? "block-detach" : "network-detach";
        XsDevices.Device d = xenstored.devices().find(domid, kind, devid);
        if (d == null) {
            return verb + ": d" + domid + " has no " + what + " " + devid;
        }
        String be = d.backendPath();
        String token = "detach-" + kind + "-" + domid + "-" + devid;
        boolean[] over = new boolean[1];
        Runnable finish = () -> {
            if (!over[0]) {
                over[0] = true;
                xenstored.unwatch(be + "/state", token);
                xenstored.devices().remove(d);
                k.println("dom0: xl: d" + domid + "'s " + what + " " + devid + " detached");
            }
        };
        // libxl__initiate_device_generic_remove: online 0, state Closing; wait for Closed.
        try {
            xenstored.write(be + "/online", "0");
            xenstored.write(be + "/state", Integer.toString(org.parasol.hypercall.abi.XenbusState.CLOSING.wire()));
        } catch (XsException e) {
            finish.run();
            return verb + ": the back end's nodes: " + e.getMessage() + "; removed";
        }
        org.parasol.guest.sched.Timer timer = k.after(DETACH_TIMEOUT, () -> {
            if (!over[0]) {
                k.println("dom0: xl: d" + domid + "'s " + what + " " + devid + ": the back end did not close within "
                        + XlShell.seconds(DETACH_TIMEOUT) + "; removing it anyway");
                finish.run();
            }
        });
        try {
            xenstored.watch(be + "/state", token, changed -> {
                String state = xenstored.read(be + "/state");
                // Closed, or gone: the domain went meanwhile and its devices with it.
                if (state == null || Integer.toString(org.parasol.hypercall.abi.XenbusState.CLOSED.wire()).equals(state)) {
                    // Not inside the store operation that fired: remove on the run loop.
                    k.loop().execute(() -> {
                        timer.cancel();
                        finish.run();
                    });
                }
            });
        } catch (XsException e) {
            timer.cancel();
            finish.run();
        }
        return "d" + domid + "'s " + what + " " + devid + ": asked the back end to close";
    }

    private List<String> blockList(int domid) {
        List<String> out = new ArrayList<>();
        for (XsDevices.Device d : xenstored.devices().of(domid)) {
            if (d.front() != domid || !d.kind().equals(DeviceSpec.VBD)) {
                continue;
            }
            String fe = d.frontendPath();
            out.add(String.format("%-6s %-3d %-6d %-5s %-6s %-8s %s", org.parasol.drivers.blk.Vbd.name(d.devid()), d.back(),
                    d.devid(), orDash(xenstored.read(fe + "/state")), orDash(xenstored.read(fe + "/event-channel")),
                    orDash(xenstored.read(fe + "/ring-ref")), d.backendPath()));
        }
        return out;
    }

    /**
     * {@code xl devstat}: the back ends' counters, one line per device, as xentop reads them
     * from dom0 (a vbd's {@code statistics/}, a vif's {@code /proc/net/dev} line, turned to the
     * guest's side), the emulated NICs of native domains among the vifs.
     */
    private List<String> devstat() {
        List<String> out = new ArrayList<>();
        for (org.parasol.drivers.blk.VbdStatistics s : blkback.statistics()) {
            out.add("d" + s.front() + " vbd " + s.devid() + " oo=" + s.ooReq() + " rd=" + s.rdReq() + " wr=" + s.wrReq()
                    + " f=" + s.fReq() + " ds=" + s.dsReq() + " rsect=" + s.rdSect() + " wsect=" + s.wrSect());
        }
        List<org.parasol.drivers.net.VifStatistics> vifs = new ArrayList<>(netback.statistics());
        vifs.addAll(nics.statistics());
        for (org.parasol.drivers.net.VifStatistics s : vifs) {
            out.add("d" + s.front() + " vif " + s.devid() + " tx_bytes=" + s.txBytes() + " tx_packets=" + s.txPackets()
                    + " tx_errors=" + s.txErrors() + " rx_bytes=" + s.rxBytes() + " rx_packets=" + s.rxPackets()
                    + " rx_dropped=" + s.rxDropped());
        }
        return out;
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }

    private final class Shell implements XlShell.Toolstack {
        @Override
        public String blockAttach(int domid, DeviceSpec disk) {
            return Dom0Kernel.this.blockAttach(domid, disk);
        }

        @Override
        public String blockDetach(int domid, int devid) {
            return Dom0Kernel.this.blockDetach(domid, devid);
        }

        @Override
        public List<String> blockList(int domid) {
            return Dom0Kernel.this.blockList(domid);
        }

        @Override
        public String networkAttach(int domid, DeviceSpec vif) {
            return Dom0Kernel.this.networkAttach(domid, vif);
        }

        @Override
        public String networkDetach(int domid, String devidOrMac) {
            return Dom0Kernel.this.networkDetach(domid, devidOrMac);
        }

        @Override
        public List<String> networkList(int domid) {
            return Dom0Kernel.this.networkList(domid);
        }

        @Override
        public List<String> devstat() {
            return Dom0Kernel.this.devstat();
        }

        @Override
        public Map<Integer, String> running() {
            Map<Integer, String> names = new LinkedHashMap<>();
            live.forEach((id, l) -> names.put(id, l.name()));
            return names;
        }

        @Override
        public Map<Integer, String> preserved() {
            return preserved;
        }

        @Override
        public void destroy(int domid) {
            Dom0Kernel.this.destroy(domid, "");
        }

        @Override
        public DomctlCalls domctl() {
            return builder.domctl();
        }

        @Override
        public boolean ended() {
            return finishing || done.isDone();
        }

        @Override
        public void shuttingDownAll() {
            shuttingDownAll = true;
            // Nothing running: a long-running host's dom0 ends now (else after the last domain).
            k.execute(Dom0Kernel.this::finishIfIdle);
        }

        @Override
        public void rename(int domid, String name) {
            Dom0Kernel.this.rename(domid, name);
        }

        @Override
        public void create(String domainLine, boolean paused) {
            Dom0Kernel.this.createLine(domainLine, paused);
        }

        @Override
        public String memSet(int domid, long targetKiB) {
            return Dom0Kernel.this.memSet(domid, targetKiB);
        }

        @Override
        public String vcpuSet(int domid, int vcpus) {
            return Dom0Kernel.this.vcpuSet(domid, vcpus);
        }
    }

    /**
     * libxl's {@code libxl_set_memory_target}: a target above {@code memory/static-max} (xl's
     * maxmem) is refused with libxl's words; else it goes to {@code memory/target}, which the
     * guest's balloon watches. As xl's {@code mem-set} asks ({@code enforce}), the domain's
     * {@code max_pages} first becomes the target plus libxl's {@value #MAXMEM_SLACK_KIB} KiB of
     * slack ({@code LIBXL_MAXMEM_CONSTANT}), so a guest that ignores the target cannot grow past
     * it; a domain above it keeps what it has and may allocate nothing more until it is below.
     */
    private String memSet(int domid, long targetKiB) {
        String dom = org.parasol.toolstack.xenstore.XsPath.domainPath(domid);
        String staticMax = xenstored.read(dom + "/memory/static-max");
        long max;
        try {
            max = Long.parseLong(staticMax);
        } catch (NumberFormatException | NullPointerException e) {
            return "mem-set: d" + domid + ": cannot read memory/static-max";
        }
        if (targetKiB > max) {
            return "mem-set: d" + domid + ": memory_dynamic_max must be less than or equal to memory_static_max ("
                    + targetKiB + " KiB > " + max + " KiB, maxmem) (EINVAL)";
        }
        long rc = builder.domctl().maxMem(DomId.of(domid), targetKiB + MAXMEM_SLACK_KIB);
        if (rc < 0) {
            return "mem-set: d" + domid + ": xc_domain_setmaxmem memkb=" + (targetKiB + MAXMEM_SLACK_KIB) + " failed ("
                    + Errno.name(-rc) + ")";
        }
        try {
            xenstored.write(dom + "/memory/target", Long.toString(targetKiB));
        } catch (XsException e) {
            return "mem-set: d" + domid + ": " + e.getMessage();
        }
        return "d" + domid + ": memory target " + targetKiB + " KiB (maxmem " + max + " KiB)";
    }

    /**
     * libxl's {@code libxl_set_vcpuonline}: {@code cpu/K/availability} for every K below the
     * domain's maxvcpus, {@code online} below {@code vcpus}; more than maxvcpus is refused with
     * libxl's words.
     */
    private String vcpuSet(int domid, int vcpus) {
        Live l = live.get(domid);
        if (l == null) {
            return "vcpu-set: d" + domid + " is not running";
        }
        int max = l.spec().maxVcpus();
        if (vcpus < 1 || vcpus > max) {
            return "vcpu-set: d" + domid + ": Requested " + vcpus + " VCPUs, however maxcpus is " + max + "! (EINVAL)";
        }
        String dom = org.parasol.toolstack.xenstore.XsPath.domainPath(domid);
        try {
            for (int i = 0; i < max; i++) {
                xenstored.write(dom + "/cpu/" + i + "/availability", i < vcpus ? "online" : "offline");
            }
        } catch (XsException e) {
            return "vcpu-set: d" + domid + ": " + e.getMessage();
        }
        return "d" + domid + ": " + vcpus + " of " + max + " vCPUs online";
    }

    private static String reason(int code) {
        return switch (code) {
            case Shutdown.POWEROFF -> "poweroff";
            case Shutdown.REBOOT -> "reboot";
            case Shutdown.SUSPEND -> "suspend";
            case Shutdown.CRASH -> "crash";
            case Shutdown.WATCHDOG -> "watchdog";
            case Shutdown.SOFT_RESET -> "soft_reset";
            default -> "code " + code;
        };
    }
}
