package org.parasol.toolstack.dom0;

import java.nio.ByteBuffer;
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
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
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
 * domain is left to wait for, dom0 powers off.
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
    private BoundPort domExc;
    private int reaped;

    /** A domain dom0 waits for: its name and the spec it was built from (for a restart). */
    private record Live(String name, DomainSpec spec) {
    }

    /** The kernel class an image names needs a public no-argument constructor. */
    public Dom0Kernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        List<DomainSpec> specs = new ArrayList<>();
        try {
            specs.addAll(DomainSpec.parse(k.commandLine()));
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
        socketClients = Dom0SocketRelay.start(k, xenstored.xenstored());
        builder = new Builder(k);
        // Bound before the first build: a domain that ends at once still raises it.
        domExc = k.events().bindVirq(Virq.DOM_EXC, k.loop().deferred(p -> reap()));
        for (DomainSpec spec : specs) {
            createAndSay(spec, "build");
        }
        if (live.isEmpty()) {
            finish();
        }
        return done;
    }

    /**
     * One domain, as {@code xl create} makes it: built paused with its store page and port
     * ({@link Builder#build}); its paths written and the domain introduced to xenstored
     * (libxl's {@code libxl__domain_make} and {@code libxl__build_post}); unpaused. A step that
     * fails undoes the ones before it.
     */
    private void createAndSay(DomainSpec spec, String verb) {
        try {
            DomId d = create(spec);
            k.println("dom0: built d" + d.value() + " (" + live.get(d.value()).name() + ") from " + spec.image() + " ("
                    + spec.memoryKiB() + " KiB, " + spec.vcpus() + " vCPU" + (spec.vcpus() == 1 ? "" : "s") + ")");
        } catch (Builder.BuildException e) {
            k.println("dom0: cannot " + verb + " " + (spec.name() != null ? spec.name() : spec.image()) + ": "
                    + e.getMessage());
        }
    }

    private DomId create(DomainSpec spec) throws Builder.BuildException {
        UUID uuid = UUID.randomUUID();
        // A spec's own name, or dom0's choice once the id is known; the hypervisor gets it
        // with load-image, the store with the domain's paths.
        Builder.Built built = builder.build(spec, id -> spec.name() != null ? spec.name() : nameFor(spec.image(), id),
                handle(uuid));
        int id = built.domid().value();
        String name = built.name();
        try {
            xenstored.writeDomain(id, name, uuid.toString(), spec.memoryKiB(), spec.vcpus());
            xenstored.introduceDomain(id, built.storeMfn(), built.storePort());
            builder.unpause(built.domid());
        } catch (XsException | Builder.BuildException e) {
            xenstored.forgetDomain(id);
            builder.domctl().destroyDomain(built.domid());
            throw e instanceof Builder.BuildException b ? b
                    : new Builder.BuildException("the store of d" + id + ": " + e.getMessage(), 0);
        }
        live.put(id, new Live(name, spec));
        return built.domid();
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
                xenstored.forgetDomain(id);
                live.remove(id);
                continue;
            }
            if (!info.shutdown()) {
                continue;
            }
            Live l = live.remove(id);
            DomainSpec.Action action = actionFor(l.spec(), info.shutdownCode());
            String what = "dom0: d" + id + " (" + l.name() + ") shut down: " + reason(info.shutdownCode());
            if (action == DomainSpec.Action.PRESERVE) {
                // xl's preserve: the domain, its memory and its store paths stay as they are.
                k.println(what + "; preserved");
                continue;
            }
            // libxl's order: the store lets go of the domain (its ring unmapped, its port
            // closed, its paths gone) before the domain's memory is given back.
            xenstored.forgetDomain(id);
            long rc = domctl.destroyDomain(DomId.of(id));
            boolean restart = action == DomainSpec.Action.RESTART && rc == 0;
            k.println(what + (rc == 0 ? "; destroyed" : "; destroy failed (" + Builder.errnoName(rc) + ")")
                    + (restart ? "; restarting" : ""));
            reaped++;
            if (restart) {
                createAndSay(l.spec(), "restart");
            }
        }
        if (live.isEmpty()) {
            finish();
        }
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

    private void finish() {
        if (done.isDone()) {
            return;
        }
        if (domExc != null) {
            domExc.close();
        }
        if (socketClients != null) {
            socketClients.close();
        }
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
