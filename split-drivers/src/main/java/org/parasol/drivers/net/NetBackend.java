package org.parasol.drivers.net;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import org.parasol.drivers.backend.BackendStore;
import org.parasol.drivers.backend.BackendDevices;
import org.parasol.guest.kernel.Kernel;

/**
 * The network back end of a domain (dom0): watches {@code backend/vif}, serves each vif the
 * toolstack adds ({@link NetBack}), and keeps the software bridges they join ({@link Bridge}),
 * made on first use by name ({@code xenbr0} by default).
 */
public final class NetBackend {
    public static final String DEFAULT_BRIDGE = "xenbr0";

    private final Kernel k;
    private final Map<String, Bridge> bridges = new HashMap<>();
    private final BackendDevices<NetBack> vifs;

    public NetBackend(Kernel k, BackendStore store, int self, Consumer<String> log) {
        this.k = k;
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
        vifs.start();
    }

    /** The bridge named {@code name}, made now if new (dom0's uplink to the host joins it as a port). */
    public Bridge bridge(String name) {
        return bridges.computeIfAbsent(name, n -> new Bridge(n, k.cpu().memory(), k::now));
    }

    /** Every vif's counters ({@code xl devstat}, top's NET columns). dom0's boot vCPU. */
    public java.util.List<VifStatistics> statistics() {
        java.util.List<VifStatistics> out = new java.util.ArrayList<>();
        for (NetBack v : vifs.devices()) {
            out.add(v.statistics());
        }
        return out;
    }

    public int vifs() {
        return vifs.devices().size();
    }

    public void stop() {
        vifs.stop();
    }
}
