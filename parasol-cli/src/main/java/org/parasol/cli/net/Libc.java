package org.parasol.cli.net;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few C library calls the TAP uplink needs, through the FFM API ({@code java.lang.foreign}):
 * {@code open}, {@code close}, {@code read}, {@code write}, {@code poll}, {@code ioctl},
 * {@code socket}, {@code setns}. Each takes, first, a per-thread {@link #callState} segment
 * where the call leaves {@code errno}; each returns what C returns (-1 on failure, then
 * {@link #errno} says why). Linux x86-64 only, as the launcher is.
 *
 * <p>Restricted methods: the launcher runs the CLI with {@code --enable-native-access=org.parasol.cli}.
 */
final class Libc {
    private Libc() {
    }

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int CLONE_NEWNET = 0x4000_0000;
    static final short POLLIN = 1;
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;

    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x4004_54caL;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    /** if_tun.h: each frame read or written behind a {@code struct virtio_net_hdr}. */
    static final short IFF_VNET_HDR = 0x4000;
    /** if_tun.h: {@code _IOW('T', 208, unsigned int)}, the offloads as the argument's value. */
    static final long TUNSETOFFLOAD = 0x4004_54d0L;
    /** if_tun.h: {@code _IOW('T', 216, int)}, the header's size through a pointer. */
    static final long TUNSETVNETHDRSZ = 0x4004_54d8L;
    /** if_tun.h: frames with a partial checksum may be handed over; TCP/IPv4 GSO frames too. */
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCSIFADDR = 0x8916;
    static final long SIOCSIFNETMASK = 0x891c;
    static final short IFF_UP = 0x1;
    /** {@code sizeof(struct ifreq)}: the name (16 bytes), then a 24-byte union. */
    static final int IFREQ_SIZE = 40;
    static final int IFNAMSIZ = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_HANDLE = STATE.varHandle(groupElement("errno"));

    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), ERRNO);
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle READ = handle("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    private static final MethodHandle WRITE = handle("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO);
    private static final MethodHandle POLL = handle("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), ERRNO);
    private static final MethodHandle IOCTL = handle("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SOCKET = handle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle SETNS = handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), fd, options);
    }

    /** A thread's place for the {@code errno} of its calls. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(STATE);
    }

    /** The {@code errno} the last call with {@code state} left. */
    static int errno(MemorySegment state) {
        return (int) ERRNO_HANDLE.get(state, 0L);
    }

    /** {@code strerror(e)} and its number, e.g. "No such file or directory (errno 2)". */
    static String describe(int e) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(e);
            return s.reinterpret(256).getString(0) + " (errno " + e + ")";
        } catch (Throwable t) {
            return "errno " + e;
        }
    }

    static int open(MemorySegment state, MemorySegment path, int flags) {
        try {
            return (int) OPEN.invokeExact(state, path, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int close(MemorySegment state, int fd) {
        try {
            return (int) CLOSE.invokeExact(state, fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long read(MemorySegment state, int fd, MemorySegment buf, long count) {
        try {
            return (long) READ.invokeExact(state, fd, buf, count);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long write(MemorySegment state, int fd, MemorySegment buf, long count) {
        try {
            return (long) WRITE.invokeExact(state, fd, buf, count);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code poll} on one {@code struct pollfd} (fd, events, revents: 8 bytes). */
    static int poll(MemorySegment state, MemorySegment pollfd, int timeoutMillis) {
        try {
            return (int) POLL.invokeExact(state, pollfd, 1L, timeoutMillis);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int ioctl(MemorySegment state, int fd, long request, MemorySegment arg) {
        try {
            return (int) IOCTL.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int socket(MemorySegment state, int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(state, domain, type, protocol);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int setns(MemorySegment state, int fd, int nstype) {
        try {
            return (int) SETNS.invokeExact(state, fd, nstype);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
