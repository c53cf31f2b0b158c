package org.parasol.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.parasol.hypercall.abi.XsWire;

/**
 * A client of xenstored's socket that writes the bytes itself: well-formed {@code xs_wire}
 * messages (a 16-byte little-endian {@code xsd_sockmsg} header and the payload), or whatever
 * a test wants to send. Non-blocking underneath, so every wait is bounded.
 */
final class RawXsClient implements AutoCloseable {
    /** One message read back. */
    record Msg(int type, int reqId, int txId, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.ISO_8859_1);
        }
    }

    private final SocketChannel ch;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);

    RawXsClient(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.configureBlocking(false);
        selector = Selector.open();
        ch.register(selector, SelectionKey.OP_READ);
        in.flip();
    }

    /** The bytes of one message: header and payload. */
    static ByteBuffer message(int type, int reqId, int txId, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(XsWire.HEADER_SIZE + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(reqId).putInt(txId).putInt(payload.length).put(payload).flip();
        return b;
    }

    /** {@code type} with NUL-terminated strings as its payload. */
    static ByteBuffer request(int type, int reqId, String... strings) {
        StringBuilder sb = new StringBuilder();
        for (String s : strings) {
            sb.append(s).append('\0');
        }
        return message(type, reqId, 0, sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Writes all of {@code b}, waiting at most {@code seconds} for room. */
    void send(ByteBuffer b, long seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("no room to write for " + seconds + " s");
                }
                sleepBriefly();
            }
        }
    }

    /** Writes what the socket takes now, without waiting; returns the bytes taken. */
    int offer(ByteBuffer b) throws IOException {
        return ch.write(b);
    }

    /** Reads one message, waiting at most {@code seconds}; null if the server closed the connection. */
    Msg read(long seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            if (in.remaining() >= XsWire.HEADER_SIZE) {
                int len = in.getInt(in.position() + 12);
                if (len < 0 || len > XsWire.XENSTORE_PAYLOAD_MAX) {
                    throw new IOException("a reply announcing " + len + " bytes");
                }
                if (in.remaining() >= XsWire.HEADER_SIZE + len) {
                    int type = in.getInt();
                    int reqId = in.getInt();
                    int txId = in.getInt();
                    in.getInt();
                    byte[] payload = new byte[len];
                    in.get(payload);
                    return new Msg(type, reqId, txId, payload);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("no complete message within " + seconds + " s");
            }
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            selector.selectedKeys().clear();
            in.compact();
            int n;
            try {
                n = ch.read(in);
            } catch (IOException reset) {
                n = -1;
            } finally {
                in.flip();
            }
            if (n < 0) {
                return null;
            }
        }
    }

    /** Sends {@code type strings...} and reads its reply (bounded). */
    Msg call(int type, String... strings) throws IOException {
        send(request(type, 7, strings), 10);
        Msg m;
        do {
            m = read(30);
        } while (m != null && m.type() == XsWire.XS_WATCH_EVENT);
        return m;
    }

    /** Whether the server closed the connection within {@code seconds} (anything it sends first is skipped). */
    boolean closedWithin(long seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            try {
                if (read(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()))) == null) {
                    return true;
                }
            } catch (IOException timeout) {
                return false;
            }
        }
        return false;
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        ch.close();
    }
}
