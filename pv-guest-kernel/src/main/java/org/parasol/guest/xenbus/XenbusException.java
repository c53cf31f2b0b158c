package org.parasol.guest.xenbus;

import org.parasol.hypercall.abi.XsWire;

/**
 * A xenstore request that failed: xenstored answered {@code XS_ERROR} with the errno name it
 * carries ({@code ENOENT}, {@code EACCES}, {@code EAGAIN}, ...), or the client refused or lost
 * the request before any answer ({@code E2BIG} for a payload over 4096 bytes, {@code EBUSY}
 * when too many requests wait, {@code EIO} when the store ring broke).
 */
public final class XenbusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String error;
    private final int type;
    private final String path;

    /** Request {@code type} on {@code path} failed with errno name {@code error}. */
    public XenbusException(String error, int type, String path, String detail) {
        super(describe(error, type, path, detail), null, false, false);
        this.error = error;
        this.type = type;
        this.path = path;
    }

    private static String describe(String error, int type, String path, String detail) {
        String name = XsWire.typeName(type);
        return (name == null ? "type " + type : name) + (path == null ? "" : " " + path) + ": " + error
                + (detail == null ? "" : " (" + detail + ")");
    }

    /** The errno name, as on the wire: {@code ENOENT}, {@code EAGAIN}, ... */
    public String error() {
        return error;
    }

    /** The request's {@code XS_*} type. */
    public int type() {
        return type;
    }

    /** The path the request named, or null. */
    public String path() {
        return path;
    }

    /** Whether the error is {@code name}. */
    public boolean is(String name) {
        return error.equals(name);
    }

    /** Whether {@code failure} is a xenbus error named {@code name}. */
    public static boolean is(Throwable failure, String name) {
        return failure instanceof XenbusException x && x.is(name);
    }
}
