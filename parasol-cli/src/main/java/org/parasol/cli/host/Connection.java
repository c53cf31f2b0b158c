package org.parasol.cli.host;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.google.protobuf.InvalidProtocolBufferException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;

import org.parasol.control.client.ControlClient;
import org.parasol.control.v1.ErrnoError;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;

/**
 * One control-API client: reads one {@link Request} per frame, checks its version (and token,
 * over TCP), hands it to the {@link ControlService}, and writes {@link Response}s back; holds the
 * client's open streams and ends them when the client goes. Reads run on the event loop; writes
 * come from any thread ({@link #send}) and are dropped while the client does not read.
 */
final class Connection extends ChannelInboundHandlerAdapter {
    private final ControlServer server;
    private final ControlService service;
    private final byte[] token;
    private volatile Channel channel;
    /** Open streams by request id. */
    private final Map<Long, AutoCloseable> streams = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private ScheduledFuture<?> slowCheck;

    Connection(ControlServer server, ControlService service, String token) {
        this.server = server;
        this.service = service;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        Request r;
        try (ByteBufInputStream in = new ByteBufInputStream(frame, true)) {
            r = Request.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            send(error(0, ControlService.EINVAL, "a frame that is not a Request: " + e.getMessage()));
            return;
        } catch (java.io.IOException e) {
            send(error(0, ControlService.EINVAL, "an unreadable frame: " + e.getMessage()));
            return;
        }
        if (r.getVersion() != ControlClient.VERSION) {
            send(error(r.getId(), ControlService.EPROTONOSUPPORT, "this host speaks control API version "
                    + ControlClient.VERSION + "; the request says version " + r.getVersion()
                    + (r.getVersion() < ControlClient.VERSION ? " (an older client: update it)" : "")));
            return;
        }
        if (token != null && !MessageDigest.isEqual(token, r.getToken().getBytes(StandardCharsets.UTF_8))) {
            send(error(r.getId(), ControlService.EACCES, "a wrong or missing token"));
            server.log("control API: closed a TCP client with a wrong token");
            ctx.close();
            return;
        }
        try {
            service.handle(r, this);
        } catch (RuntimeException e) {
            // A bug of ours must not end the host: the client hears it, the log keeps it.
            server.log("control API: request " + r.getOpCase() + " failed: " + e);
            send(error(r.getId(), ControlService.EINVAL, "the host failed: " + e));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException) {
            send(error(0, ControlService.EMSGSIZE, "a frame longer than " + ControlClient.MAX_FRAME + " bytes"));
            server.log("control API: closed a client that sent an oversized frame");
        } else {
            server.log("control API: a client failed: " + cause);
        }
        ctx.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // A client that stops reading: its buffer passed the high-water mark; give it a moment,
        // then let it go, so that what it would not read cannot pile up in the host.
        // Back pressure: while its replies wait, nothing more is read from it (its requests stay in
        // its own socket buffer), so a client cannot make the host queue replies without bound.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        if (!ctx.channel().isWritable() && slowCheck == null) {
            slowCheck = ctx.executor().schedule(() -> {
                slowCheck = null;
                if (!ctx.channel().isWritable() && ctx.channel().isActive()) {
                    server.log("control API: dropped a client that does not read (" + dropped.get()
                            + " stream items dropped)");
                    ctx.close();
                }
            }, ControlServer.SLOW_CLIENT_MILLIS, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (Long id : streams.keySet()) {
            endStream(id);
        }
        ctx.fireChannelInactive();
    }

    /** Writes a reply: always queued (a reply is one per request, bounded by the client's own requests). */
    void send(Response r) {
        Channel ch = channel;
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.wrappedBuffer(r.toByteArray()));
        }
    }

    /** Writes a stream item, or drops it while the client does not read; false when dropped. */
    boolean sendStreamed(Response r) {
        Channel ch = channel;
        if (ch == null || !ch.isActive()) {
            return false;
        }
        if (!ch.isWritable()) {
            dropped.incrementAndGet();
            return false;
        }
        ch.writeAndFlush(Unpooled.wrappedBuffer(r.toByteArray()));
        return true;
    }

    /** Whether the client is still connected. */
    boolean isOpen() {
        Channel ch = channel;
        return ch != null && ch.isActive();
    }

    /** Registers a stream; false (and it is closed) if the client has gone meanwhile, or has too many. */
    boolean addStream(long id, AutoCloseable stream) {
        if (!isOpen() || streams.size() >= 16 || streams.putIfAbsent(id, stream) != null) {
            closeQuietly(stream);
            return false;
        }
        if (!isOpen()) {
            endStream(id);
            return false;
        }
        return true;
    }

    /** Ends stream {@code id}; whether there was one. */
    boolean endStream(long id) {
        AutoCloseable s = streams.remove(id);
        if (s == null) {
            return false;
        }
        closeQuietly(s);
        return true;
    }

    /** Schedules {@code work} on this client's event loop every {@code periodMillis}. */
    ScheduledFuture<?> every(long periodMillis, Runnable work) {
        return channel.eventLoop().scheduleAtFixedRate(work, 0, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Schedules {@code work} once on this client's event loop in {@code delayMillis}. */
    ScheduledFuture<?> later(long delayMillis, Runnable work) {
        return channel.eventLoop().schedule(work, delayMillis, TimeUnit.MILLISECONDS);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // a stream's close does not fail the client
        }
    }

    static Response error(long id, int errno, String message) {
        return Response.newBuilder().setId(id).setError(ErrnoError.newBuilder().setErrno(errno)
                .setName(ControlService.errnoName(errno)).setMessage(message)).build();
    }
}
