package org.parasol.cli.net;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A host TAP device ({@code /dev/net/tun}, {@code TUNSETIFF} with {@code IFF_TAP | IFF_NO_PI}:
 * whole Ethernet frames, no packet-information prefix) made inside a network namespace the
 * user created, never in the host's own.
 *
 * <p>How it gets into the namespace: a fresh platform thread opens the namespace's file
 * ({@code /run/netns/NAME}, as {@code ip netns add NAME} makes it, or any path such as
 * {@code /proc/PID/ns/net}) and calls {@code setns(fd, CLONE_NEWNET)}, which moves only the
 * calling thread; it opens {@code /dev/net/tun} there, so the interface is created in the
 * namespace, gives it its address and brings it up with {@code SIOCSIFADDR},
 * {@code SIOCSIFNETMASK} and {@code SIOCSIFFLAGS} on a socket made there too, moves back to
 * the namespace it came from, and ends. The TAP's descriptor keeps the interface in its
 * namespace; reads and writes from any thread reach it. The interface goes away when the
 * descriptor is closed.
 *
 * <p>Offloads, as QEMU's and vhost-net's TAPs take them: with {@code offload}, the TAP is made
 * with {@code IFF_VNET_HDR} (each frame read or written behind a 10-byte {@code struct
 * virtio_net_hdr}, {@code TUNSETVNETHDRSZ}) and asked for {@code TUN_F_CSUM | TUN_F_TSO4}
 * ({@code TUNSETOFFLOAD}): TCP/IPv4 GSO frames may then be written whole for the host kernel to
 * cut, and the host kernel may hand such frames, and frames with a partial checksum, to the
 * reader. Where the kernel refuses the offloads, the TAP has the header but no GSO
 * ({@link #gso()} false). Its MTU is set to 1500 ({@code SIOCSIFMTU}).
 *
 * <p>Every failure is a {@link TapException} that says which step failed and why, e.g. no
 * {@code /dev/net/tun}, no permission ({@code CAP_NET_ADMIN}), no such namespace.
 */
public final class Tap implements AutoCloseable {
    /** Why a TAP could not be made. */
    public static final class TapException extends Exception {
        TapException(String message) {
            super(message);
        }
    }

    /** The {@code struct virtio_net_hdr} before each frame when {@link #vnetHeader()}. */
    static final int VNET_HDR = 10;
    /** The MTU the TAP is given: frames from the host without GSO are at most 1514 bytes. */
    static final int MTU = 1500;

    private final int fd;
    private final String name;
    private final String namespace;
    private final boolean vnetHeader;
    private final boolean gso;
    private final String offloadNote;
    private volatile boolean closed;

    private Tap(int fd, String name, String namespace, boolean vnetHeader, boolean gso, String offloadNote) {
        this.fd = fd;
        this.name = name;
        this.namespace = namespace;
        this.vnetHeader = vnetHeader;
        this.gso = gso;
        this.offloadNote = offloadNote;
    }

    /** Whether each frame crosses the descriptor behind a {@value #VNET_HDR}-byte {@code virtio_net_hdr}. */
    boolean vnetHeader() {
        return vnetHeader;
    }

    /** Whether the kernel took {@code TUN_F_CSUM | TUN_F_TSO4}: TCP/IPv4 GSO frames may cross whole. */
    boolean gso() {
        return gso;
    }

    /** What became of the offloads, for the run's log. */
    String offloadNote() {
        return offloadNote;
    }

    int fd() {
        return fd;
    }

    String name() {
        return name;
    }

    String namespace() {
        return namespace;
    }

    /** The namespace file a name or path stands for. */
    static String namespacePath(String netns) {
        return netns.startsWith("/") ? netns : "/run/netns/" + netns;
    }

    /**
     * Makes TAP {@code name} in namespace {@code netns} (a name under /run/netns or a path),
     * with {@code address}/{@code prefix} and up when the address is given (null: no
     * address, left down). The descriptor is non-blocking.
     */
    static Tap open(String netns, String name, String address, int prefix, boolean offload) throws TapException {
        if (name.isEmpty() || name.length() >= Libc.IFNAMSIZ) {
            throw new TapException("TAP name '" + name + "' must be 1-15 characters");
        }
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("parasol-tap-open").unstarted(() -> {
            try {
                result.set(openHere(netns, name, address, prefix, offload));
            } catch (TapException | RuntimeException | LinkageError e) {
                result.set(e);
            }
        });
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TapException("interrupted while opening the TAP");
        }
        Object r = result.get();
        if (r instanceof Tap tap) {
            return tap;
        }
        if (r instanceof TapException e) {
            throw e;
        }
        throw new TapException(String.valueOf(r));
    }

    /** On the opening thread: into the namespace, the TAP, its address, back out. */
    private static Tap openHere(String netns, String name, String address, int prefix, boolean offload)
            throws TapException {
        String nsPath = namespacePath(netns);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = Libc.callState(arena);
            int own = Libc.open(st, arena.allocateFrom("/proc/thread-self/ns/net"), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (own < 0) {
                throw new TapException("cannot open /proc/thread-self/ns/net: " + Libc.describe(Libc.errno(st)));
            }
            int ns = Libc.open(st, arena.allocateFrom(nsPath), Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (ns < 0) {
                int e = Libc.errno(st);
                Libc.close(st, own);
                throw new TapException("network namespace " + nsPath + ": " + Libc.describe(e)
                        + (netns.startsWith("/") ? "" : "; make it first with: ip netns add " + netns));
            }
            int tap = -1;
            boolean entered = false;
            try {
                if (Libc.setns(st, ns, Libc.CLONE_NEWNET) != 0) {
                    throw new TapException("cannot enter network namespace " + nsPath + " (setns): "
                            + Libc.describe(Libc.errno(st)) + "; entering one needs CAP_SYS_ADMIN");
                }
                entered = true;
                tap = Libc.open(st, arena.allocateFrom("/dev/net/tun"), Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
                if (tap < 0) {
                    throw new TapException("cannot open /dev/net/tun: " + Libc.describe(Libc.errno(st))
                            + " (a TAP needs the tun driver and CAP_NET_ADMIN)");
                }
                MemorySegment ifr = ifreq(arena, name);
                boolean vnet = offload;
                ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (Libc.IFF_TAP | Libc.IFF_NO_PI | (vnet ? Libc.IFF_VNET_HDR : 0)));
                String note = offload ? null : "offloads off (offload=0)";
                if (vnet && Libc.ioctl(st, tap, Libc.TUNSETIFF, ifr) != 0) {
                    note = "no IFF_VNET_HDR (" + Libc.describe(Libc.errno(st)) + ")";
                    vnet = false;
                    ifr = ifreq(arena, name);
                    ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (Libc.IFF_TAP | Libc.IFF_NO_PI));
                }
                if (!vnet && Libc.ioctl(st, tap, Libc.TUNSETIFF, ifr) != 0) {
                    throw new TapException("cannot make TAP " + name + " in " + nsPath + " (TUNSETIFF): "
                            + Libc.describe(Libc.errno(st)));
                }
                boolean gso = false;
                if (vnet) {
                    MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
                    size.set(ValueLayout.JAVA_INT, 0, VNET_HDR);
                    if (Libc.ioctl(st, tap, Libc.TUNSETVNETHDRSZ, size) != 0) {
                        throw new TapException("cannot set TAP " + name + "'s virtio_net_hdr size (TUNSETVNETHDRSZ): "
                                + Libc.describe(Libc.errno(st)));
                    }
                    // TUNSETOFFLOAD takes the offloads as the argument itself, not through a pointer.
                    if (Libc.ioctl(st, tap, Libc.TUNSETOFFLOAD, MemorySegment.ofAddress(Libc.TUN_F_CSUM | Libc.TUN_F_TSO4)) == 0) {
                        gso = true;
                        note = "IFF_VNET_HDR, TUN_F_CSUM|TUN_F_TSO4: GSO frames cross whole";
                    } else {
                        note = "IFF_VNET_HDR but TUN_F_CSUM|TUN_F_TSO4 refused (" + Libc.describe(Libc.errno(st))
                                + "): dom0 cuts GSO frames";
                    }
                } else {
                    note += ": dom0 cuts GSO frames";
                }
                setMtu(arena, st, name);
                if (address != null) {
                    configure(arena, st, name, address, prefix);
                }
                Tap made = new Tap(tap, name, nsPath, vnet, gso, note);
                tap = -1;
                return made;
            } finally {
                if (tap >= 0) {
                    Libc.close(st, tap);
                }
                if (entered && Libc.setns(st, own, Libc.CLONE_NEWNET) != 0) {
                    // This thread ends now anyway; nothing else runs on it.
                    System.err.println("parasol: tap: could not go back to the host's namespace: "
                            + Libc.describe(Libc.errno(st)));
                }
                Libc.close(st, ns);
                Libc.close(st, own);
            }
        }
    }

    /** The interface's MTU: {@value #MTU}, whatever the kernel's default. */
    private static void setMtu(Arena arena, MemorySegment st, String name) throws TapException {
        int s = Libc.socket(st, Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (s < 0) {
            throw new TapException("cannot make a socket to configure " + name + ": " + Libc.describe(Libc.errno(st)));
        }
        try {
            MemorySegment ifr = ifreq(arena, name);
            ifr.set(ValueLayout.JAVA_INT, 16, MTU);
            if (Libc.ioctl(st, s, Libc.SIOCSIFMTU, ifr) != 0) {
                throw new TapException("cannot give " + name + " MTU " + MTU + " (SIOCSIFMTU): " + Libc.describe(Libc.errno(st)));
            }
        } finally {
            Libc.close(st, s);
        }
    }

    /** The interface's IPv4 address and netmask, then up, on a socket of the current namespace. */
    private static void configure(Arena arena, MemorySegment st, String name, String address, int prefix)
            throws TapException {
        int s = Libc.socket(st, Libc.AF_INET, Libc.SOCK_DGRAM, 0);
        if (s < 0) {
            throw new TapException("cannot make a socket to configure " + name + ": " + Libc.describe(Libc.errno(st)));
        }
        try {
            MemorySegment ifr = ifreq(arena, name);
            sockaddrIn(ifr, ipv4(address));
            if (Libc.ioctl(st, s, Libc.SIOCSIFADDR, ifr) != 0) {
                throw new TapException("cannot give " + name + " address " + address + " (SIOCSIFADDR): "
                        + Libc.describe(Libc.errno(st)));
            }
            ifr = ifreq(arena, name);
            sockaddrIn(ifr, prefix == 0 ? 0 : -1 << (32 - prefix));
            if (Libc.ioctl(st, s, Libc.SIOCSIFNETMASK, ifr) != 0) {
                throw new TapException("cannot give " + name + " netmask /" + prefix + " (SIOCSIFNETMASK): "
                        + Libc.describe(Libc.errno(st)));
            }
            ifr = ifreq(arena, name);
            if (Libc.ioctl(st, s, Libc.SIOCGIFFLAGS, ifr) != 0) {
                throw new TapException("cannot read " + name + "'s flags: " + Libc.describe(Libc.errno(st)));
            }
            short flags = ifr.get(ValueLayout.JAVA_SHORT, 16);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (flags | Libc.IFF_UP));
            if (Libc.ioctl(st, s, Libc.SIOCSIFFLAGS, ifr) != 0) {
                throw new TapException("cannot bring " + name + " up (SIOCSIFFLAGS): " + Libc.describe(Libc.errno(st)));
            }
        } finally {
            Libc.close(st, s);
        }
    }

    private static MemorySegment ifreq(Arena arena, String name) {
        MemorySegment ifr = arena.allocate(Libc.IFREQ_SIZE, 8);
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(n, 0, ifr, ValueLayout.JAVA_BYTE, 0, n.length);
        return ifr;
    }

    /** A {@code struct sockaddr_in} at offset 16: AF_INET, port 0, the address in network order. */
    private static void sockaddrIn(MemorySegment ifr, int addr) {
        ifr.set(ValueLayout.JAVA_SHORT, 16, (short) Libc.AF_INET);
        ifr.set(ValueLayout.JAVA_SHORT, 18, (short) 0);
        ifr.set(ValueLayout.JAVA_BYTE, 20, (byte) (addr >>> 24));
        ifr.set(ValueLayout.JAVA_BYTE, 21, (byte) (addr >>> 16));
        ifr.set(ValueLayout.JAVA_BYTE, 22, (byte) (addr >>> 8));
        ifr.set(ValueLayout.JAVA_BYTE, 23, (byte) addr);
    }

    static int ipv4(String dotted) {
        String[] p = dotted.split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int v = 0;
        for (String b : p) {
            int x = Integer.parseInt(b);
            if (x < 0 || x > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            v = v << 8 | x;
        }
        return v;
    }

    boolean closed() {
        return closed;
    }

    /** Closes the descriptor: the interface disappears from its namespace. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena arena = Arena.ofConfined()) {
            Libc.close(Libc.callState(arena), fd);
        }
    }
}
