package org.parasol.storefixture;

import java.util.function.IntConsumer;

import org.parasol.hypercall.abi.XsWire;
import org.parasol.toolstack.xenstore.XsConnection;
import org.parasol.toolstack.xenstore.XsMessage;
import org.parasol.toolstack.xenstore.XsQuota;
import org.parasol.toolstack.xenstore.XsStore;
import org.parasol.toolstack.xenstore.Xenstored;

/**
 * The baseline of the socket figure (issue 12, {@code XenstoredSocketLoad}): reads of
 * {@code /local/domain/1/name} by direct calls into a store in the host's JVM, through the
 * same request handler dom0 runs. Outside {@code org.parasol.cli}, which may not name dom0's
 * code (images are loaded by name, never put on the host's path); the harness sees only an
 * {@link IntConsumer}.
 */
public final class DirectStoreReads {
    private DirectStoreReads() {
    }

    /** A workload: {@code accept(n)} makes {@code n} reads. */
    public static IntConsumer workload() {
        XsStore store = new XsStore(XsQuota.DEFAULT);
        Xenstored xsd = new Xenstored(store, new Xenstored.Domains() {
            @Override
            public void introduce(int domid, long gfn, int evtchn) {
            }

            @Override
            public void release(int domid) {
            }
        });
        XsConnection tools = new XsConnection(0, true, e -> { });
        store.connect(tools);
        xsd.handle(tools, XsMessage.of(XsWire.XS_WRITE, 1, 0, "/local/domain/1/name\0ticker"));
        XsMessage read = XsMessage.of(XsWire.XS_READ, 2, 0, "/local/domain/1/name\0");
        return n -> {
            for (int i = 0; i < n; i++) {
                if (xsd.handle(tools, read).type() != XsWire.XS_READ) {
                    throw new IllegalStateException("read failed");
                }
            }
        };
    }
}
