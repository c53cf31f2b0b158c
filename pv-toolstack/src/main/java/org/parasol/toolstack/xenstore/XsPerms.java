package org.parasol.toolstack.xenstore;

import static org.parasol.hypercall.Errno.EINVAL;

import java.util.ArrayList;
import java.util.List;

/**
 * A node's permissions, as {@code docs/misc/xenstore.txt} defines them: one or more entries
 * {@code <letter><domid>}, {@code r} read, {@code w} write, {@code b} both, {@code n} none.
 * The first entry names the owner, who always has full access; its letter is what every
 * domain without an entry of its own gets. Later entries grant specific domains; the first
 * matching one wins. Privileged connections are not checked at all (the caller decides).
 *
 * @param entries at least one entry; the first is the owner
 */
public record XsPerms(List<Perm> entries) {

    /** One entry: {@code kind} is {@code 'r'}, {@code 'w'}, {@code 'b'} or {@code 'n'}. */
    public record Perm(int domid, char kind) {
        /** Checks the kind. */
        public Perm {
            if (kind != 'r' && kind != 'w' && kind != 'b' && kind != 'n') {
                throw new IllegalArgumentException("permission kind " + kind);
            }
            if (domid < 0 || domid > 0xFFFF) {
                throw new IllegalArgumentException("domid " + domid);
            }
        }

        boolean reads() {
            return kind == 'r' || kind == 'b';
        }

        boolean writes() {
            return kind == 'w' || kind == 'b';
        }

        @Override
        public String toString() {
            return kind + Integer.toString(domid);
        }
    }

    /** Copies the entries; at least one. */
    public XsPerms {
        entries = List.copyOf(entries);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a node has at least one permission entry");
        }
    }

    /** The single entry {@code <kind><owner>}. */
    public static XsPerms of(int owner, char kind) {
        return new XsPerms(List.of(new Perm(owner, kind)));
    }

    /** Parses {@code r0}, {@code b12}, ... as {@code XS_SET_PERMS} carries them. */
    public static Perm parse(String s) throws XsException {
        if (s.length() < 2 || s.length() > 6) {
            throw new XsException(EINVAL, "bad permission '" + XsPath.abbreviate(s) + "'");
        }
        char kind = s.charAt(0);
        if (kind != 'r' && kind != 'w' && kind != 'b' && kind != 'n') {
            throw new XsException(EINVAL, "bad permission letter in '" + s + "'");
        }
        int domid = 0;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new XsException(EINVAL, "bad domid in permission '" + s + "'");
            }
            domid = domid * 10 + (c - '0');
        }
        if (domid > 0xFFFF) {
            throw new XsException(EINVAL, "domid out of range in permission '" + s + "'");
        }
        return new Perm(domid, kind);
    }

    /** The owner: the first entry's domain. */
    public int owner() {
        return entries.getFirst().domid();
    }

    /** The same list with a new owner (its letter kept), as a node created by {@code domid} gets. */
    public XsPerms ownedBy(int domid) {
        List<Perm> l = new ArrayList<>(entries);
        l.set(0, new Perm(domid, entries.getFirst().kind()));
        return new XsPerms(l);
    }

    /** The entry that decides for {@code domid}: its own, else the owner's default. */
    private Perm entryFor(int domid) {
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).domid() == domid) {
                return entries.get(i);
            }
        }
        return entries.getFirst();
    }

    /** Whether an unprivileged {@code domid} may read. */
    public boolean canRead(int domid) {
        return domid == owner() || entryFor(domid).reads();
    }

    /** Whether an unprivileged {@code domid} may write. */
    public boolean canWrite(int domid) {
        return domid == owner() || entryFor(domid).writes();
    }

    /** The entries as {@code XS_GET_PERMS} returns them: each string, NUL-terminated. */
    public String wire() {
        StringBuilder sb = new StringBuilder();
        for (Perm p : entries) {
            sb.append(p).append('\0');
        }
        return sb.toString();
    }

    /** Bytes the entries take in a node's size (as xenstored counts them). */
    int bytes() {
        return entries.size() * 4;
    }
}
