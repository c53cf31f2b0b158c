package org.parasol.cli.relay;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import org.parasol.hypervisor.domain.HostRelay;

/**
 * xenstored's Unix-domain socket, served on the host's side of the machine and relayed into
 * dom0's xenstored: what {@code /run/xenstored/socket} is on a Xen host, where dom0's tools
 * (xenstore-ls, xenstore-read, libxl through libxenstore) talk {@code xs_wire} to the store.
 * Point them at it with {@code XENSTORED_PATH}.
 *
 * <pre>
 *  xenstore-ls ──unix socket──► Netty epoll (one event loop) ──► a RelayConnection per socket
 *                                                                  │  HostRelay slot: dom0's page
 *                                                                  │  and a Xen-consumer port
 *                                                                  ▼
 *                                          dom0: one privileged XsRingConnection per socket
 * </pre>
 *
 * <p>Why here and not in dom0: Xen's socket is part of dom0's user space, but a Parasol image
 * runs under the image rules, which allow no sockets and no threads, so Netty cannot run
 * inside one; the host serves the socket and hands each connection to dom0 through the
 * hypervisor's host relay (deviations §16). The bytes are the same: each connection's byte
 * stream goes unchanged into a {@code xenstore_domain_interface} page that dom0 serves like a
 * domain's store ring.
 *
 * <p>Every client is dom0's tools, privileged in the store, as every client of C xenstored's
 * socket is: the socket file is made {@code 0600} at once after bind, in a folder made
 * {@code 0700} (the default one), and removed when the server closes (or, failing that,
 * when the JVM exits). A path in use by a live
 * socket is refused; a stale socket file (nobody listening) is replaced. At most
 * {@code maxClients} clients are connected at once; another is turned away with a log line.
 */
public final class XenstoredSocket implements AutoCloseable {
    /** Clients connected at once unless told otherwise. */
    public static final int DEFAULT_MAX_CLIENTS = 32;

    private final Path path;
    private final HostRelay relay;
    private final int maxClients;
    private final Consumer<String> log;
    private final EventLoopGroup group;
    private final Channel server;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile boolean closed;
    /** Removes the socket file if the JVM exits without {@link #close} (Ctrl-C, a signal). */
    private final Thread removeAtExit;

    private XenstoredSocket(Path path, HostRelay relay, int maxClients, Consumer<String> log) throws IOException {
        this.path = path;
        this.relay = relay;
        this.maxClients = maxClients;
        this.log = log;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("xenstored-socket", true),
                EpollIoHandler.newFactory());
        Channel ch;
        try {
            ch = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false) // nothing is read until dom0 attached the slot
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(8 * 1024, 32 * 1024))
                    .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                        @Override
                        protected void initChannel(DomainSocketChannel c) {
                            c.pipeline().addLast(new RelayConnection(XenstoredSocket.this));
                        }
                    }).bind(new DomainSocketAddress(path.toString())).sync().channel();
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + path, e);
        } catch (Exception e) {
            // Netty rethrows the native bind error (ENOENT, EACCES, EADDRINUSE) as an
            // IOException it does not declare: every failure lets the loop's thread go.
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot bind " + path + ": " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Files.deleteIfExists(path);
            throw new IOException("cannot make " + path + " private (0600): " + e.getMessage(), e);
        }
        this.server = ch;
        this.removeAtExit = new Thread(() -> {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // the JVM is going: nothing left to tell
            }
        }, "xenstored-socket-cleanup");
        Runtime.getRuntime().addShutdownHook(removeAtExit);
    }

    /**
     * Listens on {@code path} for dom0's tools and relays each client into dom0 through
     * {@code relay}; {@code log} hears refusals and failures, one line each.
     *
     * @throws IOException if the path is in use by a live socket, is not a socket, cannot be
     *         bound, or epoll is not available on this host
     */
    public static XenstoredSocket open(Path path, HostRelay relay, int maxClients, Consumer<String> log)
            throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(log, "log");
        if (maxClients < 1 || maxClients > relay.slots()) {
            throw new IllegalArgumentException("max clients " + maxClients + " not in 1.." + relay.slots());
        }
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's epoll transport is not available here: " + Epoll.unavailabilityCause());
        }
        Path abs = path.toAbsolutePath();
        if (abs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 108) {
            throw new IOException(abs + " is longer than a Unix socket path may be (107 bytes)");
        }
        claim(abs);
        return new XenstoredSocket(abs, relay, maxClients, log);
    }

    /** The default path: {@code $XDG_RUNTIME_DIR/parasol/xenstored.<pid>}, else {@code /tmp/parasol-<uid>/xenstored.<pid>}. */
    public static Path defaultPath() throws IOException {
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        Path dir;
        if (runtime != null && !runtime.isBlank() && Files.isDirectory(Path.of(runtime))) {
            dir = Path.of(runtime, "parasol");
        } else {
            dir = Path.of(System.getProperty("java.io.tmpdir", "/tmp"), "parasol-" + uid());
        }
        privateFolder(dir);
        return dir.resolve("xenstored." + ProcessHandle.current().pid());
    }

    /** Makes {@code dir} ours and 0700, or refuses one someone else owns. */
    public static void privateFolder(Path dir) throws IOException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a folder");
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != uid()) {
            throw new IOException(dir + " belongs to uid " + owner + ", not to us");
        }
        // Ours: 0700 whatever it was, so that no one else can reach the socket in it, even in the
        // moment between its bind (under the umask) and its chmod to 0600.
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (!perms.equals(PosixFilePermissions.fromString("rwx------"))) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    private static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** A socket file nobody listens on is removed; a live one, or anything else, is refused. */
    public static void claim(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(path,
                java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isOther()) {
            throw new IOException(path + " exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            throw new IOException(path + " is in use by a live socket (another parasol run?)");
        } catch (java.net.SocketException stale) {
            Files.deleteIfExists(path); // nobody listens: what a killed run left behind
        }
    }

    /** The socket's path: what {@code XENSTORED_PATH} should say. */
    public Path path() {
        return path;
    }

    /** Clients connected now. */
    public int connected() {
        return connected.get();
    }

    /** Clients accepted and offered to dom0 since the socket opened. */
    public long accepted() {
        return accepted.get();
    }

    /** Clients turned away (too many at once, or the relay full). */
    public long refused() {
        return refused.get();
    }

    HostRelay relay() {
        return relay;
    }

    void log(String line) {
        log.accept(line);
    }

    /** A new client: true if it may stay (counted), false if it is over the bound (then it is closed). */
    boolean admit(Channel ch) {
        if (closed) {
            return false;
        }
        if (connected.incrementAndGet() > maxClients) {
            connected.decrementAndGet();
            refused.incrementAndGet();
            log("refused a client: " + maxClients + " connected already");
            return false;
        }
        clients.add(ch);
        accepted.incrementAndGet();
        return true;
    }

    /** The relay had no slot for an admitted client. */
    void relayFull() {
        refused.incrementAndGet();
        accepted.decrementAndGet();
        log("refused a client: the host relay's " + relay.slots() + " slots are taken");
    }

    /** An admitted client is gone. */
    void gone() {
        connected.decrementAndGet();
    }

    /** Closes every client (dom0 hears each hang up), stops listening and removes the socket file. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log("cannot remove " + path + ": " + e.getMessage());
        }
        try {
            Runtime.getRuntime().removeShutdownHook(removeAtExit);
        } catch (IllegalStateException exiting) {
            // closed from another shutdown hook: the file is gone already
        }
    }
}
