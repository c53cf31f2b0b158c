package org.parasol.toolstack.dom0;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.parasol.hypercall.Errno;
import org.parasol.hypercall.abi.XenbusState;
import org.parasol.toolstack.xenstore.XsConnection;
import org.parasol.toolstack.xenstore.XsException;
import org.parasol.toolstack.xenstore.XsPath;
import org.parasol.toolstack.xenstore.XsPerms;
import org.parasol.toolstack.xenstore.XsStore;
import org.parasol.toolstack.xenstore.XsTransaction;

/**
 * The toolstack's side of split devices in the store: what libxl's
 * {@code libxl__device_generic_add} writes when a device is added and what
 * {@code libxl__device_destroy} removes, for devices whose back end runs in a domain other
 * than dom0 (xl's {@code backend=<domain>}).
 *
 * <pre>
 *  front end F, back end B, kind K, devid N; one transaction:
 *
 *  /local/domain/F/device/K/N            nF rB   (the front end owns it, the back end may read it)
 *                           backend      /local/domain/B/backend/K/F/N
 *                           backend-id   B
 *                           state        1 (Initialising)
 *  /local/domain/B/backend/K/F/N         nB rF   (the back end owns it, the front end may read it)
 *                           frontend     /local/domain/F/device/K/N
 *                           frontend-id  F
 *                           online       1
 *                           state        1 (Initialising)
 * </pre>
 *
 * <p>The nodes between a domain's directory and a device's ({@code device/K},
 * {@code backend}, {@code backend/K}, {@code backend/K/F}) are made by the first write below
 * them and inherit the domain directory's permissions (dom0's, readable by the domain), as in
 * C xenstored. libxl also keeps a copy of the back end's keys under {@code /libxl/<F>/device};
 * Parasol's toolstack keeps what it needs in memory instead (deviation 11).
 *
 * <p>When a domain goes ({@link #forget}), each of its devices goes before its domain
 * directory, as libxl's {@code libxl__devices_destroy} runs before the domain's paths are
 * removed: the back end's entry {@code /local/domain/B/backend/K/F/N} when either end goes, and
 * the front end's directory with the front end; each then with the parents it leaves empty
 * (libxl's {@code libxl__xs_path_cleanup}), up to {@code /local/domain/B/backend} and
 * {@code /local/domain/F/device}'s children. Removing the device nodes one by one, rather than
 * only the domain's directory, is also what fires the other end's watch: it may read the
 * device nodes, not the directory of the domain that went.
 *
 * <p>Runs on dom0's vCPU 0 like the rest of the toolstack; not thread-safe.
 */
final class XsDevices {
    /** How often an add is tried when its commit meets a conflicting change ({@code EAGAIN}). */
    static final int ATTEMPTS = 8;

    /** One device, and whether its back end is still there to be cleaned. */
    record Device(int front, int back, String kind, int devid, boolean backGone) {
        /** {@code /local/domain/<front>/device/<kind>/<devid>}. */
        String frontendPath() {
            return XsPath.domainPath(front) + "/device/" + kind + "/" + devid;
        }

        /** {@code /local/domain/<back>/backend/<kind>/<front>/<devid>}. */
        String backendPath() {
            return XsPath.domainPath(back) + "/backend/" + kind + "/" + front + "/" + devid;
        }
    }

    private final XsStore store;
    private final XsConnection tools;
    private final Consumer<String> log;
    private final List<Device> devices = new ArrayList<>();

    /** Devices written through dom0's privileged connection {@code tools}; failures to clean up go to {@code log}. */
    XsDevices(XsStore store, XsConnection tools, Consumer<String> log) {
        this.store = store;
        this.tools = tools;
        this.log = log;
    }

    /** Devices whose front end or back end is {@code domid}. */
    List<Device> of(int domid) {
        List<Device> out = new ArrayList<>();
        for (Device d : devices) {
            if (d.front() == domid || !d.backGone() && d.back() == domid) {
                out.add(d);
            }
        }
        return out;
    }

    /**
     * Adds device {@code kind}/{@code devid} of front end {@code front}, served by
     * {@code back}: both directories in one transaction, retried on {@code EAGAIN}.
     *
     * @throws XsException {@code EEXIST} if either directory exists already (libxl's
     *     {@code libxl__device_exists}), {@code EINVAL} if the two ends are one domain, or what
     *     the store answered
     */
    Device add(int front, int back, String kind, int devid) throws XsException {
        return add(front, back, kind, devid, Map.of(), Map.of());
    }

    /**
     * {@link #add(int, int, String, int)} with the kind's own keys beside the generic ones,
     * in the same transaction: a disk's {@code params}, {@code mode}, {@code dev}... for the
     * back end, {@code virtual-device} for the front end.
     */
    Device add(int front, int back, String kind, int devid, Map<String, String> backKeys,
            Map<String, String> frontKeys) throws XsException {
        if (front == back) {
            throw new XsException(Errno.EINVAL, "d" + front + " cannot serve its own " + kind + " device");
        }
        Device d = new Device(front, back, kind, devid, false);
        for (int attempt = 1;; attempt++) {
            try {
                write(d, backKeys, frontKeys);
                devices.add(d);
                return d;
            } catch (XsException e) {
                if (e.errno() != Errno.EAGAIN || attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void write(Device d, Map<String, String> backKeys, Map<String, String> frontKeys) throws XsException {
        String fe = d.frontendPath();
        String be = d.backendPath();
        XsPerms frontPerms = new XsPerms(List.of(new XsPerms.Perm(d.front(), 'n'), new XsPerms.Perm(d.back(), 'r')));
        XsPerms backPerms = new XsPerms(List.of(new XsPerms.Perm(d.back(), 'n'), new XsPerms.Perm(d.front(), 'r')));
        String initialising = Integer.toString(XenbusState.INITIALISING.wire());
        XsTransaction tx = store.start(tools);
        boolean committed = false;
        try {
            if (store.exists(tx, fe) || store.exists(tx, be)) {
                throw new XsException(Errno.EEXIST, "d" + d.front() + "'s " + d.kind() + " device " + d.devid()
                        + " exists already");
            }
            store.write(tools, tx, fe, new byte[0]);
            store.setPerms(tools, tx, fe, frontPerms);
            put(tx, fe + "/backend", be);
            put(tx, fe + "/backend-id", Integer.toString(d.back()));
            for (Map.Entry<String, String> e : frontKeys.entrySet()) {
                put(tx, fe + "/" + e.getKey(), e.getValue());
            }
            put(tx, fe + "/state", initialising);
            store.write(tools, tx, be, new byte[0]);
            store.setPerms(tools, tx, be, backPerms);
            put(tx, be + "/frontend", fe);
            put(tx, be + "/frontend-id", Integer.toString(d.front()));
            put(tx, be + "/online", "1");
            for (Map.Entry<String, String> e : backKeys.entrySet()) {
                put(tx, be + "/" + e.getKey(), e.getValue());
            }
            put(tx, be + "/state", initialising);
            store.end(tx, true);
            committed = true;
        } finally {
            if (!committed) {
                try {
                    store.end(tx, false);
                } catch (XsException ignored) {
                    // an ended transaction: nothing to abort
                }
            }
        }
    }

    /** Device {@code kind}/{@code devid} of front end {@code front}, or null. */
    Device find(int front, String kind, int devid) {
        for (Device d : devices) {
            if (d.front() == front && d.kind().equals(kind) && d.devid() == devid) {
                return d;
            }
        }
        return null;
    }

    /**
     * Removes one device ({@code xl block-detach} after the back end closed, or forced): both
     * ends' nodes, with the parents they leave empty, in one transaction. Never throws.
     */
    void remove(Device d) {
        if (!devices.remove(d)) {
            return;
        }
        try {
            XsTransaction tx = store.start(tools);
            boolean committed = false;
            try {
                if (!d.backGone()) {
                    removeWithEmptyParents(tx, d.backendPath(), XsPath.domainPath(d.back()));
                }
                removeWithEmptyParents(tx, d.frontendPath(), XsPath.domainPath(d.front()) + "/device");
                store.end(tx, true);
                committed = true;
            } finally {
                if (!committed) {
                    store.end(tx, false);
                }
            }
        } catch (XsException e) {
            log.accept("dom0: cannot remove d" + d.front() + "'s " + d.kind() + " device " + d.devid() + ": "
                    + e.getMessage());
        }
    }

    /**
     * What goes with domain {@code domid}: the back end's entry of every device it is an end
     * of, and the front end's directory of every device it is the front end of, each in one
     * transaction with the parents it leaves empty. Never throws: a step that fails is logged.
     *
     * @return the devices whose nodes were removed
     */
    List<Device> forget(int domid) {
        List<Device> touched = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Device d = devices.get(i);
            boolean asFront = d.front() == domid;
            boolean asBack = !d.backGone() && d.back() == domid;
            if (!asFront && !asBack) {
                continue;
            }
            try {
                XsTransaction tx = store.start(tools);
                boolean committed = false;
                try {
                    if (!d.backGone()) {
                        removeWithEmptyParents(tx, d.backendPath(), XsPath.domainPath(d.back()));
                    }
                    if (asFront) {
                        removeWithEmptyParents(tx, d.frontendPath(), XsPath.domainPath(d.front()) + "/device");
                    }
                    store.end(tx, true);
                    committed = true;
                } finally {
                    if (!committed) {
                        store.end(tx, false);
                    }
                }
            } catch (XsException e) {
                log.accept("dom0: cannot remove d" + d.front() + "'s " + d.kind() + " device " + d.devid() + ": "
                        + e.getMessage());
            }
            touched.add(d);
            if (asFront) {
                devices.remove(i--);
            } else {
                // The front end keeps its directory until it goes itself; a new domain that gets
                // the back end's id must not be taken for it.
                devices.set(i, new Device(d.front(), d.back(), d.kind(), d.devid(), true));
            }
        }
        return touched;
    }

    /** Removes {@code path}, then each parent left without children, stopping below {@code top}. */
    private void removeWithEmptyParents(XsTransaction tx, String path, String top) throws XsException {
        if (store.exists(tx, path)) {
            store.rm(tools, tx, path);
        }
        for (String p = XsPath.parent(path); !p.equals(top) && XsPath.isAtOrBelow(p, top); p = XsPath.parent(p)) {
            if (!store.exists(tx, p) || !store.directory(tools, tx, p).isEmpty()) {
                return;
            }
            store.rm(tools, tx, p);
        }
    }

    private void put(XsTransaction tx, String path, String value) throws XsException {
        store.write(tools, tx, path, value.getBytes(StandardCharsets.ISO_8859_1));
    }
}
