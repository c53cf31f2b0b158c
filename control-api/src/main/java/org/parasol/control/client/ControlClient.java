package org.parasol.control.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import org.parasol.control.v1.ProtocolVersion;
import org.parasol.control.v1.Request;
import org.parasol.control.v1.Response;

/**
 * A client of the control API on a host's Unix-domain socket: one blocking connection, one
 * {@link Request} per frame, {@link Response}s back. A frame is a 4-byte big-endian length and
 * that many bytes of one message, at most {@link #MAX_FRAME} bytes.
 *
 * <pre>
 *  client                              host (parasol host)
 *  [len][Request{version=1,id=7,list}] ──►
 *                                      ◄── [len][Response{id=7,domains}]
 *  [len][Request{id=8,console}]        ──►
 *                                      ◄── [len][Response{id=8,console}] ... (a stream)
 * </pre>
 *
 * <p>Not thread-safe for two writers or two readers; one thread may read a stream while
 * another writes (console input, cancel).
 */
public final class ControlClient implements AutoCloseable {
    /** The longest frame either side sends or accepts. */
    public static final int MAX_FRAME = 1 << 20;
    /** The protocol version this client speaks. */
    public static final int VERSION = ProtocolVersion.PROTOCOL_VERSION_CURRENT_VALUE;

    private final SocketChannel channel;
    /** The token every request carries (TCP), or null (the Unix socket). */
    private final String token;
    private final AtomicLong ids = new AtomicLong();
    private final ByteBuffer header = ByteBuffer.allocate(4);
    private final Object writeLock = new Object();

    private ControlClient(SocketChannel channel, String token) {
        this.channel = channel;
        this.token = token;
    }

    /**
     * Connects to the host's socket at {@code socket}.
     *
     * @throws NoHostException when nothing listens there (no such file, or refused)
     * @throws IOException on any other failure
     */
    public static ControlClient connect(Path socket) throws IOException {
        if (!Files.exists(socket)) {
            throw new NoHostException(socket, "no such socket");
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            ch.close();
            throw new NoHostException(socket, e.getMessage());
        }
        return new ControlClient(ch, null);
    }

    /**
     * Connects to a host's TCP listener ({@code parasol host --tcp-port}) at {@code address};
     * every request then carries {@code token}.
     *
     * @throws NoHostException when nothing listens there
     * @throws IOException on any other failure
     */
    public static ControlClient connectTcp(java.net.InetSocketAddress address, String token) throws IOException {
        java.util.Objects.requireNonNull(token, "token");
        SocketChannel ch = SocketChannel.open();
        try {
            ch.connect(address);
            ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        } catch (java.net.ConnectException e) {
            ch.close();
            throw new NoHostException(Path.of(address.getHostString() + ":" + address.getPort()), e.getMessage());
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new ControlClient(ch, token);
    }

    /** A fresh request id. */
    public long nextId() {
        return ids.incrementAndGet();
    }

    /** {@code op} with this client's version and a fresh id. */
    public Request.Builder request() {
        Request.Builder b = Request.newBuilder().setVersion(VERSION).setId(nextId());
        return token == null ? b : b.setToken(token);
    }

    /** Sends {@code r} and reads its one response. */
    public Response call(Request r) throws IOException {
        send(r);
        while (true) {
            Response resp = read();
            if (resp.getId() == r.getId() || resp.getId() == 0) {
                return resp;
            }
        }
    }

    /** Sends one request frame. */
    public void send(Request r) throws IOException {
        sendRaw(r.toByteArray());
    }

    /** Sends {@code body} as one frame, whatever it holds (tests send wrong ones). */
    public void sendRaw(byte[] body) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + body.length);
        b.putInt(body.length).put(body).flip();
        synchronized (writeLock) {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }
    }

    /** Reads the next response frame; EOFException when the host closed the connection. */
    public Response read() throws IOException {
        header.clear();
        readFully(header);
        int len = header.getInt(0);
        if (len < 0 || len > MAX_FRAME) {
            throw new IOException("the host sent a frame of " + len + " bytes (at most " + MAX_FRAME + ")");
        }
        ByteBuffer body = ByteBuffer.allocate(len);
        readFully(body);
        return Response.parseFrom(body.array());
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException("the host closed the connection");
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Nothing listens on the socket: no host runs there. */
    public static final class NoHostException extends IOException {
        private final Path socket;

        NoHostException(Path socket, String why) {
            super("no host is running at " + socket + " (" + why + ")");
            this.socket = socket;
        }

        /** The socket path tried. */
        public Path socket() {
            return socket;
        }
    }

    /**
     * Where a host listens unless told otherwise: {@code $PARASOL_SOCKET}, else
     * {@code $XDG_RUNTIME_DIR/parasol/control.sock}, else {@code /tmp/parasol-<uid>/control.sock}.
     */
    public static Path defaultSocket() {
        String env = System.getenv("PARASOL_SOCKET");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg))) {
            return Path.of(xdg, "parasol", "control.sock");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "parasol-" + uid(), "control.sock");
    }

    /** This process's uid, from /proc/self (0 if it cannot be read). */
    public static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | ClassCastException e) {
            return 0;
        }
    }
}
