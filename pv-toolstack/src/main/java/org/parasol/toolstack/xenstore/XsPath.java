package org.parasol.toolstack.xenstore;

import static org.parasol.hypercall.Errno.EINVAL;

import org.parasol.hypercall.abi.XsWire;

/**
 * XenStore paths: the rules of {@code docs/misc/xenstore.txt} and xenstored's checks.
 *
 * <p>A path is absolute ({@code /local/domain/3/name}) or, on a domain's connection,
 * relative to the domain's home ({@code name} means {@code /local/domain/3/name}). Allowed
 * characters are ASCII letters and digits and {@code - / _ @}; no empty component
 * ({@code //}), no trailing {@code /} except the root; at most
 * {@link XsWire#XENSTORE_ABS_PATH_MAX} bytes absolute, {@link XsWire#XENSTORE_REL_PATH_MAX}
 * relative. Special watch paths start with {@code @} ({@code @introduceDomain},
 * {@code @releaseDomain}) and name no node.
 */
public final class XsPath {
    /** The root node. */
    public static final String ROOT = "/";
    /** Fired when a domain is introduced. */
    public static final String INTRODUCE_DOMAIN = "@introduceDomain";
    /** Fired when a domain is released. */
    public static final String RELEASE_DOMAIN = "@releaseDomain";

    private XsPath() {
    }

    /** {@code /local/domain/<domid>}: a domain's home. */
    public static String domainPath(int domid) {
        return "/local/domain/" + domid;
    }

    /**
     * The absolute path a connection of domain {@code domid} means by {@code path}, checked.
     *
     * @throws XsException EINVAL for an empty, malformed or too long path, or a special path
     */
    public static String absolute(int domid, String path) throws XsException {
        if (path.isEmpty()) {
            throw new XsException(EINVAL, "empty path");
        }
        if (path.charAt(0) == '/') {
            check(path, XsWire.XENSTORE_ABS_PATH_MAX);
            return path;
        }
        check(path, XsWire.XENSTORE_REL_PATH_MAX);
        return domainPath(domid) + "/" + path;
    }

    /** Whether {@code path} is a special watch path ({@code @...}). */
    public static boolean isSpecial(String path) {
        return path.startsWith("@");
    }

    private static void check(String path, int max) throws XsException {
        if (path.length() > max) {
            throw new XsException(EINVAL, "path of " + path.length() + " bytes, more than " + max);
        }
        if (path.equals(ROOT)) {
            return;
        }
        if (path.endsWith("/")) {
            throw new XsException(EINVAL, "path ends in '/': " + abbreviate(path));
        }
        char prev = 0;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '/' || c == '_' || c == '@';
            if (!ok) {
                throw new XsException(EINVAL, "character 0x" + Integer.toHexString(c) + " in path " + abbreviate(path));
            }
            if (c == '/' && prev == '/') {
                throw new XsException(EINVAL, "empty component in path " + abbreviate(path));
            }
            prev = c;
        }
    }

    /** The parent of an absolute path other than the root. */
    public static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? ROOT : path.substring(0, slash);
    }

    /** The last component of an absolute path other than the root. */
    public static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** {@code parent + "/" + name}, without a doubled slash under the root. */
    public static String child(String parent, String name) {
        return parent.equals(ROOT) ? "/" + name : parent + "/" + name;
    }

    /** Whether {@code path} is {@code ancestor} or lies below it. */
    public static boolean isAtOrBelow(String path, String ancestor) {
        if (ancestor.equals(ROOT)) {
            return path.startsWith("/");
        }
        return path.equals(ancestor) || path.startsWith(ancestor) && path.charAt(ancestor.length()) == '/';
    }

    /** Components of {@code path} below {@code ancestor} ({@code path} at or below it). */
    public static int depthBelow(String path, String ancestor) {
        if (path.equals(ancestor)) {
            return 0;
        }
        int from = ancestor.equals(ROOT) ? 0 : ancestor.length();
        int n = 0;
        for (int i = from; i < path.length(); i++) {
            if (path.charAt(i) == '/') {
                n++;
            }
        }
        return n;
    }

    /**
     * The path as a connection of domain {@code domid} that watched {@code watched} (as it
     * wrote it) sees {@code absolute}: relative to its home when its watch was relative.
     */
    public static String asWatcherSees(int domid, String watched, String absolute) {
        if (watched.startsWith("/") || isSpecial(absolute)) {
            return absolute;
        }
        String home = domainPath(domid) + "/";
        return absolute.startsWith(home) ? absolute.substring(home.length()) : absolute;
    }

    static String abbreviate(String path) {
        return path.length() <= 80 ? path : path.substring(0, 77) + "...";
    }
}
