package org.parasol.toolstack.dom0;

import java.nio.charset.StandardCharsets;

import org.parasol.guest.kernel.Kernel;
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
 * <p>dom0 runs it when its command line says {@code xsbench=<n>}, before it builds any domain,
 * and prints one line per phase in the guests' format ({@code parasol bench} reads both):
 * <pre>
 * dom0: store baseline, no ring: read: 10000 requests in 6.1 ms, 1639344 req/s
 * dom0: store baseline, no ring: write: 10000 requests in 9.8 ms, 1020408 req/s
 * </pre>
 * Untimed reads and writes go first, to warm up ({@link #run}). The node is
 * {@code /local/domain/0/data/xsbench/node}, removed again at the end.
 */
final class StoreBaseline {
    /** The node the baseline reads and writes: dom0's counterpart of a guest's {@code data/xsbench/node}. */
    static final String NODE = "/local/domain/0/data/xsbench/node";
    /** What the write phase writes: the guests' 16 bytes. */
    private static final String VALUE = "0123456789abcdef";

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
     * The requests of {@code xsbench=<n>} on {@code cmdline}, or 0 without one.
     *
     * @throws IllegalArgumentException for a value that is not a number from 1 to 10 000 000
     */
    static int requested(String cmdline) {
        for (String word : cmdline.strip().split("\\s+")) {
            if (word.startsWith("xsbench=")) {
                String v = word.substring("xsbench=".length());
                int n;
                try {
                    n = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + word + "' is not a number", e);
                }
                if (n < 1 || n > 10_000_000) {
                    throw new IllegalArgumentException("'" + word + "' is out of range 1..10000000");
                }
                return n;
            }
        }
        return 0;
    }

    /**
     * Both phases of {@code requests} each, printed; the node removed after. First the reads and
     * the writes alternate, {@code requests} of each in all, untimed: dom0's code is cold when
     * this runs (a class loader of its own, nothing compiled yet), and a compiler that has only
     * seen reads would recompile in the middle of the timed writes.
     */
    void run(int requests) throws XsException {
        byte[] read = (NODE + "\0").getBytes(StandardCharsets.ISO_8859_1);
        byte[] write = (NODE + "\0" + VALUE).getBytes(StandardCharsets.ISO_8859_1);
        repeat(XsWire.XS_WRITE, write, 1);
        int slice = Math.max(1, requests / 4);
        for (int i = 0; i < 4; i++) {
            repeat(XsWire.XS_READ, read, slice);
            repeat(XsWire.XS_WRITE, write, slice);
        }
        phase("read", XsWire.XS_READ, read, requests);
        phase("write", XsWire.XS_WRITE, write, requests);
        repeat(XsWire.XS_RM, "/local/domain/0/data\0".getBytes(StandardCharsets.ISO_8859_1), 1);
    }

    private void phase(String name, int type, byte[] bytes, int requests) throws XsException {
        long start = k.now();
        repeat(type, bytes, requests);
        long ns = k.now() - start;
        k.println(String.format("dom0: store baseline, no ring: %s: %d requests in %.1f ms, %d req/s", name, requests,
                ns / 1e6, Math.round(requests * 1e9 / Math.max(1, ns))));
    }

    private void repeat(int type, byte[] payload, int n) throws XsException {
        for (int i = 0; i < n; i++) {
            // A copy per request, as the ring's framer hands each request its own payload array.
            XsMessage reply = xenstored.handle(tools, new XsMessage(type, reqId++, 0, payload.clone()));
            if (reply.type() != type) {
                throw new XsException(org.parasol.hypercall.Errno.EIO, XsWire.typeName(type) + " " + NODE + ": "
                        + reply.text().strip());
            }
        }
    }
}
