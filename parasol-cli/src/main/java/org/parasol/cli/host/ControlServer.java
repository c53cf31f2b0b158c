package org.parasol.cli.host;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;

import org.parasol.cli.relay.XenstoredSocket;
import org.parasol.control.client.ControlClient;

/**
 * The control API's listener: length-delimited Protocol Buffers frames over Netty's epoll
 * transport, on a Unix-domain socket (and optionally TCP on 127.0.0.1 with a token).
 *
 * <pre>
 *  client ─unix─► [PeerCheck: SO_PEERCRED uid] ─► [LengthFieldBasedFrameDecoder ≤ 1 MiB]
 *                 ─► [Connection: Request.parseFrom, version, dispatch] ─► ControlService
 *         ◄────── [LengthFieldPrepender] ◄── Response frames (replies, stream items)
 * </pre>
 *
 * <p>Who may connect: the socket file is {@code 0600} in a {@code 0700} folder of ours, and each
 * Unix client's uid, read from the kernel with {@code SO_PEERCRED}
 * ({@link EpollDomainSocketChannel#peerCredentials()}), must be ours or root's; any other is
 * closed at once. A TCP client must send the token in its every request.
 *
 * <p>Hostile clients: a frame longer than {@link ControlClient#MAX_FRAME} gets an
 * {@code EMSGSIZE} reply and the connection is closed; a frame that is not a Request gets
 * {@code EINVAL} and the connection stays; more than {@code maxClients} at once are turned away.
 * A client that stops reading: its writes stop when Netty's outbound buffer passes the high
 * water mark ({@value #HIGH_WATER} bytes); stream items are then dropped, not queued, and a
 * client still unwritable {@value #SLOW_CLIENT_MILLIS} ms later is disconnected. One event-loop
 * thread serves every socket; nothing on it waits for dom0 or a domain.
 */
public final class ControlServer implements AutoCloseable {
    static final int LOW_WATER = 32 * 1024;
    static final int HIGH_WATER = 256 * 1024;
    /** How long a client may stay unwritable (not reading) before it is dropped. */
    static final long SLOW_CLIENT_MILLIS = 2_000;

    private final Path path;
    private final EventLoopGroup group;
    private final Channel server;
    private final Channel tcp;
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final int maxClients;
    private final ControlService service;
    private final Consumer<String> log;
    private final int ownUid;
    private final String token;
    private volatile boolean closed;

    private ControlServer(Path path, int tcpPort, String token, ControlService service, int maxClients,
            Consumer<String> log) throws IOException {
        this.path = path;
        this.service = service;
        this.maxClients = maxClients;
        this.log = log;
        this.token = token;
        this.ownUid = ControlClient.uid();
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("control-api", true),
                EpollIoHandler.newFactory());
        try {
            server = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                    .childHandler(initializer(false)).bind(new DomainSocketAddress(path.toString())).sync().channel();
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            tcp = tcpPort < 0 ? null : new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(LOW_WATER, HIGH_WATER))
                    .childHandler(initializer(true)).bind(new InetSocketAddress("127.0.0.1", tcpPort)).sync().channel();
        } catch (InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Files.deleteIfExists(path);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + path, e);
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            Files.deleteIfExists(path);
            throw new IOException("cannot listen on " + path + (tcpPort >= 0 ? " and 127.0.0.1:" + tcpPort : "") + ": "
                    + e.getMessage(), e);
        }
    }

    private ChannelInitializer<Channel> initializer(boolean overTcp) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                if (!admit(ch, overTcp)) {
                    ch.close();
                    return;
                }
                ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(ControlClient.MAX_FRAME, 0, 4, 0, 4))
                        .addLast(new LengthFieldPrepender(4))
                        .addLast(new Connection(ControlServer.this, service, overTcp ? token : null));
            }
        };
    }

    /**
     * Listens on {@code path} (made 0600; its folder must be ours), and on 127.0.0.1:{@code tcpPort}
     * when it is not negative (then every request must carry {@code token}).
     *
     * @throws IOException if the path is taken by a live socket, cannot be bound, or epoll is missing
     */
    public static ControlServer open(Path path, int tcpPort, String token, ControlService service, int maxClients,
            Consumer<String> log) throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's epoll transport is not available here: " + Epoll.unavailabilityCause());
        }
        if (tcpPort >= 0 && (token == null || token.length() < 16)) {
            throw new IllegalArgumentException("a TCP listener needs a token of at least 16 characters");
        }
        Path abs = path.toAbsolutePath();
        if (abs.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 108) {
            throw new IOException(abs + " is longer than a Unix socket path may be (107 bytes)");
        }
        XenstoredSocket.privateFolder(abs.getParent());
        XenstoredSocket.claim(abs);
        return new ControlServer(abs, tcpPort, token, service, maxClients, log);
    }

    /** A new client: its uid checked (Unix), counted against the bound. */
    private boolean admit(Channel ch, boolean overTcp) {
        if (closed) {
            return false;
        }
        if (!overTcp) {
            int uid;
            try {
                uid = ((EpollDomainSocketChannel) ch).peerCredentials().uid();
            } catch (IOException e) {
                log.accept("control API: refused a client whose credentials cannot be read: " + e.getMessage());
                refused.incrementAndGet();
                return false;
            }
            if (uid != ownUid && uid != 0) {
                log.accept("control API: refused a client of uid " + uid + " (SO_PEERCRED): only uid " + ownUid
                        + " and root may connect");
                refused.incrementAndGet();
                return false;
            }
        }
        if (connected.incrementAndGet() > maxClients) {
            connected.decrementAndGet();
            refused.incrementAndGet();
            log.accept("control API: refused a client: " + maxClients + " connected already");
            return false;
        }
        clients.add(ch);
        ch.closeFuture().addListener(f -> connected.decrementAndGet());
        return true;
    }

    void log(String line) {
        log.accept(line);
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    /** The TCP port listened on, or -1. */
    public int tcpPort() {
        return tcp == null ? -1 : ((InetSocketAddress) tcp.localAddress()).getPort();
    }

    /** Clients connected now. */
    public int connected() {
        return connected.get();
    }

    /** Clients turned away so far. */
    public long refused() {
        return refused.get();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (tcp != null) {
            tcp.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.accept("cannot remove " + path + ": " + e.getMessage());
        }
    }
}
