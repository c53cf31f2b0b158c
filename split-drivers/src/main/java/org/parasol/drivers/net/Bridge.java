package org.parasol.drivers.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.parasol.hypercall.GuestMemory;

/**
 * A learning Ethernet switch, as Linux's bridge is for Xen's {@code xenbr0}: ports (vifs of
 * several domains), a MAC table filled from source addresses and aged out, unicast to the port
 * a destination was learned on, flooding of broadcast, multicast and unknown destinations.
 * Frames are bytes in the owning domain's memory ({@code va}, {@code length}), handed to each
 * output port synchronously; nothing is queued here, so a port that cannot take a frame drops
 * it and counts it, and never stalls the others.
 *
 * <p>The table is bounded ({@value #MAX_ENTRIES} entries; past it nothing new is learned, and
 * unknown destinations are flooded), so a front end forging source addresses cannot grow it.
 */
public final class Bridge {
    /** Linux's default ageing time. */
    public static final long AGEING_NS = 300_000_000_000L;
    /** MAC table bound. */
    public static final int MAX_ENTRIES = 4096;

    /** One port of the bridge: where frames come from and go to. */
    public interface Port {
        /** Takes a frame for the domain behind the port (copies it out before returning); false if dropped. */
        boolean deliver(long va, int length);
    }

    /** Where an address was last heard from, and when; updated in place as frames come. */
    private static final class Entry {
        Port port;
        long seen;

        Entry(Port port, long seen) {
            this.port = port;
            this.seen = seen;
        }

        Port port() {
            return port;
        }

        long seen() {
            return seen;
        }
    }

    private final String name;
    private final GuestMemory mem;
    private final LongSupplier clock;
    private final List<Port> ports = new ArrayList<>();
    private final Map<Long, Entry> table = new HashMap<>();
    private long forwarded;
    private long flooded;
    private long dropped;

    public Bridge(String name, GuestMemory mem, LongSupplier clock) {
        this.name = name;
        this.mem = mem;
        this.clock = clock;
    }

    public String name() {
        return name;
    }

    public void attach(Port p) {
        ports.add(p);
    }

    /** Removes a port and every address learned on it. */
    public void detach(Port p) {
        ports.remove(p);
        table.values().removeIf(e -> e.port() == p);
    }

    public int ports() {
        return ports.size();
    }

    public int learned() {
        return table.size();
    }

    public long forwarded() {
        return forwarded;
    }

    public long flooded() {
        return flooded;
    }

    /** Frames a port could not take. */
    public long dropped() {
        return dropped;
    }

    private long mac(long va) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (mem.getByte(va + i) & 0xFF);
        }
        return v;
    }

    /** A frame that came in on {@code from}: learn its source, forward or flood it. */
    public void input(Port from, long va, int length) {
        if (length < Vif.ETH_HEADER) {
            dropped++;
            return;
        }
        long now = clock.getAsLong();
        long dst = mac(va);
        long src = mac(va + 6);
        boolean srcGroup = (src >>> 40 & 1) != 0;
        if (!srcGroup) {
            Entry e = table.get(src);
            if (e != null) {
                e.port = from;
                e.seen = now;
            } else if (table.size() < MAX_ENTRIES) {
                table.put(src, new Entry(from, now));
            }
        }
        boolean group = (dst >>> 40 & 1) != 0;
        Entry to = group ? null : table.get(dst);
        if (to != null && now - to.seen() > AGEING_NS) {
            table.remove(dst);
            to = null;
        }
        if (to != null) {
            if (to.port() != from) {
                forwarded++;
                if (!to.port().deliver(va, length)) {
                    dropped++;
                }
            }
            return;
        }
        flooded++;
        for (int i = 0; i < ports.size(); i++) {
            Port p = ports.get(i);
            if (p != from && !p.deliver(va, length)) {
                dropped++;
            }
        }
    }
}
