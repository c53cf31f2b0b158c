package org.parasol.toolstack.dom0;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.parasol.guest.event.EventChannelException;
import org.parasol.guest.event.EventDispatcher.BoundPort;
import org.parasol.guest.grant.GrantMapException;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.kernel.Kernel;
import org.parasol.hypercall.DomId;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.GrantRef;
import org.parasol.hypercall.GuestMemoryBuffer;
import org.parasol.hypercall.Port;
import org.parasol.hypercall.abi.Gnttab;
import org.parasol.hypercall.abi.Mmu;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.toolstack.xenstore.XsConnection;
import org.parasol.toolstack.xenstore.XsException;
import org.parasol.toolstack.xenstore.XsMessage;
import org.parasol.toolstack.xenstore.XsPath;
import org.parasol.toolstack.xenstore.XsPerms;
import org.parasol.toolstack.xenstore.XsQuota;
import org.parasol.toolstack.xenstore.XsRingConnection;
import org.parasol.toolstack.xenstore.XsStore;
import org.parasol.toolstack.xenstore.Xenstored;
import org.parasol.toolstack.xenstore.XsTransaction;

/**
 * xenstored as dom0 runs it, and the toolstack's side of the store (what libxl does through
 * its xenstore handle): the store with dom0's own {@code /local/domain/0}, each built domain's
 * standard paths, and the introduce/release lifecycle of each domain's store ring.
 *
 * <pre>
 *  toolstack (libxl's order)                     xenstored ({@link Xenstored.Domains})
 *  writeDomain: /local/domain/&lt;id&gt;, /vm/&lt;uuid&gt;
 *  XS_INTRODUCE id mfn port  ------------------&gt;  introduce: map grant ref 1 of the domain,
 *                                                  bind_interdomain to its store port,
 *                                                  an XsRingConnection over the page;
 *                                                  &#64;introduceDomain fires
 *  ... the domain runs; each event on the port runs its ring on dom0's run loop ...
 *  XS_RELEASE id  -----------------------------&gt;  release: the connection closed (watches,
 *                                                  transactions gone), the port closed, the
 *                                                  page unmapped; &#64;releaseDomain fires
 *  forgetDomain: rm /local/domain/&lt;id&gt;, /vm/&lt;uuid&gt;
 * </pre>
 *
 * <p>Everything runs on dom0's vCPU 0: the toolstack's calls, and the rings' service as
 * deferred port handlers on its run loop, so the store is never touched by two threads.
 */
final class Dom0Xenstored implements Xenstored.Domains {
    /** What xenstored holds for one introduced domain, set up in this order and taken down in reverse. */
    private record Ring(int domid, GrantMapping page, BoundPort port, XsRingConnection connection) {
    }

    /** The parent of every domain's {@code /vm/<uuid>}. */
    private static final String VM = "/vm";

    private final Kernel k;
    private final XsStore store;
    private final Xenstored xenstored;
    /** The toolstack's own connection: privileged, dom0's (what libxl's {@code xs_open} gives). */
    private final XsConnection tools;
    private final Map<Integer, Ring> rings = new HashMap<>();
    /** Each built domain's {@code /vm/<uuid>} path, for its removal. */
    private final Map<Integer, String> vmPaths = new HashMap<>();
    /** The split devices dom0 added, for their removal. */
    private final XsDevices devices;
    private int nextReqId = 1;
    /** The toolstack's own watches ({@link #watch}), by token. */
    private final Map<String, java.util.function.Consumer<String>> toolWatches = new HashMap<>();
    /** {@code @introduceDomain} and {@code @releaseDomain} events seen, past the initial ones. */
    private int introducedEvents = -1;
    private int releasedEvents = -1;

    Dom0Xenstored(Kernel k) throws XsException {
        this.k = k;
        this.store = new XsStore(XsQuota.DEFAULT);
        store.logTo(line -> k.println("xenstored: " + line));
        this.xenstored = new Xenstored(store, this);
        // The toolstack watches the special paths, as xl's and xenstored's users do, and counts
        // what fires (less each watch's initial event).
        this.tools = new XsConnection(0, true, this::toolsEvent);
        store.connect(tools);
        this.devices = new XsDevices(store, tools, k::println);
        store.watch(tools, XsPath.INTRODUCE_DOMAIN, XsPath.INTRODUCE_DOMAIN, "dom0", -1);
        store.watch(tools, XsPath.RELEASE_DOMAIN, XsPath.RELEASE_DOMAIN, "dom0", -1);
        String dom0 = XsPath.domainPath(0);
        write(null, dom0 + "/name", "Domain-0");
        write(null, dom0 + "/domid", "0");
        // Where each domain's /vm/<uuid> goes: made once, so the store is the same size
        // before the first domain and after the last.
        store.mkdir(tools, null, VM);
    }

    private void toolsEvent(XsMessage event) {
        tools.eventDelivered();
        List<String> fields = event.strings();
        if (fields.isEmpty()) {
            return;
        }
        if (fields.size() > XsWire.XS_WATCH_TOKEN) {
            java.util.function.Consumer<String> watcher = toolWatches.get(fields.get(XsWire.XS_WATCH_TOKEN));
            if (watcher != null) {
                watcher.accept(fields.get(XsWire.XS_WATCH_PATH));
                return;
            }
        }
        if (fields.get(0).equals(XsPath.INTRODUCE_DOMAIN)) {
            introducedEvents++;
        } else if (fields.get(0).equals(XsPath.RELEASE_DOMAIN)) {
            releasedEvents++;
        }
    }

    /** How often {@code @introduceDomain} fired since boot. */
    int introduceEvents() {
        return introducedEvents;
    }

    /** How often {@code @releaseDomain} fired since boot. */
    int releaseEvents() {
        return releasedEvents;
    }

    /** The store, for its counts. */
    XsStore store() {
        return store;
    }

    /** {@link StoreBaseline}: reads and writes through the toolstack's connection for {@code ms} each, printed. */
    void baseline(int ms) throws XsException {
        new StoreBaseline(k, xenstored, tools).run(ms);
    }

    /** The daemon, for the socket clients' connections ({@link Dom0SocketRelay}). */
    Xenstored xenstored() {
        return xenstored;
    }

    /** The domains listed under {@code /local/domain}. */
    List<String> domainsListed() throws XsException {
        return store.directory(tools, null, "/local/domain");
    }

    // ---------------------------------------------------------------- the toolstack's side

    /**
     * A watch of the toolstack's own connection on {@code path} (absolute): {@code fired} gets the
     * path that changed, at once, inside the store operation that changed it (so the value it
     * reads is the one that fired the watch), and once at registration, as every watch. It must
     * not change the store; work that does goes on the run loop.
     */
    void watch(String path, String token, java.util.function.Consumer<String> fired) throws XsException {
        toolWatches.put(token, fired);
        try {
            store.watch(tools, path, path, token, -1);
        } catch (XsException e) {
            toolWatches.remove(token);
            throw e;
        }
    }

    /** Ends a watch {@link #watch} registered; nothing if there is none. */
    void unwatch(String path, String token) {
        if (toolWatches.remove(token) != null) {
            try {
                store.unwatch(tools, path, token);
            } catch (XsException e) {
                // already gone
            }
        }
    }

    /** The value at {@code path} as text, or null when there is no such node. */
    String read(String path) {
        try {
            return new String(store.read(tools, null, path), StandardCharsets.ISO_8859_1);
        } catch (XsException e) {
            return null;
        }
    }

    /** Writes {@code value} at {@code path} (outside a transaction, as {@code xs_write}). */
    void write(String path, String value) throws XsException {
        write(null, path, value);
    }

    /**
     * libxl's {@code libxl__domain_make} and {@code libxl__build_post} paths for a new domain,
     * in one transaction: {@code /local/domain/<id>} and {@code /vm/<uuid>} owned by dom0 and
     * readable by the domain ({@code n0 r<id>}), its {@code name}, {@code domid}, {@code vm},
     * {@code memory/target} and {@code memory/static-max} (KiB), {@code cpu/}, {@code device/}
     * and {@code control/} read-only to it, and the nodes the domain writes
     * ({@code control/shutdown}, {@code control/feature-*}, {@code control/sysrq}, {@code data},
     * {@code drivers}, {@code feature}, {@code attr}, {@code error}) owned by the domain
     * ({@code n<id>}).
     */
    void writeDomain(int domid, String name, String uuid, long memoryKiB, int vcpus) throws XsException {
        String dom = XsPath.domainPath(domid);
        String vm = VM + "/" + uuid;
        XsPerms ro = new XsPerms(List.of(new XsPerms.Perm(0, 'n'), new XsPerms.Perm(domid, 'r')));
        XsPerms rw = XsPerms.of(domid, 'n');
        XsTransaction tx = store.start(tools);
        boolean done = false;
        try {
            store.rm(tools, tx, dom); // what an earlier domain of this id may have left
            mknod(tx, dom, ro);
            store.rm(tools, tx, vm);
            mknod(tx, vm, ro);
            write(tx, vm + "/uuid", uuid);
            write(tx, vm + "/name", name);
            write(tx, dom + "/vm", vm);
            write(tx, dom + "/name", name);
            write(tx, dom + "/domid", Integer.toString(domid));
            for (String dir : List.of("cpu", "memory", "device", "control")) {
                mknod(tx, dom + "/" + dir, ro);
            }
            for (int i = 0; i < vcpus; i++) {
                write(tx, dom + "/cpu/" + i + "/availability", "online");
            }
            write(tx, dom + "/memory/static-max", Long.toString(memoryKiB));
            write(tx, dom + "/memory/target", Long.toString(memoryKiB));
            for (String own : List.of("control/shutdown", "control/feature-poweroff", "control/feature-reboot",
                    "control/feature-suspend", "control/sysrq", "data", "drivers", "feature", "attr", "error")) {
                mknod(tx, dom + "/" + own, rw);
            }
            store.end(tx, true);
            done = true;
        } finally {
            if (!done) {
                store.end(tx, false);
            }
        }
        vmPaths.put(domid, vm);
    }

    /**
     * A domain's new name, in {@code /local/domain/N/name} and its {@code /vm/<uuid>/name}, in
     * one transaction (libxl's rename writes both).
     */
    void renameDomain(int domid, String name) throws XsException {
        String dom = XsPath.domainPath(domid);
        String vm = vmPaths.get(domid);
        XsTransaction tx = store.start(tools);
        boolean done = false;
        try {
            write(tx, dom + "/name", name);
            if (vm != null) {
                write(tx, vm + "/name", name);
            }
            store.end(tx, true);
            done = true;
        } finally {
            if (!done) {
                store.end(tx, false);
            }
        }
    }

    /**
     * Adds split device {@code kind}/{@code devid} of front end {@code front}, served by domain
     * {@code back}: both ends' directories in one transaction ({@link XsDevices#add}).
     */
    void addDevice(int front, int back, String kind, int devid) throws XsException {
        devices.add(front, back, kind, devid);
    }

    /** Watch tokens handed to dom0's back ends so far. */
    private long backendWatchTokens;

    /** The toolstack's devices. */
    XsDevices devices() {
        return devices;
    }

    /** {@link #addDevice(int, int, String, int)} with the kind's own keys for each end. */
    void addDevice(int front, int back, String kind, int devid, java.util.Map<String, String> backKeys,
            java.util.Map<String, String> frontKeys) throws XsException {
        devices.add(front, back, kind, devid, backKeys, frontKeys);
    }

    /**
     * dom0's own back ends' view of the store ({@link BackendStore}): the toolstack's
     * connection, with watch callbacks moved onto the run loop, as a xenbus watch would be.
     */
    org.parasol.drivers.backend.BackendStore backendStore() {
        return new org.parasol.drivers.backend.BackendStore() {

            @Override
            public String read(String path) {
                return Dom0Xenstored.this.read(path);
            }

            @Override
            public List<String> directory(String path) {
                try {
                    return store.directory(tools, null, path);
                } catch (XsException e) {
                    return List.of();
                }
            }

            @Override
            public void write(String path, String value) {
                try {
                    Dom0Xenstored.this.write(path, value);
                } catch (XsException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }

            @Override
            public Runnable watch(String path, java.util.function.Consumer<String> changed) {
                // One counter for every back end's store: a token names exactly one watch.
                String token = "dom0-backend-" + (backendWatchTokens++);
                try {
                    Dom0Xenstored.this.watch(path, token, p -> k.loop().execute(() -> changed.accept(p)));
                } catch (XsException e) {
                    throw new IllegalStateException("cannot watch " + path + ": " + e.getMessage(), e);
                }
                return () -> unwatch(path, token);
            }
        };
    }

    /**
     * {@code xs_introduce_domain(domid, store_mfn, store_port)} through the toolstack's
     * connection: xenstored connects the domain's ring ({@link #introduce}) and fires
     * {@code @introduceDomain}.
     */
    void introduceDomain(int domid, long storeMfn, Port storePort) throws XsException {
        request(XsWire.XS_INTRODUCE, domid + "\0" + storeMfn + "\0" + storePort.value() + "\0");
    }

    /**
     * What the toolstack does for a domain that is gone or going: its split devices' nodes
     * removed ({@link XsDevices#forget}: the back end's entry of each device it is an end of,
     * the front end's directory of each it is the front end of), {@code xs_release_domain}
     * if it was introduced (xenstored drops its ring, {@code @releaseDomain} fires), then its
     * {@code /local/domain/<id>} and {@code /vm/<uuid>} removed. Never throws: a step that
     * fails is logged and the next is tried.
     */
    void forgetDomain(int domid) {
        devices.forget(domid);
        if (xenstored.isIntroduced(domid)) {
            try {
                request(XsWire.XS_RELEASE, domid + "\0");
            } catch (XsException e) {
                k.println("dom0: release of d" + domid + " failed: " + e.getMessage());
            }
        }
        List<String> paths = new ArrayList<>();
        paths.add(XsPath.domainPath(domid));
        String vm = vmPaths.remove(domid);
        if (vm != null) {
            paths.add(vm);
        }
        for (String p : paths) {
            try {
                store.rm(tools, null, p);
            } catch (XsException e) {
                k.println("dom0: cannot remove " + p + ": " + e.getMessage());
            }
        }
    }

    private void request(int type, String payload) throws XsException {
        XsMessage reply = xenstored.handle(tools, XsMessage.of(type, nextReqId++, 0, payload));
        if (reply.type() == XsWire.XS_ERROR) {
            String name = reply.text();
            int nul = name.indexOf('\0');
            throw new XsException(errnoOf(nul < 0 ? name : name.substring(0, nul)),
                    XsWire.typeName(type) + " " + payload.replace('\0', ' ').strip() + ": " + name.strip());
        }
    }

    private static int errnoOf(String name) {
        return switch (name) {
            case "ENOENT" -> Errno.ENOENT;
            case "EACCES" -> Errno.EACCES;
            case "ENOMEM" -> Errno.ENOMEM;
            case "ENOSPC" -> Errno.ENOSPC;
            case "EEXIST" -> Errno.EEXIST;
            case "EBUSY" -> Errno.EBUSY;
            default -> Errno.EINVAL;
        };
    }

    private void mknod(XsTransaction tx, String path, XsPerms perms) throws XsException {
        store.write(tools, tx, path, new byte[0]);
        store.setPerms(tools, tx, path, perms);
    }

    private void write(XsTransaction tx, String path, String value) throws XsException {
        store.write(tools, tx, path, value.getBytes(StandardCharsets.ISO_8859_1));
    }

    // ---------------------------------------------------------------- xenstored's side

    /**
     * {@code XS_INTRODUCE}'s work, as C xenstored's {@code introduce_domain}: maps the
     * domain's store page through grant reference {@code GNTTAB_RESERVED_XENSTORE} (which its
     * builder seeded for dom0; the MFN is not needed to find it), binds to its store port and
     * serves the ring. A step that fails undoes the ones before it.
     */
    @Override
    public void introduce(int domid, long gfn, int evtchn) throws XsException {
        if (domid == 0 || rings.containsKey(domid)) {
            throw new XsException(Errno.EINVAL, "d" + domid + " cannot be introduced");
        }
        DomId d = DomId.of(domid);
        GrantMapping page;
        try {
            page = k.grantMapper().map(d, GrantRef.of(Gnttab.RESERVED_XENSTORE), false);
        } catch (GrantMapException e) {
            throw new XsException(Errno.EINVAL, "d" + domid + "'s store page: " + e.getMessage());
        }
        BoundPort port;
        try {
            port = k.events().bindInterdomain(d, Port.of(evtchn), k.loop().deferred(p -> serve(domid)));
        } catch (EventChannelException | IllegalArgumentException e) {
            page.close();
            throw new XsException(Errno.EINVAL, "d" + domid + "'s store port " + evtchn + ": " + e.getMessage());
        }
        XsRingConnection connection = new XsRingConnection(xenstored, domid, false,
                new GuestMemoryBuffer(k.cpu().memory(), page.va(), Mmu.PAGE_SIZE), 0, port::notifyRemote,
                (ring, error, why) -> k.println("xenstored: d" + domid + " broke its store ring (" + why
                        + "); its connection is ended"));
        rings.put(domid, new Ring(domid, page, port, connection));
        serve(domid); // whatever the domain wrote before its port was bound
    }

    /** {@code XS_RELEASE}'s work: the ring's connection closed, then the port, then the page unmapped. */
    @Override
    public void release(int domid) {
        Ring r = rings.remove(domid);
        if (r == null) {
            return;
        }
        r.connection().close();
        r.port().close();
        r.page().close();
    }

    /** Runs domain {@code domid}'s ring; a ring that kept input for later runs again after the other tasks. */
    private void serve(int domid) {
        Ring r = rings.get(domid);
        if (r != null && r.connection().service()) {
            k.execute(() -> serve(domid));
        }
    }

    /** Rings connected now. */
    int connectedRings() {
        return rings.size();
    }
}
