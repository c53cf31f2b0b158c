package org.parasol.drivers.backend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.parasol.drivers.blk.Vbd;
import org.parasol.hypercall.DomId;

/**
 * The devices of one kind a back end serves: it watches {@code /local/domain/<self>/backend/<kind>},
 * makes one device for each {@code <front>/<devid>} directory the toolstack has filled (its
 * {@code state} written, which libxl writes in the same transaction as the rest), and removes
 * each one whose directory is gone. Directory names that are not strict decimals are ignored.
 *
 * @param <D> the device type
 */
public final class BackendDevices<D> {
    /** How a back end makes and ends its devices. */
    public interface Kind<D> {
        /** A new device in {@code dir} for front end {@code front}, device id {@code devid}; started. */
        D start(String dir, int front, int devid);

        /** The toolstack removed {@code device}'s directory. */
        void remove(D device);
    }

    private final BackendStore store;
    private final String root;
    private final Kind<D> kind;
    private final Map<String, D> devices = new HashMap<>();
    private Runnable unwatch;

    public BackendDevices(BackendStore store, int self, String kindName, Kind<D> kind) {
        this.store = store;
        this.root = "/local/domain/" + self + "/backend/" + kindName;
        this.kind = kind;
    }

    /** Starts watching. */
    public void start() {
        unwatch = store.watch(root, changed -> rescan());
    }

    /** The devices served now. */
    public List<D> devices() {
        return new ArrayList<>(devices.values());
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
                if (!devices.containsKey(dir)) {
                    devices.put(dir, kind.start(dir, front, devid));
                }
            }
        }
        devices.entrySet().removeIf(e -> {
            if (!present.contains(e.getKey())) {
                kind.remove(e.getValue());
                return true;
            }
            return false;
        });
    }

    /** Stops watching and removes every device. */
    public void stop() {
        if (unwatch != null) {
            unwatch.run();
        }
        devices.values().forEach(kind::remove);
        devices.clear();
    }
}
