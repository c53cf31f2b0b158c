package org.parasol.drivers.net;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.parasol.drivers.blk.BackendStore;
import org.parasol.drivers.blk.Vbd;
import org.parasol.guest.kernel.Kernel;
import org.parasol.hypercall.DomId;

/**
 * The network back end of a domain (dom0): watches {@code backend/vif}, serves each vif the
 * toolstack adds ({@link NetBack}), and keeps the software bridges they join ({@link Bridge}),
 * made on first use by name ({@code xenbr0} by default).
 */
public final class NetBackend {
    public static final String DEFAULT_BRIDGE = "xenbr0";

    private final Kernel k;
    private final BackendStore store;
    private final Consumer<String> log;
    private final String root;
    private final Map<String, NetBack> vifs = new HashMap<>();
    private final Map<String, Bridge> bridges = new HashMap<>();
    private Runnable unwatch;

    public NetBackend(Kernel k, BackendStore store, int self, Consumer<String> log) {
        this.k = k;
        this.store = store;
        this.log = log;
        this.root = "/local/domain/" + self + "/backend/" + Vif.KIND;
    }

    public void start() {
        unwatch = store.watch(root, changed -> rescan());
    }

    /** The bridge named {@code name}, made now if new. */
    Bridge bridge(String name) {
        return bridges.computeIfAbsent(name, n -> new Bridge(n, k.cpu().memory(), k::now));
    }

    public int vifs() {
        return vifs.size();
    }

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
                if (store.read(dir + "/state") == null) {
                    continue;
                }
                present.add(dir);
                if (!vifs.containsKey(dir)) {
                    NetBack b = new NetBack(k, store, this, log, dir, front, devid);
                    vifs.put(dir, b);
                    b.start();
                }
            }
        }
        vifs.entrySet().removeIf(e -> {
            if (!present.contains(e.getKey())) {
                e.getValue().remove();
                return true;
            }
            return false;
        });
    }

    public void stop() {
        if (unwatch != null) {
            unwatch.run();
        }
        vifs.values().forEach(NetBack::remove);
        vifs.clear();
    }
}
