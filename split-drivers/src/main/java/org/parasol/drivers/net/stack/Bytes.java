package org.parasol.drivers.net.stack;

/**
 * Big-endian (network order) loads and stores on byte arrays: the one place the stack turns
 * wire bytes into numbers. Callers check bounds first; these do not.
 */
final class Bytes {
    private Bytes() {
    }

    static int u8(byte[] b, int off) {
        return b[off] & 0xFF;
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xFF) << 8 | (b[off + 1] & 0xFF);
    }

    static int i32(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }

    /** Six bytes as the low 48 bits of a long: a MAC address. */
    static long u48(byte[] b, int off) {
        return (long) u16(b, off) << 32 | (i32(b, off + 2) & 0xFFFF_FFFFL);
    }

    static void put8(byte[] b, int off, int v) {
        b[off] = (byte) v;
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void put48(byte[] b, int off, long v) {
        put16(b, off, (int) (v >>> 32));
        put32(b, off + 2, (int) v);
    }

    /** Whether {@code [off, off + len)} lies inside an array of {@code size} bytes, without overflow. */
    static boolean inBounds(int size, int off, int len) {
        return off >= 0 && len >= 0 && off <= size - len;
    }
}
