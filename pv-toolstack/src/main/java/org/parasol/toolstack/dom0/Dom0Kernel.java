package org.parasol.toolstack.dom0;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Virq;
import org.parasol.hypercall.abi.Shutdown;
import org.parasol.hypercall.guest.DomctlCalls;

/**
 * dom0's kernel: builds the domains its command line asks for ({@link DomainSpec}) through
 * the {@code domctl} family ({@link Builder}), then reaps each one when it shuts down, as xl
 * does: {@code VIRQ_DOM_EXC} says some domain changed, {@code getdomaininfo} says which one
 * shut down and why, {@code destroydomain} returns its memory. When the last one is gone dom0
 * powers off.
 *
 * <p>Expected console output for {@code build=hello}:
 * <pre>
 * dom0: built d1 from hello (4096 KiB, 1 vCPU)
 * dom0: d1 (hello) shut down: poweroff; destroyed
 * dom0: every domain is gone; powering off
 * </pre>
 */
public final class Dom0Kernel extends ApplicationKernel {
    private Kernel k;
    private Builder builder;
    /** The domains built and not yet reaped, by id, with their image. */
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
        builder = new Builder(k);
        // Bound before the first build: a domain that ends at once still raises it.
        domExc = k.events().bindVirq(Virq.DOM_EXC, k.loop().deferred(p -> reap()));
        for (DomainSpec spec : specs) {
            try {
                DomId d = builder.build(spec, "");
                live.put(d.value(), spec.image());
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

    /** On VIRQ_DOM_EXC: destroy every built domain that has shut down. */
    private void reap() {
        DomctlCalls domctl = builder.domctl();
        for (Integer id : new ArrayList<>(live.keySet())) {
            DomctlCalls.DomainInfo info = domctl.getDomainInfo(DomId.of(id));
            if (info.result() < 0) {
                k.println("dom0: d" + id + " is gone (" + Builder.errnoName(info.result()) + ")");
                live.remove(id);
                continue;
            }
            if (!info.shutdown()) {
                continue;
            }
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
