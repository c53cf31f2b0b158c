package org.parasol.toolstack.xenstore;

import static org.parasol.hypercall.Errno.E2BIG;
import static org.parasol.hypercall.Errno.EACCES;
import static org.parasol.hypercall.Errno.EAGAIN;
import static org.parasol.hypercall.Errno.EEXIST;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSPC;
import static org.parasol.hypercall.Errno.EPERM;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

import org.parasol.hypercall.abi.XsWire;

/**
 * The XenStore tree with Xen's semantics ({@code docs/misc/xenstore.txt}, the ABI fact sheet
 * §14): nodes with values and permissions, watches, transactions with optimistic concurrency,
 * and per-domain quotas. Transport-free: {@link Xenstored} turns {@code xs_wire} messages into
 * these calls, and whatever carries the bytes (a domain's ring, dom0's socket) is elsewhere.
 *
 * <p>Not thread-safe, as xenstored is single-threaded: one thread drives it.
 *
 * <p>Every operation takes the connection it acts for (permissions and quotas are checked
 * against its domain unless it is privileged) and a transaction or {@code null}. Paths are
 * absolute and already checked ({@link XsPath#absolute}).
 */
public final class XsStore {
    /** A committed change, for the watches: {@code removed} when a subtree went. */
    record Change(String path, boolean removed, XsPerms perms) {
    }

    private final XsQuota quota;
    private final Map<String, XsNode> nodes = new HashMap<>();
    private final Map<Integer, Integer> owned = new HashMap<>();
    private final List<XsConnection> connections = new ArrayList<>();
    /** dom0's log (its console): refusals name their limit there. Image code has no System.Logger. */
    private Consumer<String> log = line -> { };
    private long generation;
    private int nextTransaction = 1;

    /** An empty store (the root, {@code /local} and {@code /local/domain}, owned by dom0) held to {@code quota}. */
    public XsStore(XsQuota quota) {
        this.quota = quota;
        XsPerms dom0 = XsPerms.of(0, 'n');
        nodes.put(XsPath.ROOT, new XsNode(new byte[0], dom0));
        for (String p : List.of("/local", "/local/domain", "/tool")) {
            XsNode n = new XsNode(new byte[0], dom0);
            n.generation = ++generation;
            nodes.put(p, n);
            nodes.get(XsPath.parent(p)).children.add(XsPath.name(p));
        }
    }

    /** The quotas unprivileged connections are held to. */
    public XsQuota quota() {
        return quota;
    }

    /** Sends the store's log lines (refusals with the limit they hit, internal errors) to {@code sink}; none by default. */
    public void logTo(Consumer<String> sink) {
        log = Objects.requireNonNull(sink, "sink");
    }

    /** Writes one line to the store's log. */
    void log(String line) {
        log.accept(line);
    }

    /** Registers a connection for watch events. */
    public void connect(XsConnection c) {
        connections.add(c);
    }

    /** Forgets a connection: its watches and transactions go. */
    public void disconnect(XsConnection c) {
        connections.remove(c);
        c.close();
    }

    /** Nodes owned by {@code domid} (what its node quota counts). */
    public int nodesOwnedBy(int domid) {
        return owned.getOrDefault(domid, 0);
    }

    /** Nodes in the store. */
    public int size() {
        return nodes.size();
    }

    // ---------------------------------------------------------------- the view a call works on

    private XsNode get(XsTransaction tx, String path) {
        if (tx == null) {
            return nodes.get(path);
        }
        XsTransaction.Access a = tx.accessed.get(path);
        if (a == null) {
            XsNode live = nodes.get(path);
            a = new XsTransaction.Access(live == null ? -1 : live.generation, live == null ? null : live.copy());
            tx.accessed.put(path, a);
        }
        return a.node;
    }

    private void touch(XsTransaction tx, String path, XsNode node) {
        if (tx == null) {
            node.generation = ++generation;
            nodes.put(path, node);
            return;
        }
        get(tx, path); // records the first access
        XsTransaction.Access a = tx.accessed.get(path);
        a.node = node;
        a.modified = true;
    }

    /**
     * Called by each change after it has read what it needs and before it changes anything, so
     * that a refusal leaves the store (or the transaction's view) as it was.
     */
    private void checkTransactionSize(XsTransaction tx) throws XsException {
        if (tx != null && !tx.owner.privileged() && tx.accessed.size() > quota.nodesPerTransaction()) {
            throw refuse(tx.owner, ENOSPC, "nodes per transaction (" + quota.nodesPerTransaction() + ")");
        }
    }

    private void drop(XsTransaction tx, String path) {
        if (tx == null) {
            nodes.remove(path);
            return;
        }
        get(tx, path);
        XsTransaction.Access a = tx.accessed.get(path);
        a.node = null;
        a.modified = true;
    }

    private void countOwned(XsTransaction tx, int domid, int delta) {
        if (tx == null) {
            owned.merge(domid, delta, Integer::sum);
        } else {
            tx.ownedDelta.merge(domid, delta, Integer::sum);
        }
    }

    private int ownedNow(XsTransaction tx, int domid) {
        int n = owned.getOrDefault(domid, 0);
        return tx == null ? n : n + tx.ownedDelta.getOrDefault(domid, 0);
    }

    private void changed(XsTransaction tx, Change change) {
        if (tx == null) {
            fire(change);
        } else {
            tx.changes.add(change);
        }
    }

    private XsException refuse(XsConnection c, int errno, String limit) {
        log("xenstored: " + c + " refused: " + limit);
        return new XsException(errno, limit);
    }

    private static void checkRead(XsConnection c, XsNode n, String path) throws XsException {
        if (!c.privileged() && !n.perms.canRead(c.domid())) {
            throw new XsException(EACCES, "d" + c.domid() + " may not read " + XsPath.abbreviate(path));
        }
    }

    private static void checkWrite(XsConnection c, XsNode n, String path) throws XsException {
        if (!c.privileged() && !n.perms.canWrite(c.domid())) {
            throw new XsException(EACCES, "d" + c.domid() + " may not write " + XsPath.abbreviate(path));
        }
    }

    private void checkSize(XsConnection c, XsNode n) throws XsException {
        if (!c.privileged() && n.size() > quota.nodeSize()) {
            throw refuse(c, ENOSPC, "node size (" + quota.nodeSize() + " bytes)");
        }
    }

    // ---------------------------------------------------------------- node operations

    /** {@code XS_READ}: the value. ENOENT, EACCES. */
    public byte[] read(XsConnection c, XsTransaction tx, String path) throws XsException {
        XsNode n = existing(tx, path);
        checkRead(c, n, path);
        return n.value;
    }

    /** {@code XS_DIRECTORY}: the children's names, sorted. ENOENT, EACCES. */
    public List<String> directory(XsConnection c, XsTransaction tx, String path) throws XsException {
        XsNode n = existing(tx, path);
        checkRead(c, n, path);
        return List.copyOf(n.children);
    }

    /**
     * The generation of the node at {@code path}: the store-wide change count at which its
     * value, permissions or children last changed ({@code XS_DIRECTORY_PART} hands it out so
     * a client reading a long child list in parts can tell it changed between them).
     */
    public long generation(XsConnection c, XsTransaction tx, String path) throws XsException {
        XsNode n = existing(tx, path);
        checkRead(c, n, path);
        return n.generation;
    }

    /** {@code XS_GET_PERMS}. ENOENT, EACCES. */
    public XsPerms getPerms(XsConnection c, XsTransaction tx, String path) throws XsException {
        XsNode n = existing(tx, path);
        checkRead(c, n, path);
        return n.perms;
    }

    /** Whether {@code path} exists in the view of {@code tx} (no permission check). */
    public boolean exists(XsTransaction tx, String path) {
        return get(tx, path) != null;
    }

    private XsNode existing(XsTransaction tx, String path) throws XsException {
        XsNode n = get(tx, path);
        if (n == null) {
            throw new XsException(ENOENT, XsPath.abbreviate(path) + " does not exist");
        }
        return n;
    }

    /**
     * {@code XS_WRITE}: sets the value, creating the node and any missing parents (with empty
     * values). New nodes inherit their parent's permissions; an unprivileged creator becomes
     * their owner. EACCES without write permission on the node, or on the nearest existing
     * ancestor when creating; ENOSPC past the node or size quota.
     */
    public void write(XsConnection c, XsTransaction tx, String path, byte[] value) throws XsException {
        XsNode n = get(tx, path);
        if (n != null) {
            checkWrite(c, n, path);
            XsNode m = n.copy();
            m.value = value;
            checkSize(c, m);
            checkTransactionSize(tx);
            touch(tx, path, m);
            changed(tx, new Change(path, false, m.perms));
            return;
        }
        create(c, tx, path, value);
    }

    /** {@code XS_MKDIR}: creates the node (empty value) unless it exists. As {@link #write} for errors. */
    public void mkdir(XsConnection c, XsTransaction tx, String path) throws XsException {
        if (get(tx, path) == null) {
            create(c, tx, path, new byte[0]);
        }
    }

    private void create(XsConnection c, XsTransaction tx, String path, byte[] value) throws XsException {
        List<String> missing = new ArrayList<>(); // deepest first
        String p = path;
        while (get(tx, p) == null) {
            missing.add(p);
            p = XsPath.parent(p);
        }
        XsNode ancestor = get(tx, p);
        checkWrite(c, ancestor, p);
        XsPerms perms = c.privileged() ? ancestor.perms : ancestor.perms.ownedBy(c.domid());
        int owner = perms.owner();
        if (!c.privileged() && ownedNow(tx, owner) + missing.size() > quota.nodes()) {
            throw refuse(c, ENOSPC, "nodes per domain (" + quota.nodes() + ")");
        }
        // Everything is built and checked before anything is installed.
        List<String> paths = new ArrayList<>();
        List<XsNode> built = new ArrayList<>();
        XsNode parent = ancestor.copy();
        paths.add(p);
        built.add(parent);
        for (int i = missing.size() - 1; i >= 0; i--) {
            String q = missing.get(i);
            parent.children.add(XsPath.name(q));
            XsNode fresh = new XsNode(i == 0 ? value : new byte[0], perms);
            paths.add(q);
            built.add(fresh);
            parent = fresh;
        }
        for (XsNode b : built) {
            checkSize(c, b);
        }
        checkTransactionSize(tx);
        for (int i = 0; i < built.size(); i++) {
            touch(tx, paths.get(i), built.get(i));
        }
        countOwned(tx, owner, missing.size());
        for (int i = missing.size() - 1; i >= 0; i--) {
            changed(tx, new Change(missing.get(i), false, perms));
        }
    }

    /**
     * {@code XS_RM}: removes the node and everything below it. A missing node is fine when its
     * parent exists (ENOENT otherwise); the root cannot go (EINVAL); EACCES without write
     * permission on the node.
     */
    public void rm(XsConnection c, XsTransaction tx, String path) throws XsException {
        if (path.equals(XsPath.ROOT)) {
            throw new XsException(EINVAL, "the root cannot be removed");
        }
        XsNode n = get(tx, path);
        if (n == null) {
            if (get(tx, XsPath.parent(path)) == null) {
                throw new XsException(ENOENT, XsPath.abbreviate(XsPath.parent(path)) + " does not exist");
            }
            return;
        }
        checkWrite(c, n, path);
        String parentPath = XsPath.parent(path);
        XsNode parentNow = get(tx, parentPath);
        if (parentNow == null) {
            // Only in a transaction whose copies straddle another client's change: it cannot
            // commit (EAGAIN), and until then its view has no parent here.
            throw new XsException(ENOENT, XsPath.abbreviate(parentPath) + " does not exist in this transaction's view");
        }
        XsNode parent = parentNow.copy();
        List<String> subtree = new ArrayList<>();
        collectSubtree(tx, path, subtree);
        checkTransactionSize(tx);
        parent.children.remove(XsPath.name(path));
        touch(tx, parentPath, parent);
        for (String q : subtree) {
            countOwned(tx, get(tx, q).perms.owner(), -1);
            drop(tx, q);
        }
        changed(tx, new Change(path, true, n.perms));
    }

    /** {@code path} and every node below it that exists in the view, each read once (recorded in a transaction). */
    private void collectSubtree(XsTransaction tx, String path, List<String> out) {
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        todo.push(path);
        while (!todo.isEmpty()) {
            String q = todo.pop();
            XsNode n = get(tx, q);
            if (n == null) {
                continue;
            }
            out.add(q);
            for (String child : n.children) {
                todo.push(XsPath.child(q, child));
            }
        }
    }

    /**
     * {@code XS_SET_PERMS}: replaces the permission list. Unprivileged callers must own the
     * node (EACCES otherwise) and may not give it away (EPERM); at most the quota's entries
     * (ENOSPC).
     */
    public void setPerms(XsConnection c, XsTransaction tx, String path, XsPerms perms) throws XsException {
        XsNode n = existing(tx, path);
        if (!c.privileged()) {
            if (n.perms.owner() != c.domid()) {
                throw new XsException(EACCES, "d" + c.domid() + " does not own " + XsPath.abbreviate(path));
            }
            if (perms.owner() != n.perms.owner()) {
                throw new XsException(EPERM, "only dom0 may change the owner of " + XsPath.abbreviate(path));
            }
            if (perms.entries().size() > quota.permissions()) {
                throw refuse(c, ENOSPC, "permission entries per node (" + quota.permissions() + ")");
            }
        }
        XsNode m = n.copy();
        m.perms = perms;
        checkSize(c, m);
        checkTransactionSize(tx);
        if (perms.owner() != n.perms.owner()) {
            countOwned(tx, n.perms.owner(), -1);
            countOwned(tx, perms.owner(), +1);
        }
        touch(tx, path, m);
        changed(tx, new Change(path, false, perms));
    }

    // ---------------------------------------------------------------- transactions

    /** {@code XS_TRANSACTION_START}: a new transaction; ENOSPC past the connection's quota. */
    public XsTransaction start(XsConnection c) throws XsException {
        if (!c.privileged() && c.transactions.size() >= quota.transactions()) {
            throw refuse(c, ENOSPC, "transactions per connection (" + quota.transactions() + ")");
        }
        int id;
        do {
            id = nextTransaction++;
            if (nextTransaction <= 0) {
                nextTransaction = 1;
            }
        } while (c.transactions.containsKey(id));
        XsTransaction tx = new XsTransaction(id, c);
        c.transactions.put(id, tx);
        return tx;
    }

    /** The connection's open transaction {@code id}; ENOENT for an unknown one. */
    public XsTransaction transaction(XsConnection c, int id) throws XsException {
        XsTransaction tx = c.transactions.get(id);
        if (tx == null) {
            throw new XsException(ENOENT, "no transaction " + Integer.toUnsignedString(id));
        }
        return tx;
    }

    /**
     * {@code XS_TRANSACTION_END}: aborts, or commits: EAGAIN (and nothing changes) when a node
     * the transaction read or wrote changed since it first did; ENOSPC when the commit would
     * take a domain past its node quota.
     */
    public void end(XsTransaction tx, boolean commit) throws XsException {
        XsConnection c = tx.owner;
        c.transactions.remove(tx.id);
        if (!commit) {
            return;
        }
        for (Map.Entry<String, XsTransaction.Access> e : tx.accessed.entrySet()) {
            XsNode live = nodes.get(e.getKey());
            long now = live == null ? -1 : live.generation;
            if (now != e.getValue().seen) {
                throw new XsException(EAGAIN, "transaction " + tx.id + " conflicts at " + XsPath.abbreviate(e.getKey()));
            }
        }
        if (!c.privileged()) {
            for (Map.Entry<Integer, Integer> d : tx.ownedDelta.entrySet()) {
                if (d.getValue() > 0 && owned.getOrDefault(d.getKey(), 0) + d.getValue() > quota.nodes()) {
                    throw refuse(c, ENOSPC, "nodes per domain (" + quota.nodes() + ") at commit");
                }
            }
        }
        for (Map.Entry<String, XsTransaction.Access> e : tx.accessed.entrySet()) {
            XsTransaction.Access a = e.getValue();
            if (!a.modified) {
                continue;
            }
            if (a.node == null) {
                nodes.remove(e.getKey());
            } else {
                a.node.generation = ++generation;
                nodes.put(e.getKey(), a.node);
            }
        }
        tx.ownedDelta.forEach((d, n) -> owned.merge(d, n, Integer::sum));
        for (Change ch : tx.changes) {
            fire(ch);
        }
    }

    // ---------------------------------------------------------------- watches

    /**
     * {@code XS_WATCH}: registers a watch and fires it once at once, as xenstored does. EEXIST
     * for the same path and token twice; E2BIG past the watch quota; EACCES for the special
     * paths unless privileged.
     */
    public void watch(XsConnection c, String path, String asGiven, String token, int depth) throws XsException {
        for (XsWatch w : c.watches) {
            if (w.path().equals(path) && w.token().equals(token)) {
                throw new XsException(EEXIST, "watch on " + XsPath.abbreviate(path) + " with that token exists");
            }
        }
        if (!c.privileged() && c.watches.size() >= quota.watches()) {
            throw refuse(c, E2BIG, "watches per connection (" + quota.watches() + ")");
        }
        if (XsPath.isSpecial(path) && !c.privileged()) {
            throw new XsException(EACCES, "only dom0 may watch " + path);
        }
        XsWatch w = new XsWatch(path, asGiven, token, depth);
        c.watches.add(w);
        c.queueEvent(event(c, w, path), quota.pendingEvents());
    }

    /** {@code XS_UNWATCH}: ENOENT when there is no such watch. */
    public void unwatch(XsConnection c, String path, String token) throws XsException {
        if (!c.watches.removeIf(w -> w.path().equals(path) && w.token().equals(token))) {
            throw new XsException(ENOENT, "no watch on " + XsPath.abbreviate(path) + " with that token");
        }
    }

    /** {@code XS_RESET_WATCHES}: drops the connection's watches and transactions. */
    public void resetWatches(XsConnection c) {
        c.watches.clear();
        c.transactions.clear();
    }

    /** Fires the special watch {@code special} ({@link XsPath#INTRODUCE_DOMAIN}, {@link XsPath#RELEASE_DOMAIN}). */
    public void fireSpecial(String special) {
        for (XsConnection c : List.copyOf(connections)) {
            for (XsWatch w : List.copyOf(c.watches)) {
                if (w.path().equals(special)) {
                    c.queueEvent(event(c, w, special), quota.pendingEvents());
                }
            }
        }
    }

    private void fire(Change ch) {
        for (XsConnection c : List.copyOf(connections)) {
            if (!c.privileged() && !ch.perms().canRead(c.domid())) {
                continue;
            }
            for (XsWatch w : List.copyOf(c.watches)) {
                String path = w.firedBy(ch.path());
                if (path == null && ch.removed() && !XsPath.isSpecial(w.path())
                        && XsPath.isAtOrBelow(w.path(), ch.path())) {
                    path = w.path(); // an ancestor went, recursively: the watch reports its own path
                }
                if (path != null) {
                    c.queueEvent(event(c, w, path), quota.pendingEvents());
                }
            }
        }
    }

    private static XsMessage event(XsConnection c, XsWatch w, String absolute) {
        String path = XsPath.asWatcherSees(c.domid(), w.asGiven(), absolute);
        return XsMessage.of(XsWire.XS_WATCH_EVENT, 0, 0, path + "\0" + w.token() + "\0");
    }

    /** Values in the store's tests and logs: the bytes as ISO-8859-1 text. */
    static String text(byte[] value) {
        return new String(value, StandardCharsets.ISO_8859_1);
    }
}
