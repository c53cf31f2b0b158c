package org.parasol.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.parasol.cli.relay.XenstoredSocket;
import org.parasol.hypercall.abi.XsWire;
import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;
import org.parasol.hypervisor.domain.DomainConfig;
import org.parasol.hypervisor.testing.LeakCheck;

/**
 * The figure for docs/results.md (issue 12): store reads per second through xenstored's
 * socket, three ways in one run, against an in-JVM direct call into a store as baseline.
 * Not a test (its name does not end in Test) and not JMH: the relay lives in parasol-cli,
 * which the benchmarks module cannot depend on (parasol-cli's tests come after it in the
 * reactor), so this harness warms up and takes the median of rounds itself.
 *
 * <pre>
 *  ./mvnw -q -o -B test-compile -pl parasol-cli -am
 *  ./mvnw -q -o -B dependency:build-classpath -pl parasol-cli -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/cp.txt
 *  cp=$(tr ':' '\n' &lt; /tmp/cp.txt | grep -v /org/parasol/ | paste -sd:)   # this checkout's modules instead:
 *  for m in hypercall-api pv-hypervisor pv-guest-kernel split-drivers control-api pv-toolstack examples parasol-cli; do
 *    cp="$cp:$m/target/classes"; done
 *  java --enable-native-access=ALL-UNNAMED -cp "$cp:parasol-cli/target/test-classes:pv-hypervisor/target/test-classes" \
 *       org.parasol.cli.XenstoredSocketLoad
 * </pre>
 * It prints the table's rows; the host and its domains are under the leak check.
 */
public final class XenstoredSocketLoad {
    private static final int ROUNDS = 5;

    private XenstoredSocketLoad() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("xsload");
        LeakCheck leaks = new LeakCheck();
        try (Hypervisor hv = leaks.track(Hypervisor.boot(HostConfig.defaults(64L << 20)))) {
            hv.setKernelSource(TreeImages.dom0AndExamples());
            try (XenstoredSocket socket = XenstoredSocket.open(dir.resolve("xenstored"), hv.hostRelay(), 4,
                    System.err::println)) {
                Dom0Module module = new Dom0Module().add(new DomainConfig("ticker", 4096, 4096, 1, "ticker",
                        "ticks=100000 period=1000", false, DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                        DomainConfig.Action.DESTROY), DomainConfig.Action.DESTROY, DomainConfig.Action.DESTROY,
                        DomainConfig.Action.DESTROY);
                hv.createDom0(new DomainConfig("Domain-0", 16 * 1024, 16 * 1024, 1, "dom0", "", true,
                        DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE, DomainConfig.Action.PRESERVE),
                        module.bytes());
                XenstoreTools xs = new XenstoreTools(socket.path());
                xs.await("/local/domain/1/name");

                System.out.println("| path | reads | median rate | median time per read |");
                System.out.println("|---|---:|---:|---:|");
                row("direct call: `Xenstored.handle(XS_READ)` on a store in the host's JVM", 200_000, direct());
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket.path()));
                    row("socket, one connection, one request at a time (as libxenstore)", 20_000, oneAtATime(ch));
                    row("socket, one connection, 16 requests in flight", 50_000, pipelined(ch, 16));
                }
                row("`xenstore-read` processes, one after another", 200, n -> processes(xs, n));
                row("baseline: `/bin/true` processes, one after another", 200, XenstoredSocketLoad::trueProcesses);
            }
        } finally {
            Files.deleteIfExists(dir.resolve("xenstored"));
            Files.deleteIfExists(dir);
        }
        leaks.verify();
    }

    @FunctionalInterface
    private interface Workload {
        void run(int n) throws Exception;
    }

    private static void row(String what, int n, Workload w) throws Exception {
        w.run(Math.max(1, n / 4)); // warm-up
        long[] nanos = new long[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long t0 = System.nanoTime();
            w.run(n);
            nanos[r] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        long median = nanos[ROUNDS / 2];
        double perSecond = n / (median / 1e9);
        double each = median / (double) n;
        System.out.printf("| %s | %d | %,.0f /s | %s |%n", what, n, perSecond,
                each >= 1e6 ? String.format("%.2f ms", each / 1e6) : each >= 1e3 ? String.format("%.1f µs", each / 1e3)
                        : String.format("%.0f ns", each));
    }

    /** A store in this JVM with dom0's node, read through the same request handler dom0 runs. */
    private static Workload direct() {
        java.util.function.IntConsumer reads = org.parasol.storefixture.DirectStoreReads.workload();
        return reads::accept;
    }

    private static ByteBuffer readRequest() {
        byte[] path = "/local/domain/1/name\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(XsWire.HEADER_SIZE + path.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(XsWire.XS_READ).putInt(1).putInt(0).putInt(path.length).put(path).flip();
        return b;
    }

    private static Workload oneAtATime(SocketChannel ch) {
        ByteBuffer req = readRequest();
        ByteBuffer rsp = ByteBuffer.allocate(XsWire.HEADER_SIZE + 64).order(ByteOrder.LITTLE_ENDIAN);
        int replyBytes = XsWire.HEADER_SIZE + "ticker".length();
        return n -> {
            for (int i = 0; i < n; i++) {
                req.rewind();
                while (req.hasRemaining()) {
                    ch.write(req);
                }
                rsp.clear().limit(replyBytes);
                while (rsp.hasRemaining()) {
                    if (ch.read(rsp) < 0) {
                        throw new IOException("closed");
                    }
                }
            }
        };
    }

    private static Workload pipelined(SocketChannel ch, int inFlight) {
        ByteBuffer req = readRequest();
        int replyBytes = XsWire.HEADER_SIZE + "ticker".length();
        ByteBuffer rsp = ByteBuffer.allocate(replyBytes * inFlight);
        return n -> {
            int sent = 0;
            int received = 0;
            while (received < n) {
                while (sent < n && sent - received < inFlight) {
                    req.rewind();
                    while (req.hasRemaining()) {
                        ch.write(req);
                    }
                    sent++;
                }
                rsp.clear().limit(replyBytes);
                while (rsp.hasRemaining()) {
                    if (ch.read(rsp) < 0) {
                        throw new IOException("closed");
                    }
                }
                received++;
            }
        };
    }

    private static void processes(XenstoreTools xs, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            Process p = xs.start("xenstore-read", "/local/domain/1/name");
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("xenstore-read failed");
            }
        }
    }

    private static void trueProcesses(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            Process p = new ProcessBuilder("/bin/true").start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("/bin/true failed");
            }
        }
    }
}
