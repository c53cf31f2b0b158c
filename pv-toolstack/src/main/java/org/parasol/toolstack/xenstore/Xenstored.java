package org.parasol.toolstack.xenstore;

import static org.parasol.hypercall.Errno.E2BIG;
import static org.parasol.hypercall.Errno.EACCES;
import static org.parasol.hypercall.Errno.EINVAL;
import static org.parasol.hypercall.Errno.ENOENT;
import static org.parasol.hypercall.Errno.ENOSYS;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.parasol.hypercall.abi.XsWire;

/**
 * xenstored's request handling: one {@code xs_wire} request in, one reply out (watch events
 * go to the connections through their sinks). Transport-free — a domain's store ring and
 * dom0's socket both hand their decoded messages here.
 *
 * <p>Hostile input is answered, never thrown: a malformed payload, an unknown type, a bad
 * path or transaction id, a quota reached, each is an {@code XS_ERROR} reply carrying Xen's
 * errno name, and the store keeps serving everyone.
 */
public final class Xenstored {
    /**
     * The reply payload {@code "OK\0"}, made once per xenstored. An instance field, not a static
     * one: a static array is mutable static state, which gives dom0's image a class loader per
     * domain ({@code StaticStateCheck}), so every dom0 of one host JVM (each boot of {@code
     * parasol bench}) would get its own copies of netback's, blkback's and the bridge's classes
     * and the JIT would compile all of them again in every boot.
     */
    private final byte[] ok = "OK\0".getBytes(StandardCharsets.ISO_8859_1);

    /** What xenstored does when dom0 introduces or releases a domain. */
    public interface Domains {
        /** {@code XS_INTRODUCE}: connect domain {@code domid}'s store page and port. */
        void introduce(int domid, long gfn, int evtchn) throws XsException;

        /** {@code XS_RELEASE}: the domain is gone; drop its connection. */
        void release(int domid);
    }

    private final XsStore store;
    private final Domains domains;
    private final Set<Integer> introduced = new HashSet<>();

    /** A daemon over {@code store}; {@code domains} connects introduced domains' rings. */
    public Xenstored(XsStore store, Domains domains) {
        this.store = store;
        this.domains = domains;
    }

    /** The store. */
    public XsStore store() {
        return store;
    }

    /** Whether {@code domid} was introduced and not released. */
    public boolean isIntroduced(int domid) {
        return introduced.contains(domid);
    }

    /** Handles one request from {@code c} and returns the reply (same type, or {@code XS_ERROR}). */
    public XsMessage handle(XsConnection c, XsMessage req) {
        try {
            return new XsMessage(req.type(), req.reqId(), req.txId(), dispatch(c, req));
        } catch (XsException e) {
            return XsMessage.of(XsWire.XS_ERROR, req.reqId(), req.txId(), e.wireName() + "\0");
        } catch (RuntimeException e) {
            // A bug of ours, not the client's: answered, logged, and the store goes on serving.
            store.log("xenstored: " + req + " from " + c + " failed: " + e);
            return XsMessage.of(XsWire.XS_ERROR, req.reqId(), req.txId(), "EIO\0");
        }
    }

    private byte[] dispatch(XsConnection c, XsMessage req) throws XsException {
        // XS_WRITE's value is bytes, not an argument: decoding it as strings would copy up to
        // 4 KiB twice per write for nothing; the path is cut out below.
        List<String> args = req.type() == XsWire.XS_WRITE ? List.of() : req.strings();
        XsTransaction tx = req.txId() == 0 ? null : store.transaction(c, req.txId());
        switch (req.type()) {
            case XsWire.XS_READ -> {
                return store.read(c, tx, path(c, args, 0));
            }
            case XsWire.XS_DIRECTORY -> {
                StringBuilder sb = new StringBuilder();
                for (String child : store.directory(c, tx, path(c, args, 0))) {
                    sb.append(child).append('\0'); // each name NUL-terminated, as xenstored sends them
                }
                return reply(c, sb.toString());
            }
            case XsWire.XS_DIRECTORY_PART -> {
                if (args.size() != 2) {
                    throw new XsException(EINVAL, "XS_DIRECTORY_PART wants a path and an offset");
                }
                String path = path(c, args, 0);
                return directoryPart(store.generation(c, tx, path), store.directory(c, tx, path),
                        number(args.get(1), Integer.MAX_VALUE));
            }
            case XsWire.XS_GET_PERMS -> {
                return reply(c, store.getPerms(c, tx, path(c, args, 0)).wire());
            }
            case XsWire.XS_WRITE -> {
                int nul = indexOfNul(req.payload());
                if (nul < 0) {
                    throw new XsException(EINVAL, "XS_WRITE without a NUL after the path");
                }
                String path = XsPath.absolute(c.domid(), new String(req.payload(), 0, nul, StandardCharsets.ISO_8859_1));
                store.write(c, tx, path, Arrays.copyOfRange(req.payload(), nul + 1, req.payload().length));
                return ok;
            }
            case XsWire.XS_MKDIR -> {
                store.mkdir(c, tx, path(c, args, 0));
                return ok;
            }
            case XsWire.XS_RM -> {
                store.rm(c, tx, path(c, args, 0));
                return ok;
            }
            case XsWire.XS_SET_PERMS -> {
                String path = path(c, args, 0);
                if (args.size() < 2) {
                    throw new XsException(EINVAL, "XS_SET_PERMS without permissions");
                }
                java.util.ArrayList<XsPerms.Perm> perms = new java.util.ArrayList<>();
                for (String s : args.subList(1, args.size())) {
                    perms.add(XsPerms.parse(s));
                }
                store.setPerms(c, tx, path, new XsPerms(perms));
                return ok;
            }
            case XsWire.XS_WATCH -> {
                String given = arg(args, 0);
                String token = arg(args, 1);
                int depth = args.size() > 2 ? number(args.get(2), 0xFFFF) : -1;
                String path = XsPath.isSpecial(given) ? special(given) : XsPath.absolute(c.domid(), given);
                store.watch(c, path, given, token, depth);
                return ok;
            }
            case XsWire.XS_UNWATCH -> {
                String given = arg(args, 0);
                String path = XsPath.isSpecial(given) ? special(given) : XsPath.absolute(c.domid(), given);
                store.unwatch(c, path, arg(args, 1));
                return ok;
            }
            case XsWire.XS_TRANSACTION_START -> {
                if (req.txId() != 0) {
                    throw new XsException(EINVAL, "XS_TRANSACTION_START inside a transaction");
                }
                return (Integer.toUnsignedString(store.start(c).id) + "\0").getBytes(StandardCharsets.ISO_8859_1);
            }
            case XsWire.XS_TRANSACTION_END -> {
                if (tx == null) {
                    throw new XsException(ENOENT, "XS_TRANSACTION_END without a transaction");
                }
                String how = arg(args, 0);
                if (!how.equals("T") && !how.equals("F")) {
                    throw new XsException(EINVAL, "XS_TRANSACTION_END with '" + XsPath.abbreviate(how) + "'");
                }
                store.end(tx, how.equals("T"));
                return ok;
            }
            case XsWire.XS_GET_DOMAIN_PATH -> {
                return (XsPath.domainPath(number(arg(args, 0), 0xFFFF)) + "\0").getBytes(StandardCharsets.ISO_8859_1);
            }
            case XsWire.XS_IS_DOMAIN_INTRODUCED -> {
                return (introduced.contains(number(arg(args, 0), 0xFFFF)) ? "T\0" : "F\0").getBytes(StandardCharsets.ISO_8859_1);
            }
            case XsWire.XS_INTRODUCE -> {
                privileged(c, "XS_INTRODUCE");
                int domid = number(arg(args, 0), 0x7FEF);
                long gfn = Long.parseUnsignedLong(digits(arg(args, 1)));
                int evtchn = number(arg(args, 2), Integer.MAX_VALUE);
                if (!introduced.contains(domid)) {
                    domains.introduce(domid, gfn, evtchn);
                    introduced.add(domid);
                    store.fireSpecial(XsPath.INTRODUCE_DOMAIN);
                }
                return ok;
            }
            case XsWire.XS_RELEASE -> {
                privileged(c, "XS_RELEASE");
                int domid = number(arg(args, 0), 0x7FEF);
                if (!introduced.remove(domid)) {
                    throw new XsException(ENOENT, "domain " + domid + " was not introduced");
                }
                domains.release(domid);
                store.fireSpecial(XsPath.RELEASE_DOMAIN);
                return ok;
            }
            case XsWire.XS_RESUME, XsWire.XS_SET_TARGET -> {
                privileged(c, XsWire.typeName(req.type()));
                throw new XsException(ENOSYS, XsWire.typeName(req.type()) + " is not supported");
            }
            case XsWire.XS_RESET_WATCHES -> {
                store.resetWatches(c);
                return ok;
            }
            case XsWire.XS_WATCH_EVENT, XsWire.XS_ERROR, XsWire.XS_RESTRICT_REMOVED, XsWire.XS_INVALID -> {
                throw new XsException(EINVAL, "type " + req.type() + " is not a request");
            }
            default -> throw new XsException(ENOSYS, "type " + req.type() + " is not supported");
        }
    }

    /**
     * One part of a child list, as C xenstored's {@code send_directory_part} cuts it:
     * the node's generation (decimal, NUL-terminated), then the NUL-terminated names from byte
     * {@code off} of the whole list as long as they fit in one payload, and one more NUL (an
     * empty name) when the part reaches the list's end. libxenstore falls back to this when
     * {@code XS_DIRECTORY} answers {@code E2BIG}, and starts over if the generation changed.
     */
    static byte[] directoryPart(long generation, List<String> children, int off) {
        byte[] gen = (Long.toUnsignedString(generation) + "\0").getBytes(StandardCharsets.ISO_8859_1);
        StringBuilder sb = new StringBuilder();
        for (String child : children) {
            sb.append(child).append('\0');
        }
        byte[] list = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (off >= list.length) {
            byte[] end = Arrays.copyOf(gen, gen.length + 1); // an empty list: the generation and one NUL
            return end;
        }
        int maxlen = XsWire.XENSTORE_PAYLOAD_MAX - gen.length - 1;
        int len = 0;
        int at = off;
        for (;;) {
            int nul = at;
            while (list[nul] != 0) {
                nul++;
            }
            int name = nul - at;
            if (len + name >= maxlen) {
                break;
            }
            len += name + 1;
            at = nul + 1;
            if (off + len == list.length) {
                break;
            }
        }
        boolean last = off + len == list.length;
        byte[] part = Arrays.copyOf(gen, gen.length + len + (last ? 1 : 0));
        System.arraycopy(list, off, part, gen.length, len);
        return part; // the trailing NUL of the last part is the copy's zero byte
    }

    private static byte[] reply(XsConnection c, String text) throws XsException {
        byte[] b = text.getBytes(StandardCharsets.ISO_8859_1);
        if (b.length > XsWire.XENSTORE_PAYLOAD_MAX) {
            throw new XsException(E2BIG, "reply of " + b.length + " bytes to " + c);
        }
        return b;
    }

    private static String path(XsConnection c, List<String> args, int i) throws XsException {
        String p = arg(args, i);
        if (XsPath.isSpecial(p)) {
            throw new XsException(EINVAL, "special path " + XsPath.abbreviate(p) + " names no node");
        }
        return XsPath.absolute(c.domid(), p);
    }

    private static String special(String p) throws XsException {
        if (!p.equals(XsPath.INTRODUCE_DOMAIN) && !p.equals(XsPath.RELEASE_DOMAIN)) {
            throw new XsException(EINVAL, "unknown special path " + XsPath.abbreviate(p));
        }
        return p;
    }

    private static String arg(List<String> args, int i) throws XsException {
        if (i >= args.size()) {
            throw new XsException(EINVAL, "argument " + (i + 1) + " missing");
        }
        return args.get(i);
    }

    private static void privileged(XsConnection c, String what) throws XsException {
        if (!c.privileged()) {
            throw new XsException(EACCES, what + " from " + c);
        }
    }

    private static String digits(String s) throws XsException {
        if (s.isEmpty() || s.length() > 19) {
            throw new XsException(EINVAL, "not a number: '" + XsPath.abbreviate(s) + "'");
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                throw new XsException(EINVAL, "not a number: '" + XsPath.abbreviate(s) + "'");
            }
        }
        return s;
    }

    private static int number(String s, int max) throws XsException {
        long v = Long.parseLong(digits(s));
        if (v > max) {
            throw new XsException(EINVAL, s + " is out of range");
        }
        return (int) v;
    }

    private static int indexOfNul(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}
