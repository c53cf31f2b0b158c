package org.parasol.drivers.net.stack;

/**
 * An Ethernet (EUI-48) address, held as the low 48 bits of a long and printed the way
 * {@code ip link} and xl.cfg write it: {@code 00:16:3e:00:00:01}.
 *
 * @param bits the address, first octet in bits 47..40
 */
public record MacAddress(long bits) {
    /** ff:ff:ff:ff:ff:ff. */
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);
    /** 00:00:00:00:00:00. */
    public static final MacAddress ZERO = new MacAddress(0);

    /** @throws IllegalArgumentException if {@code bits} has anything above bit 47 */
    public MacAddress {
        if ((bits >>> 48) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits: 0x" + Long.toHexString(bits));
        }
    }

    /**
     * Parses exactly six two-digit hexadecimal octets separated by colons, such as
     * {@code 00:16:3e:00:00:01} (either case). Nothing else is accepted: no dashes, no
     * single digits, no spaces.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static MacAddress parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no MAC address (null)");
        }
        if (text.length() != 17) {
            throw bad(text, "expected six two-digit hex octets separated by ':' (17 characters)");
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            int p = i * 3;
            if (i > 0 && text.charAt(p - 1) != ':') {
                throw bad(text, "octets must be separated by ':'");
            }
            int hi = hex(text.charAt(p));
            int lo = hex(text.charAt(p + 1));
            if (hi < 0 || lo < 0) {
                throw bad(text, "octet " + (i + 1) + " is not two hex digits");
            }
            v = v << 8 | hi << 4 | lo;
        }
        return new MacAddress(v);
    }

    /** The six bytes at {@code b[off]}. */
    public static MacAddress read(byte[] b, int off) {
        return new MacAddress(Bytes.u48(b, off));
    }

    /** Writes the six bytes at {@code b[off]}. */
    public void writeTo(byte[] b, int off) {
        Bytes.put48(b, off, bits);
    }

    /** The octet at {@code index} (0 is the first on the wire). */
    public int octet(int index) {
        if (index < 0 || index > 5) {
            throw new IndexOutOfBoundsException("octet " + index + " of 6");
        }
        return (int) (bits >>> (40 - 8 * index)) & 0xFF;
    }

    /** ff:ff:ff:ff:ff:ff. */
    public boolean isBroadcast() {
        return bits == BROADCAST.bits;
    }

    /** Group bit set (multicast, broadcast included). */
    public boolean isMulticast() {
        return isMulticast(bits);
    }

    static boolean isMulticast(long bits) {
        return (bits & 0x0100_0000_0000L) != 0;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                s.append(':');
            }
            int o = octet(i);
            s.append(Character.forDigit(o >>> 4, 16)).append(Character.forDigit(o & 0xF, 16));
        }
        return s.toString();
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static IllegalArgumentException bad(String text, String why) {
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return new IllegalArgumentException("not a MAC address: '" + shown + "': " + why);
    }
}
