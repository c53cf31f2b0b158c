package org.parasol.hypercall.abi;

import org.parasol.hypercall.Errno;

/**
 * XenStore wire protocol constants, mirrors {@code io/xs_wire.h}: message types
 * ({@code enum xsd_sockmsg_type}), sizes and limits, the ring page's feature, connection and
 * error values, and the errno names allowed in an {@code XS_ERROR} reply.
 */
public final class XsWire {
    private XsWire() {
    }

    /** {@code XS_CONTROL} (alias {@code XS_DEBUG}). */
    public static final int XS_CONTROL = 0;
    /** {@code XS_DIRECTORY}: list children. */
    public static final int XS_DIRECTORY = 1;
    /** {@code XS_READ}: read a value. */
    public static final int XS_READ = 2;
    /** {@code XS_GET_PERMS}: read a node's permissions. */
    public static final int XS_GET_PERMS = 3;
    /** {@code XS_WATCH}: add a watch. */
    public static final int XS_WATCH = 4;
    /** {@code XS_UNWATCH}: remove a watch. */
    public static final int XS_UNWATCH = 5;
    /** {@code XS_TRANSACTION_START}. */
    public static final int XS_TRANSACTION_START = 6;
    /** {@code XS_TRANSACTION_END}: {@code T} commits, {@code F} aborts. */
    public static final int XS_TRANSACTION_END = 7;
    /** {@code XS_INTRODUCE}: tell xenstored about a new domain (dom0 only). */
    public static final int XS_INTRODUCE = 8;
    /** {@code XS_RELEASE}: forget a domain (dom0 only). */
    public static final int XS_RELEASE = 9;
    /** {@code XS_GET_DOMAIN_PATH}: a domain's home path. */
    public static final int XS_GET_DOMAIN_PATH = 10;
    /** {@code XS_WRITE}: write a value. */
    public static final int XS_WRITE = 11;
    /** {@code XS_MKDIR}: create a node. */
    public static final int XS_MKDIR = 12;
    /** {@code XS_RM}: remove a subtree. */
    public static final int XS_RM = 13;
    /** {@code XS_SET_PERMS}: set a node's permissions. */
    public static final int XS_SET_PERMS = 14;
    /** {@code XS_WATCH_EVENT}: server to client only. */
    public static final int XS_WATCH_EVENT = 15;
    /** {@code XS_ERROR}: reply carrying an errno name. */
    public static final int XS_ERROR = 16;
    /** {@code XS_IS_DOMAIN_INTRODUCED}. */
    public static final int XS_IS_DOMAIN_INTRODUCED = 17;
    /** {@code XS_RESUME} (dom0 only). */
    public static final int XS_RESUME = 18;
    /** {@code XS_SET_TARGET} (dom0 only). */
    public static final int XS_SET_TARGET = 19;
    /** Removed {@code XS_RESTRICT}; invalid on the wire. */
    public static final int XS_RESTRICT_REMOVED = 20;
    /** {@code XS_RESET_WATCHES}: drop all the caller's watches and transactions. */
    public static final int XS_RESET_WATCHES = 21;
    /** {@code XS_DIRECTORY_PART}: list children in chunks. */
    public static final int XS_DIRECTORY_PART = 22;
    /** {@code XS_GET_FEATURE}. */
    public static final int XS_GET_FEATURE = 23;
    /** {@code XS_SET_FEATURE}. */
    public static final int XS_SET_FEATURE = 24;
    /** {@code XS_GET_QUOTA}. */
    public static final int XS_GET_QUOTA = 25;
    /** {@code XS_SET_QUOTA}. */
    public static final int XS_SET_QUOTA = 26;
    /** {@code XS_TYPE_COUNT}: types are below this. */
    public static final int XS_TYPE_COUNT = 27;
    /** {@code XS_INVALID}: never valid. */
    public static final int XS_INVALID = 0xFFFF;

    /** {@code XS_WATCH_PATH}: index of the path in a watch event. */
    public static final int XS_WATCH_PATH = 0;
    /** {@code XS_WATCH_TOKEN}: index of the token in a watch event. */
    public static final int XS_WATCH_TOKEN = 1;

    /** Size of the {@code xsd_sockmsg} header. */
    public static final int HEADER_SIZE = 16;
    /** {@code XENSTORE_PAYLOAD_MAX}: largest payload either way. */
    public static final int XENSTORE_PAYLOAD_MAX = 4096;
    /** {@code XENSTORE_RING_SIZE}: bytes in each of {@code req[]} and {@code rsp[]}. */
    public static final int XENSTORE_RING_SIZE = 1024;
    /** {@code XENSTORE_ABS_PATH_MAX}: longest absolute path. */
    public static final int XENSTORE_ABS_PATH_MAX = 3072;
    /** {@code XENSTORE_REL_PATH_MAX}: longest relative path. */
    public static final int XENSTORE_REL_PATH_MAX = 2048;

    /** {@code XENSTORE_SERVER_FEATURE_RECONNECTION}: the server supports reconnection. */
    public static final int XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
    /** {@code XENSTORE_SERVER_FEATURE_ERROR}: the server reports ring errors. */
    public static final int XENSTORE_SERVER_FEATURE_ERROR = 2;
    /** {@code XENSTORE_SERVER_FEATURE_WATCHDEPTH}: watches may carry a depth. */
    public static final int XENSTORE_SERVER_FEATURE_WATCHDEPTH = 4;
    /** {@code XENSTORE_SERVER_FEATURE_DOMID_ANY}: {@code DOMID_ANY} in permissions. */
    public static final int XENSTORE_SERVER_FEATURE_DOMID_ANY = 8;

    /** {@code XENSTORE_CONNECTED}: {@code connection} value, normal operation. */
    public static final int XENSTORE_CONNECTED = 0;
    /** {@code XENSTORE_RECONNECT}: {@code connection} value, reconnect in progress. */
    public static final int XENSTORE_RECONNECT = 1;

    /** {@code XENSTORE_ERROR_NONE}: {@code error} value. */
    public static final int XENSTORE_ERROR_NONE = 0;
    /** {@code XENSTORE_ERROR_COMM}: communication error. */
    public static final int XENSTORE_ERROR_COMM = 1;
    /** {@code XENSTORE_ERROR_RINGIDX}: invalid ring index. */
    public static final int XENSTORE_ERROR_RINGIDX = 2;
    /** {@code XENSTORE_ERROR_PROTO}: protocol violation. */
    public static final int XENSTORE_ERROR_PROTO = 3;

    /**
     * Returns {@code true} if {@code name} is one of the errno names {@code xs_wire.h}
     * allows in an {@code XS_ERROR} reply.
     */
    public static boolean isWireErrorName(String name) {
        if (name == null) {
            return false;
        }
        return switch (name) {
            case "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
                 "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG", "EPERM" ->
                    true;
            default -> false;
        };
    }

    /**
     * Returns the {@code XS_ERROR} name for errno {@code errno} (positive), or {@code null} if
     * that errno may not appear on the wire.
     */
    public static String wireErrorName(int errno) {
        return switch (errno) {
            case Errno.EINVAL -> "EINVAL";
            case Errno.EACCES -> "EACCES";
            case Errno.EEXIST -> "EEXIST";
            case Errno.EISDIR -> "EISDIR";
            case Errno.ENOENT -> "ENOENT";
            case Errno.ENOMEM -> "ENOMEM";
            case Errno.ENOSPC -> "ENOSPC";
            case Errno.EIO -> "EIO";
            case Errno.ENOTEMPTY -> "ENOTEMPTY";
            case Errno.ENOSYS -> "ENOSYS";
            case Errno.EROFS -> "EROFS";
            case Errno.EBUSY -> "EBUSY";
            case Errno.EAGAIN -> "EAGAIN";
            case Errno.EISCONN -> "EISCONN";
            case Errno.E2BIG -> "E2BIG";
            case Errno.EPERM -> "EPERM";
            default -> null;
        };
    }

    /** Returns Xen's name for message type {@code type} (e.g. {@code "XS_READ"}), or {@code null}. */
    public static String typeName(int type) {
        return switch (type) {
            case XS_CONTROL -> "XS_CONTROL";
            case XS_DIRECTORY -> "XS_DIRECTORY";
            case XS_READ -> "XS_READ";
            case XS_GET_PERMS -> "XS_GET_PERMS";
            case XS_WATCH -> "XS_WATCH";
            case XS_UNWATCH -> "XS_UNWATCH";
            case XS_TRANSACTION_START -> "XS_TRANSACTION_START";
            case XS_TRANSACTION_END -> "XS_TRANSACTION_END";
            case XS_INTRODUCE -> "XS_INTRODUCE";
            case XS_RELEASE -> "XS_RELEASE";
            case XS_GET_DOMAIN_PATH -> "XS_GET_DOMAIN_PATH";
            case XS_WRITE -> "XS_WRITE";
            case XS_MKDIR -> "XS_MKDIR";
            case XS_RM -> "XS_RM";
            case XS_SET_PERMS -> "XS_SET_PERMS";
            case XS_WATCH_EVENT -> "XS_WATCH_EVENT";
            case XS_ERROR -> "XS_ERROR";
            case XS_IS_DOMAIN_INTRODUCED -> "XS_IS_DOMAIN_INTRODUCED";
            case XS_RESUME -> "XS_RESUME";
            case XS_SET_TARGET -> "XS_SET_TARGET";
            case XS_RESET_WATCHES -> "XS_RESET_WATCHES";
            case XS_DIRECTORY_PART -> "XS_DIRECTORY_PART";
            case XS_GET_FEATURE -> "XS_GET_FEATURE";
            case XS_SET_FEATURE -> "XS_SET_FEATURE";
            case XS_GET_QUOTA -> "XS_GET_QUOTA";
            case XS_SET_QUOTA -> "XS_SET_QUOTA";
            default -> null;
        };
    }
}
