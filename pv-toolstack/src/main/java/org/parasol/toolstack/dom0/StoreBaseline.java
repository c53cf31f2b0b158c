package org.parasol.toolstack.dom0;

import java.nio.charset.StandardCharsets;

import org.parasol.guest.kernel.Kernel;
import org.parasol.hypercall.Errno;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.toolstack.xenstore.XsConnection;
import org.parasol.toolstack.xenstore.XsException;
import org.parasol.toolstack.xenstore.XsMessage;
import org.parasol.toolstack.xenstore.Xenstored;

/**
 * The baseline for the store figures of issue 12 ({@code docs/results.md}): the requests the
 * xenstore-bench guests make over their rings, made here by dom0's own toolstack connection
 * straight into xenstored, with no ring, no event channel and no other domain in between. Each
 * request is what a ring delivers to {@link Xenstored#handle}: a fresh {@link XsMessage} with
 * its payload (as the ring's framer makes one), decoded, run against the store, and its reply
 * built; nothing is written anywhere. So the guests' rate against this one is the price of the
 * ring, the notifications, the scheduling of both domains and the guest's client.
 *
 * <p>dom0 runs it when its command line says {@code xsbench=<ms>}, before it builds any
 * domain: reads and writes alternate, untimed, for {@code ms} to warm up (dom0's code is cold
 * then: a class loader of its own, nothing compiled yet; and a compiler that had only seen
 * reads would recompile in the middle of the timed writes), then reads for {@code ms}, then
 * writes for {@code ms}, each phase counting its requests as the guests' timed windows do, so
 * that both sides average over the same length of time on a machine that others share. One
 * line per phase, in the guests' format ({@code parasol bench --store} reads both):
 * <pre>
 * dom0: store baseline, no ring: read: 2412345 requests in 2000.1 ms, 1206096 req/s
 * dom0: store baseline, no ring: write: 1502345 requests in 2000.2 ms, 751097 req/s
 * </pre>
 * The node is {@code /local/domain/0/data/xsbench/node}, removed again at the end.
 */
final class StoreBaseline {
    /** The node the baseline reads and writes: dom0's counterpart of a guest's {@code data/xsbench/node}. */
    static final String NODE = "/local/domain/0/data/xsbench/node";
    /** What the write phase writes: the guests' 16 bytes. */
    private static final String VALUE = "0123456789abcdef";
    /** Requests between two looks at the clock. */
    private static final int BATCH = 256;
    /** The longest phase: a minute. */
    static final int MAX_MS = 60_000;

    private final Kernel k;
    private final Xenstored xenstored;
    private final XsConnection tools;
    private int reqId = 1;

    StoreBaseline(Kernel k, Xenstored xenstored, XsConnection tools) {
        this.k = k;
        this.xenstored = xenstored;
        this.tools = tools;
    }

    /**
     * The milliseconds per phase of {@code xsbench=<ms>} on {@code cmdline}, or 0 without one.
     *
     * @throws IllegalArgumentException for a value that is not a number from 1 to {@value #MAX_MS}
     */
    static int requested(String cmdline) {
        for (String word : cmdline.strip().split("\\s+")) {
            if (word.startsWith("xsbench=")) {
                String v = word.substring("xsbench=".length());
                int ms;
                try {
                    ms = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + word + "' is not a number", e);
                }
                if (ms < 1 || ms > MAX_MS) {
                    throw new IllegalArgumentException("'" + word + "' is out of range 1.." + MAX_MS);
                }
                return ms;
            }
        }
        return 0;
    }

    /** The warm-up and both phases of {@code ms} each, printed; the node removed after. */
    void run(int ms) throws XsException {
        byte[] read = (NODE + "\0").getBytes(StandardCharsets.ISO_8859_1);
        byte[] write = (NODE + "\0" + VALUE).getBytes(StandardCharsets.ISO_8859_1);
        repeat(XsWire.XS_WRITE, write, 1);
        long ns = ms * 1_000_000L;
        long warmEnd = k.now() + ns;
        while (k.now() < warmEnd) {
            repeat(XsWire.XS_READ, read, BATCH);
            repeat(XsWire.XS_WRITE, write, BATCH);
        }
        phase("read", XsWire.XS_READ, read, ns);
        phase("write", XsWire.XS_WRITE, write, ns);
        repeat(XsWire.XS_RM, "/local/domain/0/data\0".getBytes(StandardCharsets.ISO_8859_1), 1);
    }

    private void phase(String name, int type, byte[] bytes, long ns) throws XsException {
        long start = k.now();
        long requests = 0;
        long now;
        do {
            repeat(type, bytes, BATCH);
            requests += BATCH;
            now = k.now();
        } while (now - start < ns);
        long took = now - start;
        k.println(String.format("dom0: store baseline, no ring: %s: %d requests in %.1f ms, %d req/s", name, requests,
                took / 1e6, Math.round(requests * 1e9 / took)));
    }

    private void repeat(int type, byte[] payload, int n) throws XsException {
        for (int i = 0; i < n; i++) {
            // A copy per request, as the ring's framer hands each request its own payload array.
            XsMessage reply = xenstored.handle(tools, new XsMessage(type, reqId++, 0, payload.clone()));
            if (reply.type() != type) {
                throw new XsException(Errno.EIO, XsWire.typeName(type) + " " + NODE + ": " + reply.text().strip());
            }
        }
    }
}
