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
 * dom0's kernel: runs xenstored ({@link Dom0Xenstored}), builds the domains its command line
 * asks for ({@link DomainSpec}) through the {@code domctl} family ({@link Builder}), writes
 * each one's store paths and introduces it to xenstored before it runs, then reaps each one
 * when it shuts down, as xl does: {@code VIRQ_DOM_EXC} says some domain changed,
 * {@code getdomaininfo} says which one shut down and why; xenstored releases it, its paths
 * go, and {@code destroydomain} returns its memory. When the last one is gone dom0 powers off.
 *
 * <p>A domain is named after its image, or {@code <image>-<id>} when a live domain already has
 * that name (xl refuses a second domain of the same name).
 *
 * <p>Expected console output for {@code build=hello}:
 * <pre>
 * dom0: xenstored up: 8 nodes
 * dom0: built d1 from hello (4096 KiB, 1 vCPU)
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
    /** The domains built and not yet reaped, by id, with their name. */
    private final Map<Integer, String> live = new LinkedHashMap<>();
    private Promise<Integer> done;
    private BoundPort domExc;
    private int reaped;

    /** The kernel class an image names needs a public no-argument constructor. */
    public Dom0Kernel() {
    }

    @Override
    public Promise<?> main(Kernel kernel) {
        this.k = kernel;
        List<DomainSpec> specs;
        try {
            specs = DomainSpec.parse(k.commandLine());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("dom0: " + e.getMessage(), e);
        }
        done = k.loop().promise();
        try {
            xenstored = new Dom0Xenstored(k);
        } catch (XsException e) {
            throw new IllegalStateException("dom0: xenstored cannot start: " + e.getMessage(), e);
        }
        k.println("dom0: xenstored up: " + xenstored.store().size() + " nodes");
        builder = new Builder(k);
        // Bound before the first build: a domain that ends at once still raises it.
        domExc = k.events().bindVirq(Virq.DOM_EXC, k.loop().deferred(p -> reap()));
        for (DomainSpec spec : specs) {
            try {
                DomId d = create(spec);
                k.println("dom0: built d" + d.value() + " from " + spec.image() + " (" + spec.memoryKiB() + " KiB, "
                        + spec.vcpus() + " vCPU" + (spec.vcpus() == 1 ? "" : "s") + ")");
            } catch (Builder.BuildException e) {
                k.println("dom0: cannot build " + spec.image() + ": " + e.getMessage());
            }
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
    private DomId create(DomainSpec spec) throws Builder.BuildException {
        UUID uuid = UUID.randomUUID();
        Builder.Built built = builder.build(spec, "", handle(uuid));
        int id = built.domid().value();
        String name = nameFor(spec.image(), id);
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
        live.put(id, name);
        return built.domid();
    }

    /** The image's name, unless a live domain has it: then {@code <image>-<id>}. */
    private String nameFor(String image, int id) {
        Set<String> taken = new HashSet<>(live.values());
        taken.add("Domain-0");
        return taken.contains(image) ? image + "-" + id : image;
    }

    /** The 16-byte handle of {@code uuid}, big-endian as libxl's {@code libxl_uuid} bytes. */
    private static byte[] handle(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits())
                .array();
    }

    /** On VIRQ_DOM_EXC: destroy every built domain that has shut down. */
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
            // libxl's order: the store lets go of the domain (its ring unmapped, its port
            // closed, its paths gone) before the domain's memory is given back.
            xenstored.forgetDomain(id);
            long rc = domctl.destroyDomain(DomId.of(id));
            k.println("dom0: d" + id + " (" + live.get(id) + ") shut down: " + reason(info.shutdownCode())
                    + (rc == 0 ? "; destroyed" : "; destroy failed (" + Builder.errnoName(rc) + ")"));
            live.remove(id);
            reaped++;
        }
        if (live.isEmpty()) {
            finish();
        }
    }

    private void finish() {
        if (done.isDone()) {
            return;
        }
        if (domExc != null) {
            domExc.close();
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
