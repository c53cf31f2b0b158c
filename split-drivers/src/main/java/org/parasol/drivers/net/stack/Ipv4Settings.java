package org.parasol.drivers.net.stack;

import java.util.Objects;

/**
 * Static IPv4 addressing: the interface's address, its network's prefix length and the
 * default gateway ({@link Ipv4Address#ANY}: none, only the local network is reachable).
 *
 * @param address the interface's address
 * @param prefixLength 0..32
 * @param gateway the next hop off the network, on it, or {@link Ipv4Address#ANY}
 */
public record Ipv4Settings(Ipv4Address address, int prefixLength, Ipv4Address gateway) {
    /** The prefix length when {@code ip=} gives none. */
    public static final int DEFAULT_PREFIX_LENGTH = 24;

    /**
     * @throws IllegalArgumentException if the address is 0.0.0.0, multicast or broadcast, the
     *         prefix is not 0..32, or the gateway is not on the network
     */
    public Ipv4Settings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
        Ipv4Address.netmask(prefixLength);
        if (address.isAny() || address.isMulticast() || address.isBroadcast()) {
            throw new IllegalArgumentException("not an interface address: " + address);
        }
        if (!gateway.isAny() && (!gateway.sameNetwork(address, prefixLength) || gateway.equals(address))) {
            throw new IllegalArgumentException("gateway " + gateway + " is not another host on " + address + "/" + prefixLength);
        }
    }

    /**
     * Reads the {@code ip=} and {@code gw=} words of a command line or a vif's settings,
     * separated by spaces or commas, ignoring other words: {@code ip=10.0.0.2/24 gw=10.0.0.1}
     * ({@code ip=10.0.0.2} alone means /{@value #DEFAULT_PREFIX_LENGTH} and no gateway).
     *
     * @throws IllegalArgumentException if {@code ip=} is missing or either value does not parse
     */
    public static Ipv4Settings parse(String options) {
        Objects.requireNonNull(options, "options");
        Ipv4Address ip = null;
        int prefix = DEFAULT_PREFIX_LENGTH;
        Ipv4Address gw = Ipv4Address.ANY;
        int i = 0;
        int n = options.length();
        while (i < n) {
            int start = i;
            while (i < n && options.charAt(i) != ' ' && options.charAt(i) != ',') {
                i++;
            }
            String word = options.substring(start, i);
            i++;
            if (word.startsWith("ip=")) {
                String v = word.substring(3);
                int slash = v.indexOf('/');
                if (slash >= 0) {
                    prefix = prefixLength(v.substring(slash + 1));
                    v = v.substring(0, slash);
                }
                ip = Ipv4Address.parse(v);
            } else if (word.startsWith("gw=")) {
                gw = Ipv4Address.parse(word.substring(3));
            }
        }
        if (ip == null) {
            throw new IllegalArgumentException("no ip= in '" + options + "'");
        }
        return new Ipv4Settings(ip, prefix, gw);
    }

    private static int prefixLength(String text) {
        if (text.isEmpty() || text.length() > 2 || (text.length() == 2 && text.charAt(0) == '0')) {
            throw new IllegalArgumentException("not a prefix length 0..32: '" + text + "'");
        }
        int v = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch < '0' || ch > '9') {
                throw new IllegalArgumentException("not a prefix length 0..32: '" + text + "'");
            }
            v = v * 10 + (ch - '0');
        }
        if (v > 32) {
            throw new IllegalArgumentException("not a prefix length 0..32: '" + text + "'");
        }
        return v;
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength + (gateway.isAny() ? "" : " via " + gateway);
    }
}
