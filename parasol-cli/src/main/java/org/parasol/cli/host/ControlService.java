package org.parasol.cli.host;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.ConsoleData;
import org.parasol.control.v1.DomainEvent;
import org.parasol.control.v1.DomainEventKind;
import org.parasol.control.v1.DomainInfo;
import org.parasol.control.v1.DomainInfoList;
import org.parasol.control.v1.DomainRef;
import org.parasol.control.v1.DomainStatistics;
import org.parasol.control.v1.DomainStatisticsList;
import org.parasol.control.v1.Done;
import org.parasol.control.v1.HostInfo;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;
import org.parasol.control.v1.ShutdownReason;
import org.parasol.control.v1.StreamEnd;
import org.parasol.control.v1.TextLines;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.abi.Runstate;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.Domain;
import org.parasol.hypervisor.domain.DomainState;
import org.parasol.hypervisor.domain.Vcpu;
import org.parasol.hypervisor.domain.Virtualization;

/**
 * What the control API's requests do on a running host. The hypervisor's own mechanism
 * (list, pause, unpause, statistics, consoles, events) is read and driven directly; what is the
 * toolstack's (create, shut down, reboot, destroy, the block devices) goes to dom0 as the xl
 * line it carries out ({@link Dom0Console}), one at a time on a single toolstack thread with a
 * bounded queue, so the event loop never waits for dom0.
 *
 * <p>Every failure is an errno with its Xen name: ESRCH (no such domain), EEXIST (the name is
 * taken), EPERM (domain 0), ENOMEM (the host cannot fit it), EINVAL (a wrong request), EBUSY
 * (too many requests queued), ETIMEDOUT (dom0 did not answer), EOPNOTSUPP.
 */
public final class ControlService implements AutoCloseable {
    static final int EPERM = Errno.EPERM;
    static final int ENOENT = Errno.ENOENT;
    static final int ESRCH = Errno.ESRCH;
    static final int ENOMEM = 12;
    static final int EACCES = Errno.EACCES;
    static final int EBUSY = Errno.EBUSY;
    static final int EEXIST = Errno.EEXIST;
    static final int EINVAL = Errno.EINVAL;
    static final int EMSGSIZE = Errno.EMSGSIZE;
    static final int EPROTONOSUPPORT = 93;
    static final int EOPNOTSUPP = Errno.EOPNOTSUPP;
    static final int ENODEV = Errno.ENODEV;
    static final int EAGAIN = Errno.EAGAIN;
    static final int ETIMEDOUT = Errno.ETIMEDOUT;

    /** How long the host waits for dom0 to answer an xl line. */
    static final long DOM0_ANSWER_MILLIS = 30_000;
    /** The most vCPUs a domain may ask for (the hypervisor's DomainConfig). */
    public static final int VCPUS_MAX = 32;

    /** Builds the boot-module line dom0 reads for a create (the CLI's {@code Dom0Module}). */
    public interface CreateLine {
        /**
         * The line for {@code config}, or an IllegalArgumentException naming what is wrong
         * (an image not found, a disk that cannot be made).
         */
        String line(org.parasol.control.v1.DomainConfig config);
    }

    private final Hypervisor hv;
    private final Dom0Console dom0;
    private final HostLog log;
    private final CreateLine createLine;
    private final String socket;
    private final ThreadPoolExecutor toolstack;
    /** dom0's last answer of device counters, and whether a request for the next is queued. */
    private final DeviceCounters devices = new DeviceCounters();
    private final java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean();
    private final Set<Consumer<DomainEvent>> eventWatchers = new CopyOnWriteArraySet<>();
    /** Console streams by domain id, ended when the domain is destroyed. */
    private final Map<Integer, Set<Runnable>> consoleEnds = new ConcurrentHashMap<>();
    /** create -c: the console stream to open when dom0 has built the domain of this name, before it runs. */
    private final Map<String, Consumer<Domain>> consoleOnCreate = new ConcurrentHashMap<>();
    /** Console input waiting for room in each domain's ring, by domid (dropped when it dies). */
    private final Map<Integer, ConsoleInputQueue> consoleInput = new ConcurrentHashMap<>();

    public ControlService(Hypervisor hv, HostLog log, CreateLine createLine, String socket) {
        this.hv = hv;
        this.log = log;
        this.createLine = createLine;
        this.socket = socket;
        this.dom0 = new Dom0Console(hv);
        this.toolstack = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), r -> {
            Thread t = new Thread(r, "control-api-toolstack");
            t.setDaemon(true);
            return t;
        });
        hv.onDomainCreated(d -> {
            if (d.domid() == 0) {
                d.console().subscribe(this::dom0Line);
            }
            Consumer<Domain> attach = consoleOnCreate.remove(d.name());
            if (attach != null) {
                attach.accept(d);
            }
            event(DomainEventKind.DOMAIN_EVENT_KIND_CREATED, d, ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED, "");
        });
        hv.onShutdown(d -> event(d.shutdownReason() == Shutdown.CRASH ? DomainEventKind.DOMAIN_EVENT_KIND_CRASHED
                : DomainEventKind.DOMAIN_EVENT_KIND_SHUTDOWN, d, reason(d.shutdownReason()),
                d.crashCause() == null ? "" : d.crashCause()));
        hv.onDomainDestroyed(d -> {
            event(DomainEventKind.DOMAIN_EVENT_KIND_DESTROYED, d, reason(d.shutdownReason()), "");
            consoleInput.remove(d.domid());
            Set<Runnable> ends = consoleEnds.remove(d.domid());
            if (ends != null) {
                // After the console's last lines, which its own thread delivers.
                ends.forEach(e -> d.console().afterDelivery(e));
            }
        });
    }

    /** dom0's console: the host's log (not the guests' consoles), and the toolstack's answers. */
    private void dom0Line(String line) {
        if (!Dom0Console.isSentinel(line) && !line.startsWith(DeviceCounters.PREFIX)) {
            log.line("[Domain-0] " + line);
        }
        dom0.line(line);
    }

    /** Carries out {@code r} for {@code c}: the reply (or the stream) goes to {@code c}. */
    void handle(Request r, Connection c) {
        long id = r.getId();
        switch (r.getOpCase()) {
            case LIST -> c.send(Response.newBuilder().setId(id).setDomains(list()).build());
            case HOST_INFO -> c.send(Response.newBuilder().setId(id).setHostInfo(hostInfo()).build());
            case DMESG -> c.send(Response.newBuilder().setId(id)
                    .setLines(TextLines.newBuilder().addAllLines(log.last(r.getDmesg().getLastLines()))).build());
            case PAUSE -> withDomain(r, c, r.getPause().getDomain(), true, d -> {
                int rc = d.pauseByController();
                if (rc == 0) {
                    event(DomainEventKind.DOMAIN_EVENT_KIND_PAUSED, d, ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED, "");
                }
                return rc < 0 ? Connection.error(id, -rc, "cannot pause d" + d.domid()) : done(id);
            });
            case UNPAUSE -> withDomain(r, c, r.getUnpause().getDomain(), true, d -> {
                int rc = d.unpauseByController();
                if (rc == 0) {
                    event(DomainEventKind.DOMAIN_EVENT_KIND_UNPAUSED, d, ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED, "");
                }
                return rc < 0 ? Connection.error(id, -rc, "d" + d.domid() + " is not paused") : done(id);
            });
            case CREATE -> onToolstack(r, c, () -> create(r, c));
            case DESTROY -> withDomain(r, c, r.getDestroy().getDomain(), true,
                    d -> queued(r, c, () -> destroy(id, d)));
            case SHUTDOWN -> withDomain(r, c, r.getShutdown().getDomain(), true, d -> queued(r, c, () -> shutdown(r, d, c)));
            case BLOCK -> withDomain(r, c, r.getBlock().getDomain(), true, d -> queued(r, c, () -> device(r, d, "block",
                    r.getBlock().getOp(), r.getBlock().getDevice())));
            case NETWORK -> withDomain(r, c, r.getNetwork().getDomain(), true, d -> queued(r, c, () -> device(r, d,
                    "network", r.getNetwork().getOp(), r.getNetwork().getDevice())));
            case CONSOLE -> withDomain(r, c, r.getConsole().getDomain(), false, d -> console(r.getId(), d, c));
            case CONSOLE_INPUT -> withDomain(r, c, r.getConsoleInput().getDomain(), false,
                    d -> consoleInput(id, d, r.getConsoleInput().getData().toByteArray(), c));
            case EVENTS -> events(id, c);
            case STATISTICS -> statistics(r, c);
            case CANCEL -> {
                long stream = r.getCancel().getStreamId();
                if (c.endStream(stream)) {
                    c.send(Response.newBuilder().setId(stream).setEnd(StreamEnd.newBuilder().setReason("cancelled")).build());
                    c.send(done(id));
                } else {
                    c.send(Connection.error(id, ESRCH, "no stream " + stream + " on this connection"));
                }
            }
            case MEM_SET -> withDomain(r, c, r.getMemSet().getDomain(), true, d -> queued(r, c, () -> memSet(r, d)));
            case VCPU_SET -> withDomain(r, c, r.getVcpuSet().getDomain(), true, d -> queued(r, c, () -> vcpuSet(r, d)));
            case RENAME -> withDomain(r, c, r.getRename().getDomain(), true,
                    d -> queued(r, c, () -> rename(id, d, r.getRename().getNewName())));
            case OP_NOT_SET -> c.send(Connection.error(id, EINVAL, "a request with no operation (or one this host does"
                    + " not know: protocol version " + ControlClient.VERSION + ")"));
        }
    }

    private static Response done(long id) {
        return Response.newBuilder().setId(id).setDone(Done.getDefaultInstance()).build();
    }

    /** Resolves {@code ref}; {@code notDom0}: domain 0 is refused with EPERM. */
    private void withDomain(Request r, Connection c, DomainRef ref, boolean notDom0, Function<Domain, Response> then) {
        Optional<Domain> d = find(ref);
        if (d.isEmpty()) {
            c.send(Connection.error(r.getId(), ESRCH, "no domain " + describe(ref)));
            return;
        }
        if (notDom0 && d.get().domid() == 0) {
            c.send(Connection.error(r.getId(), EPERM, "not domain 0: the host ends it (SIGTERM to parasol host)"));
            return;
        }
        Response resp = then.apply(d.get());
        if (resp != null) {
            c.send(resp);
        }
    }

    private Optional<Domain> find(DomainRef ref) {
        Optional<Domain> d = switch (ref.getIdCase()) {
            case DOMID -> ref.getDomid() > 0x7fef ? Optional.empty() : hv.domain((int) ref.getDomid());
            case NAME -> hv.domain(ref.getName());
            case ID_NOT_SET -> Optional.empty();
        };
        return d.filter(x -> x.state() != DomainState.DEAD);
    }

    private static String describe(DomainRef ref) {
        return switch (ref.getIdCase()) {
            case DOMID -> Integer.toUnsignedString(ref.getDomid());
            case NAME -> "'" + ref.getName() + "'";
            case ID_NOT_SET -> "(none named)";
        };
    }

    /** Runs {@code work} on the toolstack thread; EBUSY when its queue is full. */
    private void onToolstack(Request r, Connection c, java.util.function.Supplier<Response> work) {
        try {
            toolstack.execute(() -> {
                Response resp;
                try {
                    resp = work.get();
                } catch (RuntimeException e) {
                    log.line("control API: " + r.getOpCase() + " failed: " + e);
                    resp = Connection.error(r.getId(), EINVAL, "the host failed: " + e);
                }
                if (resp != null) {
                    c.send(resp);
                }
            });
        } catch (RejectedExecutionException e) {
            c.send(Connection.error(r.getId(), EBUSY, "the toolstack has " + toolstack.getQueue().size()
                    + " requests queued; try again"));
        }
    }

    private Response queued(Request r, Connection c, java.util.function.Supplier<Response> work) {
        onToolstack(r, c, work);
        return null;
    }

    // ---------------------------------------------------------------- the toolstack's verbs

    private Response create(Request r, Connection c) {
        long id = r.getId();
        org.parasol.control.v1.DomainConfig cfg = r.getCreate().getConfig();
        String name = cfg.getName();
        if (name.isEmpty() || name.length() > 64 || !name.matches("[A-Za-z0-9_.-]+") || name.equals("Domain-0")) {
            return Connection.error(id, EINVAL, "name: 1 to 64 of [A-Za-z0-9_.-], not Domain-0");
        }
        if (hv.domain(name).filter(d -> d.state() != DomainState.DEAD).isPresent()) {
            return Connection.error(id, EEXIST, "a domain named '" + name + "' exists already");
        }
        // DomainConfig.vcpus: 0 means 1, as an xl.cfg without `vcpus` means.
        if (cfg.getVcpus() < 0 || cfg.getVcpus() > VCPUS_MAX) { // uint32: above 2^31 reads negative
            return Connection.error(id, EINVAL, "vcpus: 1.." + VCPUS_MAX + ", not " + Integer.toUnsignedString(cfg.getVcpus()));
        }
        if (!cfg.getVirt().isEmpty()) {
            try {
                Virtualization.parse(cfg.getVirt());
            } catch (IllegalArgumentException e) {
                return Connection.error(id, EINVAL, e.getMessage());
            }
        }
        long memKiB = cfg.getMemoryMib() * 1024;
        long maxKiB = Math.max(memKiB, cfg.getMaxmemMib() * 1024);
        if (cfg.getMemoryMib() < 1 || cfg.getMemoryMib() > 1 << 20) {
            return Connection.error(id, EINVAL, "memory: 1..1048576 MiB, not " + cfg.getMemoryMib());
        }
        long freeKiB = hv.freeFrames() * 4;
        if (maxKiB > freeKiB) {
            return Connection.error(id, ENOMEM, "'" + name + "' needs " + maxKiB + " KiB; the host has " + freeKiB
                    + " KiB free (short by " + (maxKiB - freeKiB) + " KiB; start the host with a larger --memory)");
        }
        boolean progress = r.getCreate().getReportProgress();
        if (progress) {
            progress(c, id, "image and disks", 0, 1, "steps");
        }
        String line;
        try {
            line = createLine.line(cfg);
        } catch (IllegalArgumentException e) {
            return Connection.error(id, ENOENT, e.getMessage());
        }
        long totalPages = memKiB / 4;
        io.netty.util.concurrent.ScheduledFuture<?> sampler = null;
        if (progress) {
            progress(c, id, "image and disks", 1, 1, "steps");
            progress(c, id, "memory", 0, totalPages, "pages");
            // dom0 populates the domain's memory (XENMEM_populate_physmap) while it builds it:
            // the hypervisor's tot_pages for the new name is how far it got.
            long[] last = {0};
            sampler = c.every(50, () -> hv.domain(name).filter(d -> d.state() != DomainState.DEAD).ifPresent(d -> {
                long now = Math.min(d.memoryKiB() / 4, totalPages);
                if (now != last[0]) {
                    last[0] = now;
                    progress(c, id, "memory", now, totalPages, "pages");
                }
            }));
        }
        if (r.getCreate().getAttachConsole()) {
            consoleOnCreate.put(name, d -> {
                Response err = console(id, d, c);
                if (err != null) {
                    c.send(err);
                }
            });
        }
        List<String> answer = ask("xl create " + (r.getCreate().getPaused() ? "-p " : "") + line);
        consoleOnCreate.remove(name);
        if (sampler != null) {
            sampler.cancel(false);
        }
        if (answer == null) {
            return Connection.error(id, ETIMEDOUT, "dom0 did not answer within " + DOM0_ANSWER_MILLIS / 1000 + " s");
        }
        String built = Dom0Console.find(answer, l -> l.startsWith("dom0: built d") && l.contains(" (" + name + ") "));
        if (built != null) {
            int domid = Integer.parseInt(built.substring("dom0: built d".length(), built.indexOf(' ', "dom0: built d".length())));
            Optional<Domain> d = hv.domain(domid);
            log.line("control API: created d" + domid + " (" + name + ")");
            if (progress) {
                progress(c, id, "memory", totalPages, totalPages, "pages");
            }
            return d.map(x -> Response.newBuilder().setId(id).setDomain(info(x)).build()).orElse(done(id));
        }
        String why = Dom0Console.find(answer, l -> l.startsWith("dom0: cannot create") || l.startsWith("dom0: xl: create"));
        if (why == null) {
            why = String.join(" / ", answer);
        }
        int errno = why.contains("EEXIST") || why.contains("name is taken") ? EEXIST
                : why.contains("ENOMEM") ? ENOMEM : why.contains("ENOENT") ? ENOENT : EINVAL;
        return Connection.error(id, errno, why.replaceFirst("^dom0: (xl: )?", "dom0: "));
    }

    /**
     * xl rename: the hypervisor's claim on the new name first (so no create can take it
     * meanwhile), then dom0's records and the store; a refusal by dom0 gives the old name back.
     */
    private Response rename(long id, Domain d, String name) {
        if (name.isEmpty() || name.length() > 64 || !name.matches("[A-Za-z0-9_.-]+") || name.equals("Domain-0")) {
            return Connection.error(id, EINVAL, "new name: 1 to 64 of [A-Za-z0-9_.-], not Domain-0");
        }
        String old = d.name();
        if (old.equals(name)) {
            return done(id);
        }
        if (!hv.renameDomain(d, name)) {
            return Connection.error(id, EEXIST, "a domain named '" + name + "' exists already");
        }
        List<String> answer = ask("xl rename " + d.domid() + " " + name);
        String renamed = answer == null ? null
                : Dom0Console.find(answer, l -> l.startsWith("dom0: renamed d" + d.domid() + " "));
        if (renamed != null) {
            log.line("control API: renamed d" + d.domid() + " (" + old + ") to " + name);
            return done(id);
        }
        hv.renameDomain(d, old);
        if (answer == null) {
            return Connection.error(id, ETIMEDOUT, "dom0 did not answer within " + DOM0_ANSWER_MILLIS / 1000 + " s");
        }
        String why = Dom0Console.find(answer, l -> l.startsWith("dom0: xl: rename") || l.contains("invalid domain"));
        why = why == null ? String.join(" / ", answer) : why;
        int errno = why.contains("EEXIST") ? EEXIST : why.contains("ESRCH") || why.contains("invalid domain") ? ESRCH
                : EINVAL;
        return Connection.error(id, errno, why.replaceFirst("^dom0: (xl: )?", "dom0: "));
    }

    /** One progress item of request {@code id} (dropped, like any stream item, for a client that does not read). */
    private static void progress(Connection c, long id, String stage, long done, long total, String unit) {
        c.sendStreamed(Response.newBuilder().setId(id).setProgress(org.parasol.control.v1.Progress.newBuilder()
                .setStage(stage).setDone(done).setTotal(total).setUnit(unit)).build());
    }

    private List<String> ask(String xlLine) {
        try {
            return dom0.run(xlLine, DOM0_ANSWER_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private Response destroy(long id, Domain d) {
        List<String> answer = ask("xl destroy " + d.domid());
        if (answer == null) {
            return Connection.error(id, ETIMEDOUT, "dom0 did not answer within " + DOM0_ANSWER_MILLIS / 1000 + " s");
        }
        if (Dom0Console.find(answer, l -> l.contains("invalid domain identifier")) != null) {
            return Connection.error(id, ESRCH, "d" + d.domid() + " is not one dom0 built");
        }
        try {
            d.awaitDeath(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.line("control API: destroyed d" + d.domid() + " (" + d.name() + ")");
        return done(id);
    }

    private Response shutdown(Request r, Domain d, Connection c) {
        long id = r.getId();
        boolean reboot = r.getShutdown().getReason() == ShutdownReason.SHUTDOWN_REASON_REBOOT;
        if (r.getShutdown().getReason() != ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED && !reboot
                && r.getShutdown().getReason() != ShutdownReason.SHUTDOWN_REASON_POWEROFF) {
            return Connection.error(id, EINVAL, "a shutdown asks for poweroff or reboot");
        }
        List<String> answer = ask("xl " + (reboot ? "reboot " : "shutdown ") + d.domid());
        if (answer == null) {
            return Connection.error(id, ETIMEDOUT, "dom0 did not answer within " + DOM0_ANSWER_MILLIS / 1000 + " s");
        }
        String refusal = Dom0Console.find(answer, l -> l.startsWith("dom0: xl: "));
        if (refusal != null) {
            return Connection.error(id, refusal.contains("invalid domain") ? ESRCH : EINVAL, refusal);
        }
        if (!r.getShutdown().getWait() || reboot) {
            return done(id);
        }
        // -w: the reply when the domain is gone; no thread waits for it meanwhile.
        Runnable end = () -> c.send(done(id));
        consoleEnds.computeIfAbsent(d.domid(), k -> ConcurrentHashMap.newKeySet()).add(end);
        if (d.state() == DomainState.DEAD && consoleEnds.getOrDefault(d.domid(), Set.of()).remove(end)) {
            return done(id);
        }
        return null;
    }

    /** block-* and network-*: dom0's verbs of that kind, its answer as lines. */
    private Response device(Request r, Domain d, String kind, org.parasol.control.v1.BlockOp op, String device) {
        String dev = device.strip();
        if (dev.length() > 512 || !dev.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f || ch == ' ')) {
            return Connection.error(r.getId(), EINVAL, "device: printable ASCII, at most 512 characters");
        }
        String line = switch (op) {
            case BLOCK_OP_ATTACH -> "xl " + kind + "-attach " + d.domid() + " " + dev.replace(',', ' ');
            case BLOCK_OP_DETACH -> "xl " + kind + "-detach " + d.domid() + " " + dev;
            case BLOCK_OP_LIST -> "xl " + kind + "-list " + d.domid();
            default -> null;
        };
        boolean needsDevice = op == org.parasol.control.v1.BlockOp.BLOCK_OP_DETACH
                || op == org.parasol.control.v1.BlockOp.BLOCK_OP_ATTACH && kind.equals("block");
        if (line == null || needsDevice && dev.isEmpty()) {
            return Connection.error(r.getId(), EINVAL, kind + ": attach SPEC, detach DEVICE or list");
        }
        List<String> answer = ask(line);
        if (answer == null) {
            return Connection.error(r.getId(), ETIMEDOUT, "dom0 did not answer within " + DOM0_ANSWER_MILLIS / 1000 + " s");
        }
        return Response.newBuilder().setId(r.getId()).setLines(TextLines.newBuilder()
                .addAllLines(answer.stream().map(l -> l.replaceFirst("^dom0: (xl: )?", "")).toList())).build();
    }

    /**
     * {@code xl mem-set}: dom0 checks the target against the domain's maxmem and writes
     * {@code memory/target}; the guest's balloon does the rest, so the reply comes before
     * {@code list}'s Mem has moved.
     */
    private Response memSet(Request r, Domain d) {
        long kib = r.getMemSet().getTargetKib();
        if (kib > 1L << 40) {
            return Connection.error(r.getId(), EINVAL, "target_kib: at most 2^40 KiB, not " + Long.toUnsignedString(kib));
        }
        return resources(r.getId(), d, "xl mem-set " + d.domid() + " " + kib + "k");
    }

    /**
     * {@code xl vcpu-set}: the host's pCPUs checked here as xl checks them (unless
     * {@code ignore_host}), then dom0 checks the count against maxvcpus and writes each
     * {@code cpu/K/availability}.
     */
    private Response vcpuSet(Request r, Domain d) {
        int n = r.getVcpuSet().getVcpus();
        if (n < 1 || n > VCPUS_MAX) {
            return Connection.error(r.getId(), EINVAL, "vcpus: 1.." + VCPUS_MAX + " (and at most the domain's maxvcpus), not "
                    + Integer.toUnsignedString(n));
        }
        int online = onlineVcpus(d);
        int pcpus = hv.config().pcpus();
        if (!r.getVcpuSet().getIgnoreHost() && n > online && n > pcpus) {
            // xl's vcpuset(): more vCPUs online than the host has pCPUs is a mistake unless asked for.
            return Connection.error(r.getId(), EINVAL, "You are overcommitting! You have " + pcpus
                    + " physical CPUs and want " + n + " vCPUs! Aborting, use --ignore-host to continue");
        }
        return resources(r.getId(), d, "xl vcpu-set " + d.domid() + " " + n);
    }

    /** dom0's answer to a mem-set or vcpu-set line: its line, or its refusal as an errno. */
    private Response resources(long id, Domain d, String line) {
        List<String> answer = ask(line);
        if (answer == null) {
            return Connection.error(id, ETIMEDOUT, "dom0 did not answer within " + DOM0_ANSWER_MILLIS / 1000 + " s");
        }
        String said = Dom0Console.find(answer, l -> l.startsWith("dom0: xl: "));
        if (said == null) {
            return Connection.error(id, EINVAL, "dom0 said: " + String.join(" / ", answer));
        }
        said = said.substring("dom0: xl: ".length());
        if (said.contains("invalid domain identifier") || said.contains("is not running")) {
            return Connection.error(id, ESRCH, said);
        }
        if (said.contains("(EINVAL)") || said.startsWith("mem-set") || said.startsWith("vcpu-set")) {
            return Connection.error(id, EINVAL, said);
        }
        log.line("control API: " + line + ": " + said);
        return Response.newBuilder().setId(id).setLines(TextLines.newBuilder().addLines(said)).build();
    }

    // ---------------------------------------------------------------- streams

    /** A domain's console: its history from birth, then each new line, until it is destroyed or cancelled. */
    private Response console(long id, Domain d, Connection c) {
        boolean[] on = {true};
        int domid = d.domid();
        Runnable end = () -> {
            if (on[0]) {
                on[0] = false;
                c.send(Response.newBuilder().setId(id).setEnd(StreamEnd.newBuilder().setReason("d" + domid
                        + " was destroyed")).build());
            }
        };
        Consumer<String> listener = line -> {
            if (on[0]) {
                c.sendStreamed(Response.newBuilder().setId(id).setConsole(ConsoleData.newBuilder().setDomid(domid)
                        .setData(com.google.protobuf.ByteString.copyFrom(line + "\n", StandardCharsets.UTF_8))).build());
            }
        };
        // Cancelled, or the client gone: the hypervisor forgets the reader (dom0's console, which
        // never dies, would otherwise keep one per attach).
        if (!c.addStream(id, () -> {
            on[0] = false;
            d.console().unsubscribe(listener);
            Set<Runnable> s = consoleEnds.get(domid);
            if (s != null) {
                s.remove(end);
            }
        })) {
            return Connection.error(id, EBUSY, "too many streams on this connection");
        }
        consoleEnds.computeIfAbsent(domid, k -> ConcurrentHashMap.newKeySet()).add(end);
        d.console().subscribe(listener);
        if (!c.isOpen()) {
            d.console().unsubscribe(listener); // gone between the two: its close ran before the subscribe
        }
        if (d.state() == DomainState.DEAD) {
            end.run();
        }
        return null;
    }

    /**
     * Console input: the bytes go into the domain's console now (its PV console ring, or a
     * native kernel's COM1 line: {@link org.parasol.hypervisor.Hypervisor#consoleInput}), as far as it has room,
     * and the rest into its {@link ConsoleInputQueue}, retried every 10 ms on the client's
     * event loop until the guest has read them. dom0's console belongs to the host (it types
     * the toolstack's lines there): refused with EPERM.
     */
    private Response consoleInput(long id, Domain d, byte[] data, Connection c) {
        if (d.domid() == 0) {
            return Connection.error(id, EPERM, "dom0's console input is the host's (it types the toolstack's xl lines)");
        }
        if (d.consoleRing() == null && d.uart() == null) {
            return Connection.error(id, ENODEV, "d" + d.domid() + " has no console to type at (a paravirtual"
                    + " domain not built by dom0 has no console ring)");
        }
        ConsoleInputQueue q = consoleInput.computeIfAbsent(d.domid(), k -> new ConsoleInputQueue(hv, d));
        int rc = q.offer(data);
        if (rc < 0) {
            String why = switch (-rc) {
                case Errno.EAGAIN -> "d" + d.domid() + " is not reading its console: " + q.waiting()
                        + " bytes wait already; " + data.length + " more dropped";
                case Errno.EIO -> "d" + d.domid() + " broke its console ring's indices; its input is dropped";
                default -> "d" + d.domid() + " is going away";
            };
            return Connection.error(id, -rc, why);
        }
        if (q.waiting() > 0 && q.startRetrying()) {
            retryConsoleInput(q, c);
        }
        return done(id);
    }

    /** One retry of {@code q} in 10 ms on {@code c}'s event loop, and the next while bytes wait. */
    private static void retryConsoleInput(ConsoleInputQueue q, Connection c) {
        c.later(10, () -> {
            q.drain();
            if (!q.stopRetryingIfDone()) {
                retryConsoleInput(q, c);
            }
        });
    }

    private void events(long id, Connection c) {
        Consumer<DomainEvent> w = e -> c.sendStreamed(Response.newBuilder().setId(id).setEvent(e).build());
        if (!c.addStream(id, () -> eventWatchers.remove(w))) {
            c.send(Connection.error(id, EBUSY, "too many streams on this connection"));
            return;
        }
        eventWatchers.add(w);
    }

    private void statistics(Request r, Connection c) {
        long id = r.getId();
        int interval = r.getStatistics().getIntervalMs();
        if (interval == 0) {
            // One sample: dom0 is asked for its devices' counters first, on the toolstack's thread.
            queued(r, c, () -> {
                sampleDevices();
                return Response.newBuilder().setId(id).setStatistics(statistics()).build();
            });
            return;
        }
        if (interval < 100 || interval > 3_600_000) {
            c.send(Connection.error(id, EINVAL, "interval_ms: 0 (once) or 100..3600000, not " + interval));
            return;
        }
        io.netty.util.concurrent.ScheduledFuture<?>[] task = new io.netty.util.concurrent.ScheduledFuture<?>[1];
        if (!c.addStream(id, () -> {
            if (task[0] != null) {
                task[0].cancel(false);
            }
        })) {
            c.send(Connection.error(id, EBUSY, "too many streams on this connection"));
            return;
        }
        task[0] = c.every(interval, () -> c.sendStreamed(Response.newBuilder().setId(id).setStatistics(statistics()).build()));
        if (!c.isOpen()) {
            task[0].cancel(false);
        }
    }

    private void event(DomainEventKind kind, Domain d, ShutdownReason reason, String detail) {
        if (eventWatchers.isEmpty()) {
            return;
        }
        DomainEvent e = DomainEvent.newBuilder().setKind(kind).setDomid(d.domid()).setName(d.name()).setReason(reason)
                .setDetail(detail).setSystemTimeNs(hv.systemTime()).build();
        for (Consumer<DomainEvent> w : eventWatchers) {
            w.accept(e);
        }
    }

    // ---------------------------------------------------------------- what is read

    private DomainInfoList list() {
        DomainInfoList.Builder b = DomainInfoList.newBuilder();
        for (Domain d : hv.domains()) {
            if (d.state() != DomainState.DEAD) {
                b.addDomains(info(d));
            }
        }
        return b.build();
    }

    static DomainInfo info(Domain d) {
        return DomainInfo.newBuilder().setDomid(d.domid()).setName(d.name()).setState(state(d))
                .setShutdownReason(reason(d.shutdownReason())).setMemoryKib(d.memoryKiB())
                .setVcpus(onlineVcpus(d)).setCpuTimeNs(cpuTime(d)).setUptimeNs(d.uptimeNanos())
                .setMaxMemoryKib(d.maxMemoryKiB()).build();
    }

    /**
     * Every live domain's counters: the hypervisor's now, the back ends' as of dom0's last
     * answer. A stream's sample asks dom0 again (on the toolstack's thread, never the caller's)
     * when that answer is older than a second, so the next sample has fresh ones.
     */
    private DomainStatisticsList statistics() {
        long now = hv.systemTime();
        if (devices.stale(now) && sampling.compareAndSet(false, true)) {
            try {
                toolstack.execute(() -> {
                    try {
                        sampleDevices();
                    } finally {
                        sampling.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                sampling.set(false); // the toolstack is busy: the next sample asks again
            }
        }
        DeviceCounters.Sample dev = devices.last();
        DomainStatisticsList.Builder b = DomainStatisticsList.newBuilder().setSystemTimeNs(now)
                .setDevicesSampledNs(dev.at());
        for (Domain d : hv.domains()) {
            if (d.state() == DomainState.DEAD) {
                continue;
            }
            b.addDomains(dev.of(d.domid()).into(DomainStatistics.newBuilder()).setDomid(d.domid()).setName(d.name())
                    .setState(state(d)).setCpuTimeNs(cpuTime(d)).setMemoryKib(d.memoryKiB()).setVcpus(onlineVcpus(d))
                    .setHypercalls(d.hypercalls()).setFaults(d.faults()).setUptimeNs(d.uptimeNanos())
                    .setEventsSent(d.eventSends()).setGrantMaps(d.grantMaps()));
        }
        return b.build();
    }

    /** Asks dom0 for its back ends' counters ({@code xl devstat}); the toolstack's thread only. */
    private void sampleDevices() {
        List<String> answer = ask("xl devstat");
        if (answer != null) {
            devices.update(hv.systemTime(), answer);
        }
    }

    private HostInfo hostInfo() {
        return HostInfo.newBuilder().setHypervisor("parasol").setPcpus(hv.config().pcpus())
                .setTotalMemoryKib(hv.config().machineMemoryBytes() / 1024).setFreeMemoryKib(hv.freeFrames() * 4)
                .setDomains((int) hv.domains().stream().filter(d -> d.state() != DomainState.DEAD).count())
                .setUptimeNs(hv.systemTime()).setProtocolVersion(ControlClient.VERSION).setSocket(socket).build();
    }

    /** vCPUs up, as getdomaininfo's {@code nr_online_vcpus} and xl list's VCPUs column count them. */
    static int onlineVcpus(Domain d) {
        int online = 0;
        int n = d.allocatedVcpus();
        for (int i = 0; i < n; i++) {
            online += d.vcpu(i).isUp() ? 1 : 0;
        }
        return online;
    }

    private static long cpuTime(Domain d) {
        long t = 0;
        int n = d.allocatedVcpus();
        for (int i = 0; i < n; i++) {
            Vcpu v = d.vcpu(i);
            t += v.sched().runstateTimes()[Runstate.RUNNING];
        }
        return t;
    }

    private static org.parasol.control.v1.DomainState state(Domain d) {
        return switch (d.state()) {
            case RUNNING -> org.parasol.control.v1.DomainState.DOMAIN_STATE_RUNNING;
            case PAUSED -> org.parasol.control.v1.DomainState.DOMAIN_STATE_PAUSED;
            case SHUTDOWN -> d.shutdownReason() == Shutdown.CRASH ? org.parasol.control.v1.DomainState.DOMAIN_STATE_CRASHED
                    : org.parasol.control.v1.DomainState.DOMAIN_STATE_SHUTDOWN;
            case DYING, ZOMBIE, DEAD -> org.parasol.control.v1.DomainState.DOMAIN_STATE_DYING;
        };
    }

    private static ShutdownReason reason(int code) {
        return switch (code) {
            case Shutdown.POWEROFF -> ShutdownReason.SHUTDOWN_REASON_POWEROFF;
            case Shutdown.REBOOT -> ShutdownReason.SHUTDOWN_REASON_REBOOT;
            case Shutdown.SUSPEND -> ShutdownReason.SHUTDOWN_REASON_SUSPEND;
            case Shutdown.CRASH -> ShutdownReason.SHUTDOWN_REASON_CRASH;
            case Shutdown.WATCHDOG -> ShutdownReason.SHUTDOWN_REASON_WATCHDOG;
            case Shutdown.SOFT_RESET -> ShutdownReason.SHUTDOWN_REASON_SOFT_RESET;
            default -> ShutdownReason.SHUTDOWN_REASON_UNSPECIFIED;
        };
    }

    /** Xen's name for {@code errno}. */
    static String errnoName(int errno) {
        if (errno == EPROTONOSUPPORT) {
            return "EPROTONOSUPPORT";
        }
        if (errno == ENOMEM) {
            return "ENOMEM";
        }
        String n = Errno.name(errno);
        return n != null ? n : "E" + errno;
    }

    @Override
    public void close() {
        toolstack.shutdownNow();
    }
}
