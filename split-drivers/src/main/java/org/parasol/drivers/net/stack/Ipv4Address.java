package org.parasol.drivers.net.stack;

/**
 * An IPv4 address, held as an int (first octet in the high byte) and printed in dotted
 * decimal.
 *
 * @param bits the address in network order as a number: 10.0.0.2 is {@code 0x0A000002}
 */
public record Ipv4Address(int bits) {
    /** 0.0.0.0: no address. */
    public static final Ipv4Address ANY = new Ipv4Address(0);
    /** 255.255.255.255: the limited broadcast. */
    public static final Ipv4Address BROADCAST = new Ipv4Address(-1);

    /** a.b.c.d, each 0..255. */
    public static Ipv4Address of(int a, int b, int c, int d) {
        for (int o : new int[] {a, b, c, d}) {
            if (o < 0 || o > 255) {
                throw new IllegalArgumentException("an IPv4 octet is 0..255: " + o);
            }
        }
        return new Ipv4Address(a << 24 | b << 16 | c << 8 | d);
    }

    /**
     * Parses dotted decimal: exactly four decimal octets 0..255 separated by dots, such as
     * {@code 10.0.0.2}. Strict: no leading zeros (they mean octal to some parsers), no signs,
     * no spaces, no shorthand such as {@code 10.2}.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static Ipv4Address parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no IPv4 address (null)");
        }
        int v = 0;
        int pos = 0;
        int n = text.length();
        for (int i = 0; i < 4; i++) {
            int start = pos;
            int octet = 0;
            while (pos < n && pos - start < 4 && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                octet = octet * 10 + (text.charAt(pos) - '0');
                pos++;
            }
            int digits = pos - start;
            if (digits == 0) {
                throw bad(text, "octet " + (i + 1) + " is not a decimal number");
            }
            if (digits > 3 || octet > 255) {
                throw bad(text, "octet " + (i + 1) + " is above 255");
            }
            if (digits > 1 && text.charAt(start) == '0') {
                throw bad(text, "octet " + (i + 1) + " has a leading zero");
            }
            v = v << 8 | octet;
            if (i < 3) {
                if (pos >= n || text.charAt(pos) != '.') {
                    throw bad(text, "expected four octets separated by '.'");
                }
                pos++;
            }
        }
        if (pos != n) {
            throw bad(text, "unexpected text after the fourth octet");
        }
        return new Ipv4Address(v);
    }

    /** The four bytes at {@code b[off]}. */
    public static Ipv4Address read(byte[] b, int off) {
        return new Ipv4Address(Bytes.i32(b, off));
    }

    /** Writes the four bytes at {@code b[off]}. */
    public void writeTo(byte[] b, int off) {
        Bytes.put32(b, off, bits);
    }

    /** The netmask of a prefix length 0..32 as an int: 24 gives 0xFFFFFF00. */
    public static int netmask(int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("an IPv4 prefix length is 0..32: " + prefixLength);
        }
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** Whether {@code other} is in the same /{@code prefixLength} network as this. */
    public boolean sameNetwork(Ipv4Address other, int prefixLength) {
        int m = netmask(prefixLength);
        return (bits & m) == (other.bits & m);
    }

    /** 255.255.255.255. */
    public boolean isBroadcast() {
        return bits == -1;
    }

    /** 224.0.0.0/4. */
    public boolean isMulticast() {
        return (bits & 0xF000_0000) == 0xE000_0000;
    }

    /** 0.0.0.0. */
    public boolean isAny() {
        return bits == 0;
    }

    @Override
    public String toString() {
        return (bits >>> 24) + "." + (bits >>> 16 & 0xFF) + "." + (bits >>> 8 & 0xFF) + "." + (bits & 0xFF);
    }

    private static IllegalArgumentException bad(String text, String why) {
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return new IllegalArgumentException("not an IPv4 address: '" + shown + "': " + why);
    }
}
